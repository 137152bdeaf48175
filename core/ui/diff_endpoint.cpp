// GET /api/v1/diff: a baseline range (base_from, base_to) against a second
// range (from, to) of the same selection, or of another one (base_pid,
// base_process, ...: one process against another): one tree of both with each node's
// counts in either (flame_json.hpp), and the functions whose share of their
// range's samples moved most (`ember report --diff`'s table, which `ember
// report --server --diff` prints: `tree=0` leaves the tree out).
#include <cmath>

#include "endpoints.hpp"
#include "flame_json.hpp"
#include "function_stats.hpp"
#include "profile_diff.hpp"

namespace ember::ui {

ApiResponse diff_endpoint(ApiRequest& request) {
  Selection after_selection = selection_of(request);
  Selection before_selection = after_selection;
  before_selection.range = request.range("base_");
  // base_pid, base_process, ...: the baseline is another selection.
  report::ReportFilter base_filter = request.query.filter("base_");
  if (!base_filter.empty()) before_selection.filter = base_filter;
  FlameLimits limits = flame_limits(request.query);
  std::int64_t limit = request.query.number("limit", 1, 100'000, 100);
  const bool with_tree = request.query.number("tree", 0, 1, 1) != 0;
  if (auto bad = rejected(request.query)) return *bad;
  // The table alone names no processes: each stack's samples will do; the
  // tree's roots are process names.
  after_selection.stacks = before_selection.stacks = !with_tree;
  after_selection.names = before_selection.names = with_tree;

  SharedWindow before, after;
  std::uint64_t before_changed = 0, after_changed = 0;
  if (auto missing = read_selection(request, before_selection, before, nullptr, &before_changed)) {
    return *missing;
  }
  if (auto missing = read_selection(request, after_selection, after, nullptr, &after_changed)) {
    return *missing;
  }
  formats::FlameTree tree;
  if (with_tree) tree = limited_flame_tree(*after, before.get(), limits);
  std::vector<report::FunctionDelta> deltas =
      report::diff_functions(report::function_table(*before), report::function_table(*after));
  const std::size_t matched = deltas.size();
  if (deltas.size() > static_cast<std::size_t>(limit)) deltas.resize(limit);

  JsonWriter json;
  json.begin_object();
  write_span(json, "before", *before, before_changed);
  write_span(json, "after", *after, after_changed);
  write_flame(json, tree, *after, true);
  json.field("matched", matched);
  json.key("functions").begin_array();
  for (const report::FunctionDelta& d : deltas) {
    json.begin_object();
    json.field("name", d.name).field("kind", d.kind).field("file", d.file);
    json.field("before", d.total_before).field("after", d.total_after);
    json.field("delta", d.total_delta());
    json.field("self_before", d.self_before).field("self_after", d.self_after);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  return json_response(json);
}

}  // namespace ember::ui
