#include "metrics_downsampling.hpp"

#include <algorithm>
#include <unordered_map>

namespace ember::store {
namespace {

// The coarse step a fine step ending at `time_ns` falls in: (start, start + step].
std::int64_t step_index(std::int64_t time_ns, std::int64_t origin_ns, std::int64_t step_ns) {
  std::int64_t offset = time_ns - origin_ns - 1;
  return offset >= 0 ? offset / step_ns : -((-offset + step_ns - 1) / step_ns);
}

}  // namespace

void MetricsDownsampler::add_to(Step& step, std::int64_t time_ns, std::int64_t length_ns,
                                double share) const {
  step.time_ns = std::max(step.time_ns, time_ns);
  step.busy_ns += share * static_cast<double>(length_ns);
  step.length_ns += length_ns;
  step.plain_sum += share;
  ++step.count;
}

void MetricsDownsampler::add(std::int64_t window_start_ns, const std::vector<HostMetrics>& host,
                             const std::vector<ProcessMetrics>& processes) {
  std::int64_t previous = window_start_ns;
  for (const HostMetrics& m : host) {
    std::int64_t index = step_index(m.time_ns, origin_ns_, kRollupHostStepNs);
    auto [it, inserted] = host_.try_emplace(index);
    Step& step = it->second;
    if (inserted) step.gauge = m.memory_available_bytes;
    add_to(step, m.time_ns, std::max<std::int64_t>(0, m.time_ns - previous), m.cpu_utilization);
    step.gauge = std::min(step.gauge, m.memory_available_bytes);
    step.total_bytes = m.memory_total_bytes;
    previous = std::max(previous, m.time_ns);
  }
  std::unordered_map<std::uint32_t, std::int64_t> previous_of_pid;
  for (const ProcessMetrics& m : processes) {
    auto last = previous_of_pid.try_emplace(m.pid, window_start_ns).first;
    std::int64_t index = step_index(m.time_ns, origin_ns_, kRollupProcessStepNs);
    Step& step = processes_[{index, m.pid}];
    add_to(step, m.time_ns, std::max<std::int64_t>(0, m.time_ns - last->second), m.cpu_cores);
    step.gauge = std::max(step.gauge, m.rss_bytes);
    last->second = std::max(last->second, m.time_ns);
  }
}

namespace {

double mean_share(double busy_ns, std::int64_t length_ns, double plain_sum, std::uint32_t count) {
  if (length_ns > 0) return busy_ns / static_cast<double>(length_ns);
  return count ? plain_sum / count : 0;
}

}  // namespace

void MetricsDownsampler::finish(std::vector<HostMetrics>& host,
                                std::vector<ProcessMetrics>& processes) const {
  for (const auto& [index, s] : host_) {
    host.push_back(HostMetrics{s.time_ns, mean_share(s.busy_ns, s.length_ns, s.plain_sum, s.count),
                               s.total_bytes, s.gauge});
  }
  std::size_t first = processes.size();
  for (const auto& [key, s] : processes_) {
    processes.push_back(ProcessMetrics{
        s.time_ns, key.second, mean_share(s.busy_ns, s.length_ns, s.plain_sum, s.count), s.gauge});
  }
  std::stable_sort(processes.begin() + static_cast<std::ptrdiff_t>(first), processes.end(),
                   [](const ProcessMetrics& a, const ProcessMetrics& b) {
                     return std::pair(a.time_ns, a.pid) < std::pair(b.time_ns, b.pid);
                   });
}

}  // namespace ember::store
