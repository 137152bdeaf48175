// Samples taken off the ring buffer and captured (StackBuilder::capture: the
// parts that need their process alive), waiting to be named and counted. The
// reader captures every sample as it comes and names the queue in slices
// between reads of the ring, so a slow name (a binary's first DWARF lookups)
// does not hold back the capture of the samples behind it: by then a
// short-lived process may have exited and its interpreter's code objects
// be gone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "stack_builder.hpp"
#include "ember/window.hpp"
#include "process/process_table.hpp"

namespace ember {

struct PendingSample {
  std::shared_ptr<ProcessState> process;  // the entry that captured it
  std::uint32_t pid = 0;
  std::uint32_t tid = 0;
  std::uint64_t time_ns = 0;  // BPF time (CLOCK_MONOTONIC)
  char comm[EMBER_COMM_LEN] = {};
  CapturedStack stack;
  std::vector<Label> labels;
};

class PendingSamples {
 public:
  // At most `capacity` samples (about 1 KiB each) wait; the reader leaves
  // the ring alone while the queue is full.
  explicit PendingSamples(std::size_t capacity) : capacity_(capacity) {}

  bool empty() const { return queue_.empty(); }
  bool full() const { return queue_.size() >= capacity_; }
  std::size_t size() const { return queue_.size(); }
  std::size_t room() const { return full() ? 0 : capacity_ - queue_.size(); }

  // A new entry at the back, reusing a named one's buffers.
  PendingSample& push();
  PendingSample& front() { return queue_.front(); }
  void pop();
  // Takes back the last push() (its capture failed).
  void cancel_last();
  // Whether a sample of `pid` waits.
  bool holds(std::uint32_t pid) const;
  // The BPF time of the oldest sample waiting (0 when none).
  std::uint64_t oldest_time_ns() const { return queue_.empty() ? 0 : queue_.front().time_ns; }

 private:
  std::size_t capacity_;
  std::deque<PendingSample> queue_;
  std::vector<PendingSample> spare_;  // named entries kept for their buffers
};

}  // namespace ember
