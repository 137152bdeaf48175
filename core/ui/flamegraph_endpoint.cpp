// GET /api/v1/flamegraph: the selection's samples in the range as one flame
// tree (flame_json.hpp); `focus` keeps the subtree of one function. The
// answer is kept (lru_cache.hpp): the UI asks again on every change of view.
#include "endpoints.hpp"
#include "flame_json.hpp"

namespace ember::ui {

ApiResponse flamegraph_endpoint(ApiRequest& request) {
  Selection selection = selection_of(request);
  selection.names = true;  // its roots are process names
  std::string focus = request.query.text("focus");
  FlameLimits limits = flame_limits(request.query);
  if (auto bad = rejected(request.query)) return *bad;

  SharedWindow window;
  std::string selected;
  if (auto missing = read_selection(request, selection, window, &selected)) return *missing;
  std::string key = "flamegraph|" + selected + '|' + std::to_string(limits.max_nodes) + '|' +
                    std::to_string(limits.resolution) + '|' + focus;
  std::shared_ptr<const std::string> body;
  if (const auto* kept = request.cache.answers.find(key)) {
    body = *kept;
  } else {
    if (auto none = focus_on(focus, window)) return *none;
    formats::FlameTree tree = limited_flame_tree(*window, nullptr, limits);
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
