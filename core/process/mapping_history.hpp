// The executable mappings of processes exec'd while the agent runs, as the
// kernel reported them when they were made (perf mmap records): what a
// short-lived program mapped is known after it exited, when its
// /proc/PID/maps is gone before the agent's first look.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "ember/proc_maps.hpp"

namespace ember {

// One program image: what a process mapped executable since its last exec.
struct ExecImage {
  std::uint64_t exec_ns = 0;  // CLOCK_MONOTONIC, as the sampler's timestamps
  std::uint64_t exit_ns = 0;  // 0 while it runs
  std::string exe;            // the first file it mapped executable: the program
  std::vector<Mapping> mappings;  // sorted, not overlapping
};

class MappingHistory {
 public:
  // Bounds: a host exec'ing faster than the agent forgets still has the
  // images of the latest processes; one process mapping code without end (a
  // JIT) stops adding at kMaxMappings.
  static constexpr std::size_t kMaxImages = 4096;
  static constexpr std::size_t kMaxMappings = 512;

  // pid exec'd: what it mapped before is gone.
  void on_exec(std::uint32_t pid, std::uint64_t time_ns);
  // pid mapped `mapping` executable (over whatever was at those addresses).
  // Processes not exec'd since the start are not followed: /proc has them.
  void on_mmap(std::uint32_t pid, const Mapping& mapping);
  void on_exit(std::uint32_t pid, std::uint64_t time_ns);

  // Forgets images of processes that exited before `exited_before_ns` and of
  // those exec'd before `execd_before_ns` (by then /proc was read for any
  // sample of theirs).
  void forget(std::uint64_t exited_before_ns, std::uint64_t execd_before_ns);

  // The image pid runs since its last exec, or nullptr.
  const ExecImage* image(std::uint32_t pid) const;
  std::size_t size() const { return images_.size(); }

 private:
  std::unordered_map<std::uint32_t, ExecImage> images_;
};

// Puts `mapping` into the sorted, non-overlapping `mappings`, cutting what
// it covers out of those it overlaps (as mmap over them does).
void insert_mapping(std::vector<Mapping>& mappings, const Mapping& mapping);

}  // namespace ember
