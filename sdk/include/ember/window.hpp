// A closed aggregation window: what sinks receive.
#pragma once

#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ember/frame.hpp"

namespace ember {

struct ProcessInfo {
  std::uint32_t pid = 0;
  std::string comm;          // kernel task name of the group leader
  std::string exe;           // path of the executable as the process sees it
  std::string cmdline;       // arguments joined by spaces
  std::string container_id;  // from the cgroup path, empty on the host
  std::uint64_t cgroup_id = 0;
  std::int64_t exit_time_ns = 0;  // wall clock; 0 while running
  std::string container_name;     // when the container runtime's state says so
  std::string pod_uid;            // Kubernetes pod, from the cgroup path
  std::string service;            // label from the config's service rules, or empty
  std::string pod_name;  // Kubernetes pod: the runtime's state files, else HOSTNAME (ABI 4)
  // Which of the processes that had this pid (ABI 6.4): a window read from
  // a store over a range in which the pid was reused by another program
  // holds one ProcessInfo per program, 0 the newest, 1 and up the others.
  // A sample is of the process with its pid and instance. Since ABI 6.5 a
  // window the agent closes does too, for a pid that ran two programs in it
  // (a shell's child before and after its exec, a pid reused); sinks built
  // for an older minor get one process per pid, as before.
  std::uint32_t instance = 0;
};

struct ThreadInfo {
  std::uint32_t pid = 0;
  std::uint32_t tid = 0;
  std::string name;  // comm of the thread at its last sample
};

// A key/value label a runtime plugin attaches to a sample (ABI 5): a
// goroutine's or thread's name, a request's route.
struct Label {
  std::string key;
  std::string value;

  auto operator<=>(const Label&) const = default;
};

// Samples of one stack in one thread (with one set of labels).
struct StackCount {
  std::uint32_t stack = 0;  // index into Window::stacks
  std::uint32_t pid = 0;
  std::uint32_t tid = 0;
  std::uint64_t count = 0;
  std::uint32_t labels = 0;  // 1 + index into Window::label_sets; 0: none (ABI 5)
  std::uint32_t instance = 0;  // ProcessInfo::instance of its process (ABI 6.4)
};

// Host utilisation over one metrics step (default 1 s) ending at time_ns.
struct HostMetrics {
  std::int64_t time_ns = 0;         // wall clock, end of the step
  double cpu_utilization = 0;       // busy share of all CPUs, 0..1
  std::uint64_t memory_total_bytes = 0;
  std::uint64_t memory_available_bytes = 0;  // MemAvailable
};

// One profiled process over one metrics step ending at time_ns.
struct ProcessMetrics {
  std::int64_t time_ns = 0;
  std::uint32_t pid = 0;
  double cpu_cores = 0;             // CPU time / step: 1.0 = one core busy
  std::uint64_t rss_bytes = 0;
};

struct Window {
  std::int64_t start_ns = 0;  // wall clock (CLOCK_REALTIME), inclusive
  std::int64_t end_ns = 0;    // exclusive
  std::uint32_t frequency_hz = 0;
  std::vector<Frame> frames;                        // deduplicated
  std::vector<std::vector<std::uint32_t>> stacks;   // frame indices, root first
  std::vector<StackCount> samples;
  std::vector<ProcessInfo> processes;               // every pid in samples
  std::vector<ThreadInfo> threads;                  // every (pid, tid) in samples
  std::uint64_t lost_samples = 0;                   // dropped by a full ring buffer
  std::string host;                                 // hostname of the agent
  std::vector<HostMetrics> host_metrics;            // one per step, oldest first
  std::vector<ProcessMetrics> process_metrics;      // per step and profiled pid
  // The registered kinds among `frames`, with their colors (ABI 5): a sink
  // colors a kind it has never heard of. Built-in kinds may be absent.
  std::vector<FrameKindColor> frame_kinds;
  // The distinct label sets of `samples`, each sorted by key then value (ABI 5).
  std::vector<std::vector<Label>> label_sets;

  std::uint64_t total_samples() const {
    std::uint64_t total = 0;
    for (const auto& s : samples) total += s.count;
    return total;
  }

  // The labels of a sample (empty for none).
  std::span<const Label> labels_of(const StackCount& sample) const {
    if (sample.labels == 0 || sample.labels > label_sets.size()) return {};
    return label_sets[sample.labels - 1];
  }

  // The display color of `kind` ("#rrggbb"): this window's, else the
  // built-in one, else empty (a kind nobody registered).
  std::string_view kind_color(std::string_view kind) const {
    for (const FrameKindColor& k : frame_kinds) {
      if (k.kind == kind) return k.color;
    }
    const char* builtin = builtin_frame_kind_color(kind);
    return builtin ? builtin : std::string_view();
  }
};

}  // namespace ember
