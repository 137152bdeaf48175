// GET /api/v1/export: the selection (or, with `focus`, one function's
// subtree; with `zoom`, one node's) as a file `ember report` writes: svg
// (the interactive flame graph), folded, pprof or speedscope, named after
// what it shows, per thread unless `threads=0`.
#include "endpoints.hpp"
#include "focus.hpp"
#include "profile_format.hpp"
#include "store_reader.hpp"
#include "utc_time.hpp"

namespace ember::ui {
namespace {

// Letters, digits, '.', '_' and '-' of `text`, the rest as '_': safe in any
// file name and any Content-Disposition header.
std::string file_safe(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 80)) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
    out += safe ? c : '_';
  }
  return out;
}

// What the file shows, for its name: the focused function, else the first
// filter value ("api", "1234"), else nothing.
std::string subject(const std::string& focus, const report::ReportFilter& filter) {
  if (!focus.empty()) return focus;
  for (const auto* values : {&filter.services, &filter.processes, &filter.containers, &filter.pods,
                             &filter.kinds, &filter.labels}) {
    if (!values->empty()) return values->front();
  }
  return filter.pids.empty() ? "" : "pid" + std::to_string(filter.pids.front());
}

const char* content_type(formats::ProfileFormat format) {
  switch (format) {
    case formats::ProfileFormat::svg:
      return "image/svg+xml";
    case formats::ProfileFormat::speedscope:
      return "application/json";
    case formats::ProfileFormat::pprof:
      return "application/octet-stream";
    case formats::ProfileFormat::folded:
      break;
  }
  return "text/plain; charset=utf-8";
}

// The flame graph node at `path` (process name, then frames from the root):
// its samples, stacks starting at it.
std::optional<ApiResponse> zoom_on(const std::vector<std::string>& path, SharedWindow& window) {
  if (path.empty()) return std::nullopt;
  window = std::make_shared<const Window>(report::zoom_window(*window, path));
  if (window->total_samples() != 0) return std::nullopt;
  return error_response(404, "zoom: no samples of the selection under '" + path.back() + "' at depth " +
                                 std::to_string(path.size()));
}

}  // namespace

ApiResponse export_endpoint(ApiRequest& request) {
  Selection selection = selection_of(request);
  // pprof and speedscope name the threads; `threads=0` sums each process'
  // threads (what a table needs: `ember report --server --format top`).
  selection.threads = request.query.number("threads", 0, 1, 1) != 0;
  selection.metrics = true;  // pprof and speedscope carry them
  std::string focus = request.query.text("focus");
  std::vector<std::string> zoom = request.query.path("zoom");
  std::string format_name = request.query.text("format", "svg");
  if (auto bad = rejected(request.query)) return *bad;
  formats::ProfileFormat format;
  if (!formats::profile_format_of_name(format_name, format)) {
    return error_response(400, "format: unknown format '" + format_name + "'; formats are " +
                                   std::string(formats::kProfileFormatNames));
  }

  SharedWindow selected;
  if (auto missing = read_selection(request, selection, selected)) return *missing;
  if (!selection.threads && !selected->threads.empty()) {
    // A kept read per thread served it: summed as a read per process is.
    auto summed = std::make_shared<Window>(*selected);
    store::sum_threads(*summed);
    selected = std::move(summed);
  }
  if (auto none = focus_on(focus, selected)) return *none;
  if (auto none = zoom_on(zoom, selected)) return *none;
  const Window& window = *selected;
  const report::ReportFilter& filter = selection.filter;
  std::string what = subject(zoom.empty() ? focus : zoom.back(), filter);
  std::string title = "ember " + formats::utc_iso8601(window.start_ns) + " to " +
                      formats::utc_iso8601(window.end_ns) + " " + filter.describe() +
                      (focus.empty() ? "" : " focus " + focus) +
                      (zoom.empty() ? "" : " zoom " + zoom.back());
  std::string name = "ember-" + (what.empty() ? std::string() : file_safe(what) + "-") +
                     formats::utc_compact(window.start_ns) +
                     std::string(formats::extension_of(format));
  return ApiResponse{200, content_type(format), formats::render_profile(format, window, {title}),
                     name};
}

}  // namespace ember::ui
