// GET /api/v1/functions: the top-functions table (`ember report --format
// top`): each function's self and total samples in the selection.
#include "endpoints.hpp"
#include "function_stats.hpp"

namespace ember::ui {

ApiResponse functions_endpoint(ApiRequest& request) {
  Selection selection = selection_of(request);
  std::int64_t limit = request.query.number("limit", 1, 100'000, 500);
  if (auto bad = rejected(request.query)) return *bad;

  SharedWindow window;
  if (auto missing = read_selection(request, selection, window)) return *missing;
  report::FunctionTable table = report::function_table(*window);
  if (table.functions.size() > static_cast<std::size_t>(limit)) table.functions.resize(limit);

  JsonWriter json;
  json.begin_object();
  write_span(json, "range", *window);
  json.key("functions").begin_array();
  for (const report::FunctionStats& f : table.functions) {
    json.begin_object();
    json.field("name", f.name).field("kind", f.kind).field("file", f.file);
    json.field("self", f.self).field("total", f.total);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  return json_response(json);
}

}  // namespace ember::ui
