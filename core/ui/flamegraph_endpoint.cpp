// GET /api/v1/flamegraph: the selection's samples in the range as one flame
// tree (flame_json.hpp); `focus` keeps the subtree of one function. The
// answer is kept (lru_cache.hpp): the UI asks again on every change of view.
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
  FlameLimits limits = flame_limits(query);
  if (auto bad = rejected(query)) return *bad;

  SharedWindow window;
  std::string selection;
  if (auto missing = read_selection(request, range, filter, native, window, &selection))
    return *missing;
  std::string key = "flamegraph|" + selection + '|' + std::to_string(limits.max_nodes) + '|' +
                    std::to_string(limits.resolution) + '|' + focus;
  std::shared_ptr<const std::string> body;
  if (const auto* kept = request.cache.answers.find(key)) {
    body = *kept;
  } else {
    if (!focus.empty()) {
      window = std::make_shared<const Window>(report::focus_window(*window, focus));
      if (window->total_samples() == 0) {
        return error_response(404, "no samples of the selection run '" + focus + "'");
      }
    }
    CompactFlameTree tree = limited_flame_tree(*window, nullptr, limits);
    JsonWriter json;
    json.begin_object();
    write_span(json, "range", *window);
    write_flame(json, tree, *window, false);
    json.end_object();
    body = std::make_shared<const std::string>(json.take());
    request.cache.answers.put(key, body);
  }
  return ApiResponse{200, "application/json", *body, ""};
}

}  // namespace ember::ui
