// Host and per-process utilisation at a fixed step (default 1 s), read from
// procfs: /proc/stat and /proc/meminfo for the host, /proc/PID/stat (CPU
// time and RSS in one read) for each process the profile holds. The agent
// calls step() from its loop and take() when a window closes; a step costs
// two reads plus one per process, so it never competes with the ring buffer.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "ember/window.hpp"
#include "procfs_parsers.hpp"

namespace ember {

class MetricsCollector {
 public:
  // `proc_root` is "/proc" but for tests.
  explicit MetricsCollector(std::string proc_root = "/proc");

  // Remembers a process' CPU time now, so its first step has a base (called
  // when the agent first sees the process).
  void track(std::uint32_t pid, std::int64_t monotonic_ns);

  // One step ending now: host metrics (from the second step on: the first
  // sets the CPU base), and CPU (cores busy since the last
  // step, or since track()) and RSS for each of `pids`. Processes that
  // vanished are forgotten; those without a base get one and no entry, and
  // so do those whose base is younger than kMinProcessStepTicks (tick
  // rounding would dominate: their next step spans from the same base).
  void step(std::int64_t realtime_ns, std::int64_t monotonic_ns,
            std::span<const std::uint32_t> pids);

  // The steps since the last take(), oldest first.
  void take(std::vector<HostMetrics>& host, std::vector<ProcessMetrics>& processes);

  // Forgets the bases of processes not stepped since the last call.
  void forget_unseen();

 private:
  struct Base {
    std::uint64_t cpu_ticks = 0;
    std::int64_t monotonic_ns = 0;
    bool seen = true;
  };
  bool read_pid(std::uint32_t pid, PidStat& out);

  // One tick of rounding is at most a tenth of a core over this many ticks.
  static constexpr int kMinProcessStepTicks = 10;

  std::string proc_root_;
  double ticks_per_second_;
  std::uint64_t page_size_;
  std::int64_t min_process_step_ns_;
  bool have_cpu_ = false;
  CpuTimes last_cpu_;
  std::unordered_map<std::uint32_t, Base> bases_;
  std::vector<HostMetrics> host_;
  std::vector<ProcessMetrics> processes_;
  std::string buffer_;
};

}  // namespace ember
