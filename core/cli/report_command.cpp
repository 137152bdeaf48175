#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fleet_client.hpp"
#include "http_module.hpp"
#include "output_file.hpp"
#include "report.hpp"
#include "store_path.hpp"

namespace ember::cli {
namespace {

constexpr const char* kReportHelp = R"(Usage: ember report [OPTIONS]

Reads the agent's local store and prints the hottest functions of a time
range, compares two ranges, or writes the range as a profile file.

Where the data is:
  --store PATH        the store file; default: [sink.store] path of --config,
                      else of /etc/ember/ember.toml, else /var/lib/ember/ember.db
  --config FILE       take the store path from this config
  --server URL        the fleet server (ember server) instead of a store:
                      every host's windows, with the same filters plus --host
  --token-file FILE   with --server: the bearer token to send (its first line)

Which samples (filters of one flag are alternatives, different flags all apply):
  --from TIME         start of the range; default: the oldest window
  --to TIME           end of the range; default: now
                      TIME: now, -15m, -2h, -1d, -1h30m (before now),
                      2026-11-25T19:05:12Z, '2026-11-25 19:05' (UTC unless a
                      zone like +02:00 is given), or epoch seconds
  --host NAME         with --server: only this host's samples
  --pid PID           only this process
  --process NAME      only processes with this comm or executable name
  --cmdline TEXT      only processes whose command line contains TEXT
                      (--cmdline server.py finds `python3 server.py`)
  --thread NAME|TID   only this thread (its name, or its id)
  --container NAME    only this container (name, or id or its prefix)
  --service NAME      only processes with this service label
  --pod NAME          only processes of this Kubernetes pod (its name)
  --kind KIND         only samples with a frame of this kind: python, java,
                      native, kernel, node, go, or one a runtime plugin
                      registered (an unknown kind's error lists the store's)
  --label KEY=VALUE   only samples a runtime plugin gave this label

What to print:
  --format FORMAT     top         functions by self and total share (default
                                  on a terminal)
                      folded      collapsed stacks (default when piped)
                      speedscope  speedscope JSON
                      pprof       gzip protobuf for go tool pprof
                      svg         interactive flame graph for a browser
                      with --output, the default follows its extension
  --output FILE       write there instead of standard output
  --diff FROM..TO     compare the range FROM..TO (after) with --from/--to
                      (before): functions whose share of the samples changed
                      most, with signed deltas in percentage points
                      (e.g. --from -2h --to -1h --diff -1h..now; FROM alone
                      means FROM..now: --diff -1m)
  --limit N           rows of the top or diff table; 0 = all; default 25
  --sort self|total   order of the top table; default self
  --flame             svg: the root at the bottom (a flame graph); default: an
                      icicle, the root at the top, so the graph opens in view
  --native            every native frame as recorded. By default the
                      interpreters' own code (CPython's eval loop and builtins,
                      libjvm.so, node's V8) folds into the Python, Java or
                      JavaScript function calling it, as py-spy shows it, and
                      a module's unsymbolized addresses read as one
                      "module [no symbols]" frame; C extensions, other
                      libraries and the kernel always stay
  -h, --help          this help

Examples:
  ember report --from -15m
  ember report --service BiggestNumbers --from -1h --format svg --output api.svg
  ember report --process python3 --from 2026-11-25T14:00Z --to 2026-11-25T14:10Z
  ember report --pid 4242 --from -2h --to -1h --diff -1h..now
  ember report --server http://fleet:4040 --token-file ~/.ember-token --host web-3 --from -1h
)";

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// A request to the fleet server for the report's range and filters.
Status fleet_request(const std::string& url, const std::string& token_file,
                     const std::vector<std::string>& hosts, const report::ReportRequest& request,
                     server::FleetRequest& fleet) {
  fleet.url = url;
  if (!token_file.empty()) {
    if (Status read = server::read_token(token_file, fleet.token); !read) return read;
  }
  auto add = [&](const char* key, const std::string& value) { fleet.params.emplace(key, value); };
  if (!request.from.empty()) add("from", request.from);
  if (!request.to.empty()) add("to", request.to);
  const report::ReportFilter& f = request.filter;
  for (const std::string& v : hosts) add("host", v);
  for (std::uint32_t pid : f.pids) add("pid", std::to_string(pid));
  for (const std::string& v : f.processes) add("process", v);
  for (const std::string& v : f.cmdlines) add("cmdline", v);
  for (const std::string& v : f.threads) add("thread", v);
  for (const std::string& v : f.containers) add("container", v);
  for (const std::string& v : f.services) add("service", v);
  for (const std::string& v : f.pods) add("pod", v);
  for (const std::string& v : f.kinds) add("kind", v);
  for (const std::string& v : f.labels) add("label", v);
  return Status::ok();
}

// The top table computed by the fleet server (its functions answer: the
// day's samples never leave it), printed as run_report prints a store's.
Status top_from_server(const std::string& url, const std::string& token_file,
                       const std::vector<std::string>& hosts, const report::ReportRequest& request,
                       std::string& text) {
  server::FleetRequest fleet;
  if (Status made = fleet_request(url, token_file, hosts, request, fleet); !made) return made;
  server::top_params(request, fleet.params);
  report::TopTable top;
  const http::Entry* http = nullptr;
  if (Status loaded = load_http_module(http); !loaded) return loaded;
  if (Status fetched = http->fetch_fleet_functions(fleet, top); !fetched) return fetched;
  text = report::top_text(top, request);
  return Status::ok();
}

// `ember report --diff` computed by the fleet server (its diff answer
// without the tree): --from/--to are the baseline, the --diff range (its
// times resolved here, as run_report would, sent as nanoseconds) the second.
Status diff_from_server(const std::string& url, const std::string& token_file,
                        const std::vector<std::string>& hosts, const report::ReportRequest& request,
                        std::int64_t now, std::string& text) {
  if (Status table = report::check_diff_format(request); !table) return table;
  server::FleetRequest fleet;
  if (Status made = fleet_request(url, token_file, hosts, request, fleet); !made) return made;
  if (Status made = server::diff_params(request, now, fleet.params); !made) return made;
  report::DiffTable diff;
  const http::Entry* http = nullptr;
  if (Status loaded = load_http_module(http); !loaded) return loaded;
  if (Status fetched = http->fetch_fleet_diff(fleet, diff); !fetched) return fetched;
  text = report::diff_text(diff, request);
  return Status::ok();
}

// The selection read from the fleet server (its query API cuts the range and
// applies the filters), as a store holding that window.
Status fetch_from_server(const std::string& url, const std::string& token_file,
                         const std::vector<std::string>& hosts,
                         const report::ReportRequest& request,
                         std::unique_ptr<store::StoreReader>& store) {
  server::FleetRequest fleet;
  if (Status made = fleet_request(url, token_file, hosts, request, fleet); !made) return made;
  Window window;
  const http::Entry* http = nullptr;
  if (Status loaded = load_http_module(http); !loaded) return loaded;
  if (Status fetched = http->fetch_fleet_window(fleet, window); !fetched) return fetched;
  store = server::window_store(std::move(window));
  return Status::ok();
}

}  // namespace

int report_command(Arguments& args) {
  report::ReportRequest request;
  std::string store_path, config_path, output, format_name, server_url, token_file;
  std::vector<std::string> hosts;
  while (auto flag = args.next_flag()) {
    if (*flag == "--help" || *flag == "-h") {
      std::fputs(kReportHelp, stdout);
      return 0;
    } else if (*flag == "--store") {
      store_path = args.value();
    } else if (*flag == "--config") {
      config_path = args.value();
    } else if (*flag == "--server") {
      server_url = args.value();
    } else if (*flag == "--token-file") {
      token_file = args.value();
    } else if (*flag == "--host") {
      hosts.push_back(args.value());
    } else if (*flag == "--from") {
      request.from = args.value();
    } else if (*flag == "--to") {
      request.to = args.value();
    } else if (*flag == "--pid") {
      request.filter.pids.push_back(static_cast<std::uint32_t>(args.number(1, 4194304)));
    } else if (*flag == "--process") {
      request.filter.processes.push_back(args.value());
    } else if (*flag == "--cmdline") {
      request.filter.cmdlines.push_back(args.value());
    } else if (*flag == "--thread") {
      request.filter.threads.push_back(args.value());
    } else if (*flag == "--container") {
      request.filter.containers.push_back(args.value());
    } else if (*flag == "--service") {
      request.filter.services.push_back(args.value());
    } else if (*flag == "--pod") {
      request.filter.pods.push_back(args.value());
    } else if (*flag == "--kind") {
      std::string name = args.value();
      std::string kind;
      Status parsed = report::parse_kind(name, kind);
      if (!args.failed() && !parsed) return command_failed("report", "--kind: " + parsed.message(), 2);
      request.filter.kinds.push_back(kind);
    } else if (*flag == "--label") {
      std::string label;
      Status parsed = report::parse_label(args.value(), label);
      if (!args.failed() && !parsed) return command_failed("report", "--label: " + parsed.message(), 2);
      request.filter.labels.push_back(label);
    } else if (*flag == "--format") {
      format_name = args.value();
    } else if (*flag == "--output") {
      output = args.value();
    } else if (*flag == "--diff") {
      request.diff = args.value();
    } else if (*flag == "--limit") {
      request.limit = args.number(0, 1'000'000);
    } else if (*flag == "--sort") {
      std::string by = args.value();
      if (!args.failed() && by != "self" && by != "total") {
        return command_failed("report", "--sort: '" + by + "' is neither self nor total", 2);
      }
      request.sort_by_total = by == "total";
    } else if (*flag == "--native") {
      request.native = true;
    } else if (*flag == "--flame") {
      request.flame = true;
    } else {
      return command_failed("report", "unknown option " + *flag + " (see ember report --help)", 2);
    }
  }
  if (args.failed()) return command_failed("report", args.error() + " (see ember report --help)", 2);

  // Times that cannot be read are a bad command line (exit 2), found before
  // the store is opened.
  const std::int64_t now = now_ns();
  std::int64_t time_ns = 0;
  for (const auto& [flag, text] : {std::pair{"--from", request.from}, {"--to", request.to}}) {
    if (text.empty()) continue;
    if (Status read = report::parse_time(text, now, time_ns); !read) {
      return command_failed("report", std::string(flag) + ": " + read.message(), 2);
    }
  }
  if (report::TimeRange diff; !request.diff.empty()) {
    if (Status read = report::parse_time_range(request.diff, now, diff); !read) {
      return command_failed("report", "--diff: " + read.message(), 2);
    }
  }

  if (!format_name.empty()) {
    Status parsed = report::parse_format(format_name, request.format);
    if (!parsed) return command_failed("report", "--format: " + parsed.message(), 2);
  } else if (!output.empty()) {
    if (!report::format_of_path(output, request.format)) request.format = report::ReportFormat::top;
  } else if (!isatty(STDOUT_FILENO) && request.diff.empty()) {
    request.format = report::ReportFormat::folded;
  }
  if (request.flame && request.format != report::ReportFormat::svg) {
    return command_failed("report", "--flame applies to the svg format only", 2);
  }
  if (request.format == report::ReportFormat::pprof && output.empty() && isatty(STDOUT_FILENO)) {
    return command_failed("report", "pprof is binary: write it to a file with --output FILE.pb.gz", 2);
  }

  if (server_url.empty() && (!hosts.empty() || !token_file.empty())) {
    return command_failed("report", "--host and --token-file go with --server (a local store has one host)", 2);
  }
  if (!server_url.empty() && (!store_path.empty() || !config_path.empty())) {
    return command_failed("report", "--server reads the fleet, --store and --config a local store: give one", 2);
  }
  if (server_url.empty()) {
    Status found = resolve_store_path(store_path, config_path, store_path);
    if (!found) return command_failed("report", found.message(), 2);
  }

  try {
    std::unique_ptr<store::StoreReader> store;
    std::string text;
    if (server_url.empty()) {
      Status opened = store::StoreReader::open(store_path, store);
      if (!opened) return command_failed("report", opened.message());
    } else if (request.format == report::ReportFormat::top && request.diff.empty()) {
      Status fetched = top_from_server(server_url, token_file, hosts, request, text);
      if (!fetched) return command_failed("report", fetched.message());
    } else if (!request.diff.empty()) {
      Status fetched = diff_from_server(server_url, token_file, hosts, request, now, text);
      if (!fetched) return command_failed("report", fetched.message());
    } else {
      Status fetched = fetch_from_server(server_url, token_file, hosts, request, store);
      if (!fetched) return command_failed("report", fetched.message());
    }
    if (store) {
      Status made = report::run_report(*store, request, now, text);
      if (!made) return command_failed("report", made.message());
    }
    if (output.empty()) {
      if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout)) {
        return command_failed("report", "cannot write to standard output");
      }
      return 0;
    }
    Status written = formats::write_file_atomically(output, text);
    if (!written) return command_failed("report", written.message());
    return 0;
  } catch (const std::exception& e) {
    return command_failed("report", e.what());
  }
}

}  // namespace ember::cli
