// The query string of an API request, read key by key like the config: a
// value too long, a repeated key that takes one value, a number out of range
// or a key no endpoint knows is a 400 whose message names the key.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ember/status.hpp"
#include "report_filter.hpp"
#include "store_reader.hpp"
#include "time_spec.hpp"

namespace ember::ui {

using Params = std::multimap<std::string, std::string>;  // httplib::Params

inline constexpr std::size_t kMaxValueBytes = 512;
inline constexpr std::size_t kMaxValuesPerKey = 64;
inline constexpr std::size_t kMaxPathValues = 512;  // a flame graph path, one per level

class ApiQuery {
 public:
  explicit ApiQuery(const Params& params) : params_(params) {}

  // The one value of `key`, or `fallback` when absent.
  std::string text(const std::string& key, const std::string& fallback = "");
  // Every value of `key`, in order.
  std::vector<std::string> texts(const std::string& key);
  // Every value of `key`, in order, up to kMaxPathValues: a path in the
  // flame graph, one name per level.
  std::vector<std::string> path(const std::string& key);
  std::int64_t number(const std::string& key, std::int64_t min, std::int64_t max,
                      std::int64_t fallback);
  // pid, process, service, container, pod, kind, label, cmdline, thread: as
  // `ember report`'s flags (report_filter.hpp), each repeatable; with
  // `prefix` ("base_"), base_pid, base_process, ...
  report::ReportFilter filter(const std::string& prefix = "");
  // `view`: "runtime" (the default, as ember report: runtime_view.hpp) or
  // "native" (every native frame); true for native.
  bool native_view();
  // `from` and `to` (ember report's --from/--to texts, with the same
  // defaults: the oldest window, now) with the given prefix ("", "base_").
  report::TimeRange range(const store::StoreSummary& summary, std::int64_t now_ns,
                          const std::string& prefix = "");

  // The first problem, once every key was read: a bad value, or a key that
  // was never asked for.
  Status finish();
  bool failed() const { return !error_.empty(); }

 private:
  std::vector<std::string> values(const std::string& key, std::size_t max_values);
  void fail(const std::string& message) {
    if (error_.empty()) error_ = message;
  }

  const Params& params_;
  std::set<std::string> read_;
  std::string error_;
};

}  // namespace ember::ui
