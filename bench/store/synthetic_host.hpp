// A synthetic host for the store benchmark: ~50 processes with their own code
// (function pools, a fixed population of call stacks each with Zipf-shaped
// popularity), threads, containers, and per-second metrics. Each window draws
// its samples from that population, so stacks recur across windows as on a
// real host and the store's deduplication is exercised as in production.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ember/window.hpp"

namespace ember::bench {

struct HostShape {
  int processes = 50;
  int threads_per_process = 4;
  int functions_per_process = 1500;
  int stacks_per_process = 3000;  // distinct call paths a process can be caught in
  double busy_cpus = 2.0;         // average CPUs busy: samples = Hz * seconds * busy_cpus
  int frequency_hz = 99;
  int window_seconds = 60;
  int metrics_step_seconds = 1;
  int short_lived_per_window = 1;  // cron-like processes: a new pid each window
};

class SyntheticHost {
 public:
  explicit SyntheticHost(const HostShape& shape, std::uint64_t seed = 1);
  // The window starting at start_ns (windows are built in order).
  Window window(std::int64_t start_ns, int index);

 private:
  struct Process {
    ProcessInfo info;
    std::vector<std::uint32_t> tids;
    std::vector<std::vector<std::uint32_t>> stacks;  // indices into frames_, root first
    std::vector<double> stack_cdf;           // Zipf popularity of the paths
    double cpu = 0.5;
    std::uint64_t rss = 100ULL << 20;
  };

  Process make_process(std::uint32_t pid, const std::string& comm);
  std::size_t pick(const std::vector<double>& cdf);

  HostShape shape_;
  std::mt19937_64 random_;
  std::uint32_t add_frame(Frame frame);

  std::vector<Frame> frames_;  // every frame of the host
  std::vector<std::uint32_t> kernel_frames_, libc_frames_;
  std::map<std::string, std::vector<std::uint32_t>> functions_of_comm_;
  std::vector<Process> processes_;
  std::vector<double> process_cdf_;
  std::uint32_t next_pid_ = 1000;
};

}  // namespace ember::bench
