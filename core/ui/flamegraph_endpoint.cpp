// GET /api/v1/flamegraph: the selection's samples in the range as one flame
// tree (flame_json.hpp); `focus` keeps the subtree of one function.
#include "endpoints.hpp"
#include "flame_json.hpp"
#include "focus.hpp"

namespace ember::ui {

ApiResponse flamegraph_endpoint(ApiRequest& request) {
  ApiQuery& query = request.query;
  report::TimeRange range = query.range(request.summary, request.now_ns);
  report::ReportFilter filter = query.filter();
  bool native = query.native_view();
  std::string focus = query.text("focus");
  std::int64_t max_nodes = query.number("max_nodes", 1, 1'000'000, 200'000);
  if (auto bad = rejected(query)) return *bad;

  Window window;
  if (auto missing = read_selection(request, range, filter, native, window)) return *missing;
  if (!focus.empty()) {
    window = report::focus_window(window, focus);
    if (window.total_samples() == 0) {
      return error_response(404, "no samples of the selection run '" + focus + "'");
    }
  }
  formats::FlameTree tree = formats::build_flame_tree(window);
  JsonWriter json;
  json.begin_object();
  write_span(json, "range", window);
  write_flame(json, flame_view(tree), window, false, static_cast<std::size_t>(max_nodes));
  json.end_object();
  return json_response(json);
}

}  // namespace ember::ui
