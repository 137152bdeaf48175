#include "metrics_collector.hpp"

#include <unistd.h>

#include "ember/text_file.hpp"

namespace ember {

MetricsCollector::MetricsCollector(std::string proc_root)
    : proc_root_(std::move(proc_root)),
      ticks_per_second_(static_cast<double>(sysconf(_SC_CLK_TCK))),
      page_size_(static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE))),
      min_process_step_ns_(
          static_cast<std::int64_t>(kMinProcessStepTicks * 1e9 / ticks_per_second_)) {}

bool MetricsCollector::read_pid(std::uint32_t pid, PidStat& out) {
  buffer_.clear();
  if (!read_text_file(proc_root_ + "/" + std::to_string(pid) + "/stat", buffer_)) return false;
  return parse_pid_stat(buffer_, out);
}

void MetricsCollector::track(std::uint32_t pid, std::int64_t monotonic_ns) {
  PidStat stat;
  if (read_pid(pid, stat)) bases_[pid] = Base{stat.cpu_ticks, monotonic_ns, true};
}

void MetricsCollector::step(std::int64_t realtime_ns, std::int64_t monotonic_ns,
                            std::span<const std::uint32_t> pids) {
  HostMetrics host;
  host.time_ns = realtime_ns;
  buffer_.clear();
  CpuTimes cpu;
  const bool first = !have_cpu_;
  if (read_text_file(proc_root_ + "/stat", buffer_) && parse_proc_stat(buffer_, cpu)) {
    if (have_cpu_ && cpu.total > last_cpu_.total) {
      host.cpu_utilization =
          double(cpu.busy - last_cpu_.busy) / double(cpu.total - last_cpu_.total);
    }
    last_cpu_ = cpu;
    have_cpu_ = true;
  }
  buffer_.clear();
  MemoryInfo memory;
  if (read_text_file(proc_root_ + "/meminfo", buffer_) && parse_meminfo(buffer_, memory)) {
    host.memory_total_bytes = memory.total_bytes;
    host.memory_available_bytes = memory.available_bytes;
  }
  if (!first) host_.push_back(host);  // the first step only sets the CPU base

  for (std::uint32_t pid : pids) {
    PidStat stat;
    if (!read_pid(pid, stat)) {
      bases_.erase(pid);  // exited
      continue;
    }
    auto [it, is_new] = bases_.try_emplace(pid, Base{stat.cpu_ticks, monotonic_ns, true});
    Base& base = it->second;
    base.seen = true;
    if (is_new) continue;
    std::int64_t elapsed = monotonic_ns - base.monotonic_ns;
    // CPU time moves in whole ticks: over a sliver of a step (a process first
    // seen just before it) one tick would read as several cores. Keep the
    // base; the next step measures the longer span.
    if (elapsed < min_process_step_ns_) continue;
    if (stat.cpu_ticks >= base.cpu_ticks) {
      ProcessMetrics metrics;
      metrics.time_ns = realtime_ns;
      metrics.pid = pid;
      metrics.cpu_cores =
          double(stat.cpu_ticks - base.cpu_ticks) / ticks_per_second_ / (double(elapsed) / 1e9);
      metrics.rss_bytes = stat.rss_pages * page_size_;
      processes_.push_back(metrics);
    }
    base.cpu_ticks = stat.cpu_ticks;
    base.monotonic_ns = monotonic_ns;
  }
}

void MetricsCollector::take(std::vector<HostMetrics>& host,
                            std::vector<ProcessMetrics>& processes) {
  host = std::move(host_);
  processes = std::move(processes_);
  host_.clear();
  processes_.clear();
}

void MetricsCollector::forget_unseen() {
  for (auto it = bases_.begin(); it != bases_.end();) {
    if (!it->second.seen) {
      it = bases_.erase(it);
    } else {
      it->second.seen = false;
      ++it;
    }
  }
}

}  // namespace ember
