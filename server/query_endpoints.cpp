#include "query_endpoints.hpp"

#include <exception>

#include "fleet_query.hpp"
#include "json_string.hpp"
#include "profile_format.hpp"
#include "report.hpp"
#include "report_filter.hpp"
#include "time_spec.hpp"

namespace ember::server {
namespace {

constexpr std::size_t kMaxValues = 64;
constexpr std::size_t kMaxValue = 512;

void append_list(std::string& out, const char* key, const std::vector<std::string>& values) {
  out += ",\"";
  out += key;
  out += "\":[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    formats::append_json_string(out, values[i]);
  }
  out += ']';
}

std::string seconds(std::int64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", static_cast<double>(ns) / 1e9);
  return text;
}

QueryAnswer storage_error(const FleetRead& read) {
  return query_error(read.unreachable ? 503 : 500, read.status.message());
}

}  // namespace

QueryAnswer query_error(int status, const std::string& message) {
  QueryAnswer answer;
  answer.status = status;
  answer.body = "{\"error\":{\"status\":" + std::to_string(status) + ",\"message\":";
  formats::append_json_string(answer.body, message);
  answer.body += "}}";
  return answer;
}

QueryAnswer summary_endpoint(const ClickHouse& clickhouse) {
  FleetSummary summary;
  if (FleetRead read = read_fleet_summary(clickhouse, summary); !read.status) {
    return storage_error(read);
  }
  QueryAnswer answer;
  answer.body = "{\"api_version\":1,\"windows\":" + std::to_string(summary.windows) +
                ",\"first\":" + (summary.windows ? seconds(summary.first_ns) : "null") +
                ",\"last\":" + (summary.windows ? seconds(summary.last_ns) : "null");
  append_list(answer.body, "hosts", summary.hosts);
  append_list(answer.body, "services", summary.services);
  append_list(answer.body, "processes", summary.processes);
  answer.body += '}';
  return answer;
}

QueryAnswer export_endpoint(const ClickHouse& clickhouse, const QueryParams& params,
                            std::int64_t now_ns) {
  FleetSelection selection;
  report::ReportFilter filter;
  std::string from, to, format_name = "pprof";
  std::map<std::string, std::size_t> seen;
  for (const auto& [key, value] : params) {
    if (++seen[key] > kMaxValues) return query_error(400, key + " is given more than 64 times");
    if (value.size() > kMaxValue) return query_error(400, key + "'s value is over 512 bytes");
    const bool single = key == "from" || key == "to" || key == "format";
    if (single && seen[key] > 1) return query_error(400, key + " is given more than once");
    if (key == "from") from = value;
    else if (key == "to") to = value;
    else if (key == "format") format_name = value;
    else if (key == "host") selection.hosts.push_back(value);
    else if (key == "service") selection.services.push_back(value), filter.services.push_back(value);
    else if (key == "process") selection.processes.push_back(value), filter.processes.push_back(value);
    else if (key == "container") filter.containers.push_back(value);
    else if (key == "pod") filter.pods.push_back(value);
    else if (key == "cmdline") filter.cmdlines.push_back(value);
    else if (key == "thread") filter.threads.push_back(value);
    else if (key == "label") {
      std::string label;
      if (Status parsed = report::parse_label(value, label); !parsed) {
        return query_error(400, "label: " + parsed.message());
      }
      filter.labels.push_back(label);
    } else if (key == "kind") {
      std::string kind;
      if (Status parsed = report::parse_kind(value, kind); !parsed) {
        return query_error(400, "kind: " + parsed.message());
      }
      filter.kinds.push_back(kind);
    } else if (key == "pid") {
      char* end = nullptr;
      const unsigned long pid = std::strtoul(value.c_str(), &end, 10);
      if (value.empty() || *end || pid == 0 || pid > 0xffffffffUL) {
        return query_error(400, "pid: '" + value + "' is not a process id");
      }
      filter.pids.push_back(static_cast<std::uint32_t>(pid));
    } else {
      return query_error(400, "unknown parameter '" + key + "'");
    }
  }
  formats::ProfileFormat format;
  if (!formats::profile_format_of_name(format_name, format)) {
    return query_error(400, "format: '" + format_name + "' is not one of " +
                                std::string(formats::kProfileFormatNames));
  }
  for (auto [name, text, field] : {std::tuple{"from", &from, &selection.from_ns},
                                   {"to", &to, &selection.to_ns}}) {
    if (text->empty()) continue;
    if (Status parsed = report::parse_time(*text, now_ns, *field); !parsed) {
      return query_error(400, std::string(name) + ": " + parsed.message());
    }
  }
  if (to.empty()) selection.to_ns = 0;
  if (selection.to_ns && selection.to_ns <= selection.from_ns) {
    return query_error(400, "the range ends before it starts");
  }

  Window window;
  if (FleetRead read = read_fleet_window(clickhouse, selection, window); !read.status) {
    return storage_error(read);
  }
  if (!filter.empty()) window = report::apply_filter(window, filter);
  if (window.samples.empty()) {
    std::string what = filter.describe();
    for (const std::string& host : selection.hosts) {
      what += (what.empty() ? "--host " : " --host ") + host;
    }
    return query_error(404, "no samples in the range" +
                                (what.empty() ? std::string() : " for " + what));
  }
  QueryAnswer answer;
  try {
    answer.body = formats::render_profile(format, window);
  } catch (const std::exception& e) {
    return query_error(500, e.what());
  }
  answer.content_type = format == formats::ProfileFormat::pprof ? "application/octet-stream"
                        : format == formats::ProfileFormat::svg ? "image/svg+xml"
                        : format == formats::ProfileFormat::speedscope ? "application/json"
                                                                       : "text/plain; charset=utf-8";
  return answer;
}

}  // namespace ember::server
