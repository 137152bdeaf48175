// GET /api/v1/functions: the top-functions table (`ember report --format
// top`): each function's self and total samples in the selection, and what
// the report heads it with (ember report --server prints it from this).
#include "endpoints.hpp"
#include "function_stats.hpp"

namespace ember::ui {

ApiResponse functions_endpoint(ApiRequest& request) {
  Selection selection = selection_of(request);
  selection.stacks = true;  // a table names no processes
  std::int64_t limit = request.query.number("limit", 1, 100'000, 500);
  const std::string sort = request.query.text("sort", "self");
  if (auto bad = rejected(request.query)) return *bad;
  if (sort != "self" && sort != "total") {
    return error_response(400, "sort: expected self or total, got \"" + sort + "\"");
  }

  SharedWindow window;
  std::uint64_t view_changed = 0;
  if (auto missing = read_selection(request, selection, window, nullptr, &view_changed)) {
    return *missing;
  }
  report::FunctionTable table = report::function_table(*window);
  if (sort == "total") report::sort_by_total(table);
  const std::size_t matched = table.functions.size();
  if (table.functions.size() > static_cast<std::size_t>(limit)) table.functions.resize(limit);

  JsonWriter json;
  json.begin_object();
  write_span(json, "range", *window);
  json.field("matched", matched).field("view_changed", view_changed);
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
