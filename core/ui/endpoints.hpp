// The API's endpoints (docs/api.md), one file each; api.cpp routes to them.
// Each reads its parameters from request.query and returns JSON (or, for an
// export, the file); a parameter error is reported by the query, a data
// problem (no samples, unknown service) as a 404 saying what the store holds.
#pragma once

#include <optional>

#include "api.hpp"
#include "ember/window.hpp"
#include "flame_json.hpp"
#include "json_writer.hpp"
#include "report_filter.hpp"
#include "time_spec.hpp"

namespace ember::ui {

// The query's first problem as a 400, or nothing: called once every
// parameter is read, before any work.
std::optional<ApiResponse> rejected(ApiQuery& query);

// What a profile endpoint shows: a range, the filters, the view.
struct Selection {
  report::TimeRange range;
  report::ReportFilter filter;
  bool native = true;  // every native frame, not the runtime view (runtime_view.hpp)
  // Samples per thread (an export's): a whole read. Otherwise, unless the
  // filter names threads, each process' threads come summed
  // (StoreReader::read_per_process): the same flame graph and tables.
  bool threads = false;
  // Only each process' name (a flame graph's roots): the processes of one
  // name come folded into one (StoreReader::read_process_names) when
  // nothing is filtered.
  bool names = false;
  // Only each process' sample count (a target list's): no stacks are read
  // (StoreReader::read_process_counts) when nothing is filtered.
  bool counts = false;
  // Only each stack's samples (a function table's): no processes are read
  // (StoreReader::read_per_stack) when nothing is filtered.
  bool stacks = false;
  // The range's metrics too (an export writes them); a flame graph, table or
  // target list is read without (StoreReader::read_process_samples).
  bool metrics = false;
};

// How much of a range read_range reads (StoreReader): samples per thread,
// summed per process (with the metrics, or without: `samples`), summed per
// process name (`names`), summed per stack alone, counted per process
// without stacks, or the metrics and processes only.
enum class ReadDetail { threads, processes, samples, names, stacks, counts, metrics };

// The common parameters (docs/api.md): `from`, `to`, the filters and, with
// `with_view`, `view`.
Selection selection_of(ApiRequest& request, bool with_view = true);

// Every stored window overlapping `range`, merged (StoreReader::read), kept
// in the request's cache for the next request covering the same windows;
// `key`, when given, is set to what the read covers. With less `detail`, a
// read per process or without samples (StoreReader::read_per_process,
// read_process_samples, read_process_names, read_process_counts,
// read_metrics), unless a read with more of the range is kept.
Status read_range(const ApiRequest& request, const report::TimeRange& range, SharedWindow& out,
                  std::string* key = nullptr, ReadDetail detail = ReadDetail::threads);

// The samples of `range` that `filter` keeps, merged, in the runtime view
// unless `native` (as ember report shows them; report.hpp's
// read_report_window in steps), from the cache when a request before read
// or selected the same; its errors (empty store or range, unknown service, a
// filter that matches nothing) as a 404 that says what the store holds.
// `key`, when given, is set to what the selection holds (for keeping what
// is computed from it); `view_changed` to the samples the runtime view
// changed (ember report's note; 0 in the native view).
std::optional<ApiResponse> read_selection(const ApiRequest& request, const Selection& selection,
                                          SharedWindow& out, std::string* key = nullptr,
                                          std::uint64_t* view_changed = nullptr);

// With a `focus` function, `window` becomes that function's subtree
// (focus.hpp); a 404 when it does not run there.
std::optional<ApiResponse> focus_on(const std::string& focus, SharedWindow& window);

// `max_nodes` and `resolution`: how much of a flame tree to send.
FlameLimits flame_limits(ApiQuery& query);

// {"from", "to", "samples", "frequency_hz"} of a read window, as a "key": {...};
// with `view_changed`, that field too (the samples the runtime view changed).
void write_span(JsonWriter& json, std::string_view key, const Window& window,
                std::optional<std::uint64_t> view_changed = std::nullopt);

// An endpoint's JSON body as a 200.
ApiResponse json_response(JsonWriter& json);

ApiResponse summary_endpoint(ApiRequest& request);
ApiResponse targets_endpoint(ApiRequest& request);
ApiResponse timeline_endpoint(ApiRequest& request);
ApiResponse flamegraph_endpoint(ApiRequest& request);
ApiResponse diff_endpoint(ApiRequest& request);
ApiResponse functions_endpoint(ApiRequest& request);
ApiResponse export_endpoint(ApiRequest& request);

}  // namespace ember::ui
