// GET /api/v1/timeline: the host's CPU and memory and the selection's CPU and
// RSS over the range, in at most `points` steps (the store's metrics steps
// averaged, memory at its highest), for the charts. A step with no metrics
// is null, so a chart shows a gap rather than a drop to zero.
#include <algorithm>
#include <map>
#include <set>

#include "endpoints.hpp"
#include "report_filter.hpp"

namespace ember::ui {
namespace {

constexpr std::int64_t kSecondNs = 1'000'000'000;

struct Bucket {
  double cpu_sum = 0;
  std::uint32_t cpu_count = 0;
  std::uint64_t memory = 0;  // highest
  bool seen = false;

  void add(double cpu, std::uint64_t bytes) {
    cpu_sum += cpu;
    ++cpu_count;
    memory = std::max(memory, bytes);
    seen = true;
  }
};

void write_series(JsonWriter& json, const std::vector<Bucket>& buckets, const char* cpu_key,
                  const char* memory_key) {
  json.key(cpu_key).begin_array();
  for (const Bucket& b : buckets) b.seen ? json.value(b.cpu_sum / b.cpu_count) : json.null();
  json.end_array();
  json.key(memory_key).begin_array();
  for (const Bucket& b : buckets) b.seen ? json.value(b.memory) : json.null();
  json.end_array();
}

}  // namespace

ApiResponse timeline_endpoint(ApiRequest& request) {
  ApiQuery& query = request.query;
  Selection selected = selection_of(request, false);
  const report::TimeRange& range = selected.range;
  const report::ReportFilter& filter = selected.filter;
  std::int64_t points = query.number("points", 2, 2000, 300);
  if (auto bad = rejected(query)) return *bad;

  // Without a filter only the metrics are drawn: no samples need reading;
  // with one, threads only when it names some.
  SharedWindow read;
  Status status = read_range(request, range, read, nullptr,
                             filter.empty()             ? ReadDetail::metrics
                             : filter.threads.empty()   ? ReadDetail::processes
                                                        : ReadDetail::threads);
  if (!status) return error_response(500, status.message());
  const Window& window = *read;

  std::int64_t span = range.to_ns - range.from_ns;
  std::int64_t step = std::max<std::int64_t>(kSecondNs, (span + points - 1) / points);
  std::size_t count = static_cast<std::size_t>((span + step - 1) / step);
  auto index_of = [&](std::int64_t time_ns) -> std::optional<std::size_t> {
    if (time_ns < range.from_ns ||
        time_ns >= range.from_ns + static_cast<std::int64_t>(count) * step) {
      return std::nullopt;
    }
    return static_cast<std::size_t>((time_ns - range.from_ns) / step);
  };

  std::vector<Bucket> host(count), selection(count);
  for (const HostMetrics& m : window.host_metrics) {
    if (auto i = index_of(m.time_ns)) {
      std::uint64_t used = m.memory_total_bytes > m.memory_available_bytes
                               ? m.memory_total_bytes - m.memory_available_bytes
                               : 0;
      host[*i].add(m.cpu_utilization, used);
    }
  }
  std::set<std::uint32_t> pids;
  bool everything = filter.empty();
  if (!everything) pids = report::selected_pids(window, filter);
  // The selection's processes summed per metrics step, then the steps averaged.
  std::map<std::int64_t, std::pair<double, std::uint64_t>> per_step;
  for (const ProcessMetrics& m : window.process_metrics) {
    if (!everything && !pids.count(m.pid)) continue;
    auto& [cpu, rss] = per_step[m.time_ns];
    cpu += m.cpu_cores;
    rss += m.rss_bytes;
  }
  for (const auto& [time_ns, step_sum] : per_step) {
    if (auto i = index_of(time_ns)) selection[*i].add(step_sum.first, step_sum.second);
  }

  JsonWriter json;
  json.begin_object();
  json.field("from", seconds_of(range.from_ns)).field("to", seconds_of(range.to_ns));
  json.field("step", static_cast<double>(step) / kSecondNs);
  json.key("time").begin_array();
  for (std::size_t i = 0; i < count; ++i) {
    json.value(seconds_of(range.from_ns + static_cast<std::int64_t>(i) * step));
  }
  json.end_array();
  json.key("host").begin_object();
  write_series(json, host, "cpu_utilization", "memory_used_bytes");
  json.end_object();
  json.key("selection").begin_object();
  json.field("processes",
             static_cast<std::uint64_t>(everything ? window.processes.size() : pids.size()));
  write_series(json, selection, "cpu_cores", "rss_bytes");
  json.end_object();
  json.end_object();
  return json_response(json);
}

}  // namespace ember::ui
