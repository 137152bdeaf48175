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
#include "report_filter.hpp"
#include "store_reader.hpp"

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
};

// The report's bytes (text or a binary pprof). Errors for an empty store, an
// empty range or a filter that matches nothing say what the store does hold.
Status run_report(const store::StoreReader& store, const ReportRequest& request,
                  std::int64_t now_ns, std::string& out);

}  // namespace ember::report
