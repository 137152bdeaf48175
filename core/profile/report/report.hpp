// `ember report`: a time range of the local store, filtered, as a table of
// functions (top), a comparison of two ranges (--diff), or a profile file
// (folded, speedscope, pprof, svg). The CLI parses flags into a ReportRequest
// and writes what run_report() returns; everything else is here, testable
// against any StoreReader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ember/status.hpp"
#include "function_stats.hpp"
#include "profile_diff.hpp"
#include "report_filter.hpp"
#include "store_reader.hpp"
#include "time_spec.hpp"

namespace ember::report {

// top, then the profile formats in formats::ProfileFormat's order.
enum class ReportFormat { top, folded, speedscope, pprof, svg };

// "top", "folded" (or "collapsed"), "speedscope", "pprof", "svg".
Status parse_format(const std::string& name, ReportFormat& out);
// From an --output file name: .txt, .folded/.collapsed, .json, .pb.gz/.pprof,
// .svg. False when the extension says nothing.
bool format_of_path(const std::string& path, ReportFormat& out);

struct ReportRequest {
  std::string from;  // time texts (time_spec.hpp); empty: the store's oldest window
  std::string to;    // empty: now
  ReportFilter filter;
  ReportFormat format = ReportFormat::top;
  std::string diff;        // "FROM..TO" compared against [from, to); empty: no diff
  std::size_t limit = 25;  // rows of top / diff; 0: all
  bool native = false;     // every native frame, not the runtime view (runtime_view.hpp)
  bool sort_by_total = false;  // top's rows by total share, not self
  bool flame = false;          // svg: root at the bottom, not the top
};

// What a window holds, for an error about a filter that matched nothing, so
// the next try can hit: "processes: ...; services: ...; containers: ...;
// pods: ...".
std::string window_holds(const Window& window);

// --from and --to as run_report reads them (time_spec.hpp): empty `from` is
// the store's oldest window, empty `to` now (or the newest window's end, if
// later). Errors name the flag and the accepted forms.
Status resolve_range(const store::StoreSummary& summary, const std::string& from,
                     const std::string& to, std::int64_t now_ns, TimeRange& out);

// The samples of `range` that `filter` keeps, merged into one window, checked
// as run_report checks them: an empty store, an unknown service or kind, an
// empty range or a filter that matches nothing is an error saying what the
// store does hold.
Status read_report_window(const store::StoreReader& store, const store::StoreSummary& summary,
                          const TimeRange& range, const ReportFilter& filter, Window& out);

// read_report_window in its steps, for a reader that keeps what it read
// (the web UI): the checks that need no read (an empty store, an unknown
// service or kind); that a read of `range` holds samples; the samples of a
// read that `filter` keeps (an error when none). `what` words the range in
// the errors ("from": "no samples from <range>").
Status check_selection(const store::StoreSummary& summary, const ReportFilter& filter);
Status check_samples_read(const Window& read, const store::StoreSummary& summary,
                          const TimeRange& range, const char* what = "from");
Status select_samples(const Window& read, const TimeRange& range, const ReportFilter& filter,
                      const char* what, Window& out);

// A function table computed elsewhere (the fleet server's /api/v1/functions)
// with what `ember report --format top` heads it with: the window's span,
// rate and host, and the samples the runtime view changed (0 in the native
// view).
struct TopTable {
  FunctionTable table;  // its `samples`: the window's
  std::int64_t start_ns = 0, end_ns = 0;
  std::uint32_t frequency_hz = 0;
  std::string host;
  std::uint64_t view_changed = 0;
};

// `ember report --format top`'s text for such a table, as run_report prints
// it for a window (the table's order as it is: sorted by whoever computed it).
std::string top_text(const TopTable& top, const ReportRequest& request);

// `ember report --diff`'s comparison computed elsewhere (the fleet server's
// /api/v1/diff) with what the report heads it with: each range's span, its
// samples and those the runtime view changed (0 in the native view).
struct DiffRange {
  std::int64_t start_ns = 0, end_ns = 0;
  std::uint64_t samples = 0, view_changed = 0;
};
struct DiffTable {
  DiffRange before, after;
  std::vector<FunctionDelta> deltas;  // the biggest change first (diff_functions)
  std::size_t left_out = 0;           // functions beyond `deltas`, cut by whoever computed them
};

// `ember report --diff`'s text for such a comparison, as run_report prints
// it for two windows.
std::string diff_text(const DiffTable& diff, const ReportRequest& request);

// --diff prints a table: an error for another --format.
Status check_diff_format(const ReportRequest& request);

// The report's bytes (text or a binary pprof). Errors for an empty store, an
// empty range or a filter that matches nothing say what the store does hold.
Status run_report(const store::StoreReader& store, const ReportRequest& request,
                  std::int64_t now_ns, std::string& out);

}  // namespace ember::report
