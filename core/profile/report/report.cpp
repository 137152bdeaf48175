#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "function_stats.hpp"
#include "profile_diff.hpp"
#include "profile_format.hpp"
#include "report_text.hpp"
#include "runtime_view.hpp"
#include "time_spec.hpp"
#include "utc_time.hpp"
#include "window_process_key.hpp"

namespace ember::report {
namespace {

using formats::utc_iso8601;

// ReportFormat lists top, then ProfileFormat's values in its order.
static_assert(static_cast<int>(ReportFormat::folded) ==
              static_cast<int>(formats::ProfileFormat::folded) + 1);
static_assert(static_cast<int>(ReportFormat::svg) ==
              static_cast<int>(formats::ProfileFormat::svg) + 1);
ReportFormat report_format(formats::ProfileFormat format) {
  return static_cast<ReportFormat>(static_cast<int>(format) + 1);
}

formats::ProfileFormat profile_format(ReportFormat format) {
  return static_cast<formats::ProfileFormat>(static_cast<int>(format) - 1);
}

std::string joined(const std::set<std::string>& items, std::size_t most = 12) {
  std::string out;
  std::size_t n = 0;
  for (const std::string& item : items) {
    if (n++ == most) return out + ", ... (" + std::to_string(items.size()) + " in all)";
    out += (out.empty() ? "" : ", ") + item;
  }
  return out.empty() ? "none" : out;
}

std::string span(std::int64_t from, std::int64_t to) {
  return utc_iso8601(from) + " to " + utc_iso8601(to);
}

std::string store_holds(const store::StoreSummary& summary) {
  std::set<std::string> services(summary.services.begin(), summary.services.end());
  std::set<std::string> processes(summary.processes.begin(), summary.processes.end());
  return "the store holds " + std::to_string(summary.windows) + " windows from " +
         span(summary.first_ns, summary.last_ns) + "; processes: " + joined(processes) +
         "; services: " + joined(services);
}

struct Range {
  std::int64_t from = 0, to = 0;
};

Status read_range(const store::StoreReader& store, const store::StoreSummary& summary,
                  const Range& range, const ReportFilter& filter, const char* what, Window& out) {
  Window window;
  Status read = store.read(range.from, range.to, window);
  if (!read) return read;
  read = check_samples_read(window, summary, TimeRange{range.from, range.to}, what);
  if (!read) return read;
  if (filter.empty()) {  // a day of windows is not copied to keep all of it
    out = std::move(window);
    return Status::ok();
  }
  return select_samples(window, TimeRange{range.from, range.to}, filter, what, out);
}

// A line for the heading saying what the runtime view changed, empty when
// nothing.
std::string view_note(std::uint64_t changed, std::uint64_t samples) {
  if (changed == 0) return "";
  char line[200];
  std::snprintf(line, sizeof line,
                "runtime view: interpreter internals folded into their callers, or a module's "
                "unsymbolized frames shown as one, in %.1f%% of samples (--native shows every "
                "native frame)\n",
                100.0 * static_cast<double>(changed) /
                    static_cast<double>(std::max<std::uint64_t>(samples, 1)));
  return line;
}

// The runtime view (runtime_view.hpp) unless --native; the samples it changed.
std::uint64_t apply_view(bool native, Window& window) {
  if (native) return 0;
  RuntimeView view = runtime_view(std::move(window));
  window = std::move(view.window);
  return view.changed_samples;
}

DiffRange diff_range(const Window& window, std::uint64_t view_changed) {
  return DiffRange{window.start_ns, window.end_ns, window.total_samples(), view_changed};
}

std::string heading(std::uint64_t samples, std::uint32_t frequency_hz, std::int64_t start_ns,
                    std::int64_t end_ns, const std::string& host, const ReportFilter& filter) {
  std::string out = "ember report: " + std::to_string(samples) + " samples";
  if (frequency_hz) {
    char cpu[64];
    std::snprintf(cpu, sizeof cpu, " (%.1f s of CPU at %u Hz)",
                  static_cast<double>(samples) / frequency_hz, frequency_hz);
    out += cpu;
  }
  out += ", " + span(start_ns, end_ns);
  if (!host.empty()) out += " on " + host;
  if (!filter.empty()) out += "\nfilter: " + filter.describe();
  return out + "\n";
}

std::string heading(const Window& w, const ReportFilter& filter) {
  return heading(w.total_samples(), w.frequency_hz, w.start_ns, w.end_ns, w.host, filter);
}

Status unknown_service(const ReportFilter& filter, const store::StoreSummary& summary) {
  for (const std::string& service : filter.services) {
    if (std::find(summary.services.begin(), summary.services.end(), service) !=
        summary.services.end()) {
      continue;
    }
    std::set<std::string> known(summary.services.begin(), summary.services.end());
    return Status::error("no service '" + service + "' in the store; " +
                         (known.empty() ? "no process has a service label (the config's "
                                          "service rules name them)"
                                        : "services: " + joined(known, 50)));
  }
  return Status::ok();
}

Status unknown_kind(const ReportFilter& filter, const store::StoreSummary& summary) {
  for (const std::string& kind : filter.kinds) {
    if (std::find(summary.kinds.begin(), summary.kinds.end(), kind) != summary.kinds.end()) {
      continue;
    }
    std::set<std::string> known(summary.kinds.begin(), summary.kinds.end());
    return Status::error("no frames of kind '" + kind + "' in the store; kinds: " +
                         joined(known, 50));
  }
  return Status::ok();
}

Status no_windows() {
  return Status::error(
      "the store holds no windows yet: is emberd running with [sink.store] enabled? (a "
      "window is written when it closes, agent.window_seconds after it starts)");
}

}  // namespace

std::string window_holds(const Window& window) {
  std::set<std::string> services, containers, pods;
  std::map<std::uint32_t, std::uint64_t> per_process;  // by window_process_key
  for (const StackCount& s : window.samples) per_process[window_process_key(s)] += s.count;
  // The named processes with the most samples: a host's thousands of
  // short-lived nameless ones would bury what the next try should name.
  std::vector<std::pair<std::uint64_t, const ProcessInfo*>> named;
  for (const ProcessInfo& p : window.processes) {
    auto samples = per_process.find(window_process_key(p));
    if (samples == per_process.end()) continue;
    if (!p.comm.empty()) named.emplace_back(samples->second, &p);
    if (!p.service.empty()) services.insert(p.service);
    if (!p.container_name.empty()) containers.insert(p.container_name);
    if (!p.container_id.empty()) containers.insert(p.container_id.substr(0, 12));
    if (!p.pod_name.empty()) pods.insert(p.pod_name);
  }
  std::sort(named.begin(), named.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second->pid < b.second->pid;
  });
  constexpr std::size_t kMostProcesses = 20;
  std::string processes;
  for (std::size_t i = 0; i < named.size() && i < kMostProcesses; ++i) {
    const ProcessInfo& p = *named[i].second;
    processes += (i ? ", " : "") + p.comm + " (pid " + std::to_string(p.pid) + ", " +
                 std::to_string(named[i].first) + " samples)";
  }
  if (named.size() > kMostProcesses) {
    processes += ", ... (" + std::to_string(named.size()) + " named in all)";
  }
  if (processes.empty()) processes = "none named";
  return "processes: " + processes + "; services: " + joined(services) +
         "; containers: " + joined(containers) + "; pods: " + joined(pods);
}

Status parse_format(const std::string& name, ReportFormat& out) {
  formats::ProfileFormat format;
  if (name == "top") {
    out = ReportFormat::top;
  } else if (formats::profile_format_of_name(name, format)) {
    out = report_format(format);
  } else {
    return Status::error("unknown format '" + name + "'; formats are top, " +
                         std::string(formats::kProfileFormatNames));
  }
  return Status::ok();
}

bool format_of_path(const std::string& path, ReportFormat& out) {
  formats::ProfileFormat format;
  if (path.size() > 4 && path.ends_with(".txt")) {
    out = ReportFormat::top;
  } else if (formats::profile_format_of_path(path, format)) {
    out = report_format(format);
  } else {
    return false;
  }
  return true;
}

Status resolve_range(const store::StoreSummary& summary, const std::string& from,
                     const std::string& to, std::int64_t now_ns, TimeRange& out) {
  Range range{summary.first_ns, std::max(now_ns, summary.last_ns)};
  if (!from.empty()) {
    Status parsed = parse_time(from, now_ns, range.from);
    if (!parsed) return Status::error("--from: " + parsed.message());
  }
  if (!to.empty()) {
    Status parsed = parse_time(to, now_ns, range.to);
    if (!parsed) return Status::error("--to: " + parsed.message());
  }
  if (range.to <= range.from) {
    return Status::error("the range " + span(range.from, range.to) + " ends before it starts");
  }
  out = TimeRange{range.from, range.to};
  return Status::ok();
}

Status check_selection(const store::StoreSummary& summary, const ReportFilter& filter) {
  if (summary.windows == 0) return no_windows();
  Status known = unknown_service(filter, summary);
  if (!known) return known;
  return unknown_kind(filter, summary);
}

Status check_samples_read(const Window& read, const store::StoreSummary& summary,
                          const TimeRange& range, const char* what) {
  if (read.total_samples() != 0) return Status::ok();
  return Status::error(std::string("no samples ") + what + " " + span(range.from_ns, range.to_ns) +
                       "; " + store_holds(summary));
}

Status select_samples(const Window& read, const TimeRange& range, const ReportFilter& filter,
                      const char* what, Window& out) {
  out = apply_filter(read, filter);
  if (out.total_samples() != 0) return Status::ok();
  return Status::error("no samples match " + filter.describe() + " " + what + " " +
                       span(range.from_ns, range.to_ns) + "; that range has " + window_holds(read));
}

Status read_report_window(const store::StoreReader& store, const store::StoreSummary& summary,
                          const TimeRange& range, const ReportFilter& filter, Window& out) {
  Status known = check_selection(summary, filter);
  if (!known) return known;
  return read_range(store, summary, Range{range.from_ns, range.to_ns}, filter, "from", out);
}

std::string top_text(const TopTable& top, const ReportRequest& request) {
  const std::uint64_t samples = top.table.samples;
  return top_table(
      top.table,
      heading(samples, top.frequency_hz, top.start_ns, top.end_ns, top.host, request.filter) +
          view_note(top.view_changed, samples),
      request.limit);
}

std::string diff_text(const DiffTable& diff, const ReportRequest& request) {
  std::string title =
      "ember report --diff: each function's share of its range's samples, "
      "delta = after - before (percentage points)\nbefore: " +
      std::to_string(diff.before.samples) + " samples, " +
      span(diff.before.start_ns, diff.before.end_ns) +
      "\nafter:  " + std::to_string(diff.after.samples) + " samples, " +
      span(diff.after.start_ns, diff.after.end_ns) + "\n";
  if (!request.filter.empty()) title += "filter: " + request.filter.describe() + "\n";
  // The baseline's share of changed samples, else the second range's.
  const DiffRange& noted = diff.before.view_changed ? diff.before : diff.after;
  title += view_note(noted.view_changed, noted.samples);
  return diff_table(diff.deltas, title, request.limit, diff.left_out);
}

Status check_diff_format(const ReportRequest& request) {
  if (!request.diff.empty() && request.format != ReportFormat::top) {
    return Status::error("--diff prints a table: use it with --format top");
  }
  return Status::ok();
}

Status run_report(const store::StoreReader& store, const ReportRequest& request,
                  std::int64_t now_ns, std::string& out) {
  store::StoreSummary summary = store.summary();
  if (summary.windows == 0) return no_windows();
  if (Status table = check_diff_format(request); !table) return table;
  TimeRange range;
  Status resolved = resolve_range(summary, request.from, request.to, now_ns, range);
  if (!resolved) return resolved;

  Window window;
  Status read = read_report_window(store, summary, range, request.filter, window);
  if (!read) return read;
  const std::uint64_t view_changed = apply_view(request.native, window);

  if (!request.diff.empty()) {
    TimeRange second;
    Status parsed = parse_time_range(request.diff, now_ns, second);
    if (!parsed) return Status::error("--diff: " + parsed.message());
    Window after;
    read = read_range(store, summary, Range{second.from_ns, second.to_ns}, request.filter,
                      "in the --diff range", after);
    if (!read) return read;
    DiffTable diff;
    diff.before = diff_range(window, view_changed);
    diff.after = diff_range(after, apply_view(request.native, after));
    diff.deltas = diff_functions(function_table(window), function_table(after));
    out = diff_text(diff, request);
    return Status::ok();
  }

  std::string name = "ember " + span(window.start_ns, window.end_ns);
  if (!request.filter.empty()) name += " " + request.filter.describe();
  if (request.format == ReportFormat::top) {
    FunctionTable table = function_table(window);
    if (request.sort_by_total) sort_by_total(table);
    out = top_table(
        table, heading(window, request.filter) + view_note(view_changed, window.total_samples()),
        request.limit);
  } else {
    formats::RenderOptions options{name};
    options.flame = request.flame;
    out = formats::render_profile(profile_format(request.format), window, options);
  }
  return Status::ok();
}

}  // namespace ember::report
