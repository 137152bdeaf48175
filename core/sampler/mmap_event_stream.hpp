// The kernel's record of every executable mapping made, every exec and every
// exit, as they happen: a software dummy perf event per CPU with mmap2,
// comm_exec and task records (no kprobes, nothing sampled). The agent learns a
// process' mappings from /proc when it first meets the process; a program
// that lives a millisecond is often gone by then, and these records are
// what is left of its mappings. Drained by the worker, not the ring reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ember/status.hpp"
#include "process/mapping_history.hpp"

namespace ember {

class MmapEventStream {
 public:
  // Per-CPU ring: records of ~300 execs a second (~1.3 KiB each) for ~100 ms
  // of a worker busy elsewhere.
  static constexpr std::size_t kRingPages = 32;

  // Opens the event on every online CPU.
  static Status open(std::unique_ptr<MmapEventStream>& out);
  ~MmapEventStream();
  MmapEventStream(const MmapEventStream&) = delete;
  MmapEventStream& operator=(const MmapEventStream&) = delete;

  // Moves the records waiting in the rings into the history, in time order.
  void drain();
  // The image pid runs since its last exec (drained first), or nullptr.
  const ExecImage* image(std::uint32_t pid);
  // See MappingHistory::forget.
  void forget(std::uint64_t exited_before_ns, std::uint64_t execd_before_ns) {
    history_.forget(exited_before_ns, execd_before_ns);
  }
  // Records the kernel dropped because a ring was full.
  std::uint64_t lost() const { return lost_; }
  std::size_t images() const { return history_.size(); }

 private:
  struct Ring {
    int fd = -1;
    void* base = nullptr;
    std::size_t bytes = 0;
  };
  // One record worth keeping, parsed, until the rings' records are sorted.
  struct Event {
    enum class Kind { exec, mmap, exit } kind;
    std::uint32_t pid = 0;
    std::uint64_t time_ns = 0;
    Mapping mapping;  // kind == mmap
  };

  MmapEventStream() = default;
  void read_ring(Ring& ring);
  void parse(const unsigned char* record, std::size_t size);

  std::vector<Ring> rings_;
  std::vector<Event> events_;
  std::vector<unsigned char> wrapped_;  // a record split by the ring's end
  MappingHistory history_;
  std::uint64_t lost_ = 0;
};

}  // namespace ember
