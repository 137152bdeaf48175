// Loads the BPF sampler, attaches it to every online CPU and the process
// tracepoints, and drains its ring buffer. The one place where the config
// meets the kernel: every tunable is set in open() between open and load.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ember/status.hpp"
#include "ring_reader.hpp"

struct sampler_bpf;
struct bpf_link;

namespace ember {

struct SamplerOptions {
  std::uint32_t frequency_hz = 99;
  std::string event = "cpu-clock";  // or "cycles"
  std::uint32_t ring_buffer_kib = 1024;
  std::uint32_t stack_snapshot_bytes = 16384;  // processes flagged EMBER_PROCESS_STACK_SNAPSHOT
  std::uint32_t leaf_snapshot_bytes = 1024;    // every other process
  std::vector<std::uint32_t> pids;             // empty: every process
  bool follow_forks = false;                   // the pids' descendants too
};

struct SamplerStats {
  std::uint64_t samples = 0;
  std::uint64_t lost = 0;
  std::uint64_t skipped_self = 0;
  std::uint64_t tail_call_failed = 0;
  std::uint64_t events_lost = 0;
  // Samples of processes on the full snapshot that got the leaf copy: the
  // ring was over half full.
  std::uint64_t snapshots_cut = 0;
  // Samples of other processes that got no leaf copy: the ring was over
  // three quarters full.
  std::uint64_t leaf_copies_dropped = 0;
};

class Sampler {
 public:
  // Called for each record in the ring buffer (sample or process event).
  using RecordHandler = std::function<void(const void* data, std::size_t size)>;

  // Loads the programs and attaches the process tracepoints; sampling
  // starts with start(), once runtime plugins could attach.
  static Status open(const SamplerOptions& options, std::unique_ptr<Sampler>& out);
  ~Sampler();

  // Attaches the sampling program to every online CPU.
  Status start();

  // Detaches it: no sample is submitted after this returns, so a last poll()
  // drains every one (stats() then counts no sample the reader missed).
  void stop();

  // Waits up to timeout_ms for records, then hands over those in the ring,
  // at most `max_records` (the rest wait for the next call).
  Status poll(int timeout_ms, const RecordHandler& handler, std::size_t max_records = SIZE_MAX);
  // Whether records wait in the ring.
  bool has_records() const { return ring_->has_records(); }

  // Attaches to CPUs that came online since the last call (CPU hotplug).
  void attach_new_cpus();

  SamplerStats stats() const;
  // The ring buffer's size (see ring_bytes_for).
  std::uint32_t ring_bytes() const { return ring_bytes_; }
  int map_fd(std::string_view name) const;
  // Puts a runtime plugin's program into the next free ember_programs slot.
  Status add_program(int program_fd, std::uint32_t& slot);
  // Empties the slot and routes the pids that tail-called it to none (a
  // runtime plugin disabled by a reload while the sampler runs).
  void remove_program(std::uint32_t slot);
  Status set_process_program(std::uint32_t pid, std::uint32_t slot);
  Status set_process_flags(std::uint32_t pid, std::uint32_t flags, bool on);
  // While on, a process starts with EMBER_PROCESS_STACK_SNAPSHOT at exec (and
  // at a fork from one that has it), until a runtime plugin judges it: set
  // while a plugin unwinds user stacks and so clears the flag where it is
  // not needed.
  void set_snapshot_new_processes(bool on);
  void forget_process(std::uint32_t pid);

 private:
  Sampler() = default;
  Status attach_cpu(int cpu);
  Status set_program(std::uint32_t slot, int program_fd);

  SamplerOptions options_;
  sampler_bpf* skeleton_ = nullptr;
  std::unique_ptr<RingReader> ring_;
  std::vector<bpf_link*> links_;      // process tracepoints
  std::vector<bpf_link*> cpu_links_;  // the sampling program on each CPU
  std::set<int> attached_cpus_;
  std::uint32_t next_program_slot_ = 1;  // slot 0 is ember_submit
  std::set<std::uint32_t> used_program_slots_;
  std::uint32_t ring_bytes_ = 0;
  bool stopped_ = false;
};

}  // namespace ember
