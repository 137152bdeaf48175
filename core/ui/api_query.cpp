#include "api_query.hpp"

#include <charconv>

#include "report.hpp"

namespace ember::ui {

std::vector<std::string> ApiQuery::texts(const std::string& key) {
  return values(key, kMaxValuesPerKey);
}

std::vector<std::string> ApiQuery::path(const std::string& key) {
  return values(key, kMaxPathValues);
}

std::vector<std::string> ApiQuery::values(const std::string& key, std::size_t max_values) {
  read_.insert(key);
  std::vector<std::string> out;
  auto [first, last] = params_.equal_range(key);
  for (auto it = first; it != last; ++it) {
    if (out.size() == max_values) {
      fail(key + ": more than " + std::to_string(max_values) + " values");
      break;
    }
    if (it->second.size() > kMaxValueBytes) {
      fail(key + ": longer than " + std::to_string(kMaxValueBytes) + " bytes");
      break;
    }
    out.push_back(it->second);
  }
  return out;
}

std::string ApiQuery::text(const std::string& key, const std::string& fallback) {
  std::vector<std::string> values = texts(key);
  if (values.size() > 1) fail(key + ": given " + std::to_string(values.size()) + " times, takes one value");
  return values.empty() ? fallback : values.front();
}

std::int64_t ApiQuery::number(const std::string& key, std::int64_t min, std::int64_t max,
                              std::int64_t fallback) {
  std::string value = text(key);
  if (value.empty()) return fallback;
  std::int64_t number = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (error != std::errc() || end != value.data() + value.size() || number < min ||
      number > max) {
    fail(key + ": expected a whole number from " + std::to_string(min) + " to " +
         std::to_string(max) + ", got \"" + value + "\"");
    return fallback;
  }
  return number;
}

report::ReportFilter ApiQuery::filter(const std::string& prefix) {
  report::ReportFilter filter;
  for (const std::string& pid : texts(prefix + "pid")) {
    std::uint32_t value = 0;
    auto [end, error] = std::from_chars(pid.data(), pid.data() + pid.size(), value);
    // Up to 2^32-1, not the kernel's 4194304: the fleet server numbers a
    // second host's process with a pid another host has above that.
    if (error != std::errc() || end != pid.data() + pid.size() || value == 0) {
      fail(prefix + "pid: expected a process id from 1 to 4294967295, got \"" + pid + "\"");
    }
    filter.pids.push_back(value);
  }
  filter.processes = texts(prefix + "process");
  filter.services = texts(prefix + "service");
  filter.containers = texts(prefix + "container");
  filter.pods = texts(prefix + "pod");
  for (const std::string& name : texts(prefix + "kind")) {
    std::string kind;
    Status parsed = report::parse_kind(name, kind);
    if (!parsed) fail(prefix + "kind: " + parsed.message());
    filter.kinds.push_back(kind);
  }
  filter.cmdlines = texts(prefix + "cmdline");
  filter.threads = texts(prefix + "thread");
  for (const std::string& text : texts(prefix + "label")) {
    std::string label;
    Status parsed = report::parse_label(text, label);
    if (!parsed) fail(prefix + "label: " + parsed.message());
    filter.labels.push_back(label);
  }
  return filter;
}

bool ApiQuery::native_view() {
  std::string view = text("view", "runtime");
  if (view != "runtime" && view != "native") {
    fail("view: expected runtime or native, got \"" + view + "\"");
  }
  return view == "native";
}

report::TimeRange ApiQuery::range(const store::StoreSummary& summary, std::int64_t now_ns,
                                  const std::string& prefix) {
  std::string from = text(prefix + "from"), to = text(prefix + "to");
  report::TimeRange range;
  Status resolved = report::resolve_range(summary, from, to, now_ns, range);
  if (!resolved) {
    // resolve_range speaks of the CLI's flags: name the query's keys instead.
    std::string message = resolved.message();
    if (message.rfind("--", 0) == 0) message = prefix + message.substr(2);
    fail(message);
  }
  return range;
}

Status ApiQuery::finish() {
  for (const auto& [key, value] : params_) {
    if (!read_.count(key)) fail("unknown parameter '" + key + "'");
  }
  return error_.empty() ? Status::ok() : Status::error(error_);
}

}  // namespace ember::ui
