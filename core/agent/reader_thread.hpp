// The thread that drains the sampler's ring buffer: it copies each record
// into the agent's RecordQueue and does nothing else, so no attach, probe,
// /proc read or symbolization on the agent's worker ever keeps the ring from
// being read. A record the queue has no room for is counted by kind (the
// worker is that far behind) and reported with the ring buffer's own losses.
// It runs at the reader's [agent] priority, real-time one level above the
// worker (set_ring_reader_priority).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "ember/status.hpp"
#include "record_queue.hpp"
#include "sampler/sampler.hpp"

namespace ember {

// Records the queue had no room for, by kind; kept by the agent across the
// reader threads of its samplers (a reload may replace the sampler).
struct QueueDrops {
  std::atomic<std::uint64_t> samples{0};
  std::atomic<std::uint64_t> events{0};
};

class ReaderThread {
 public:
  // Starts reading `sampler`'s ring into `queue`, counting into `drops` (all
  // three outlive the thread).
  ReaderThread(Sampler& sampler, RecordQueue& queue, QueueDrops& drops,
               const std::string& priority);
  ~ReaderThread() { stop(); }
  ReaderThread(const ReaderThread&) = delete;
  ReaderThread& operator=(const ReaderThread&) = delete;

  // Ends the thread after one last read of the ring: once the sampler has
  // stopped, every record it submitted is then queued or counted dropped.
  void stop();

  // Set when reading the ring failed (the thread has ended); `error()` says why.
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  Status error() const;

  // The longest read of the ring (a poll, its wait included) since the last
  // call, in ns: beyond the poll's few milliseconds, the time the reader
  // waited for a CPU. Reported with each window (debug).
  std::int64_t take_longest_pass_ns() { return longest_pass_ns_.exchange(0); }

 private:
  void run(std::string priority);
  void queue_record(const void* data, std::size_t size);

  Sampler& sampler_;
  RecordQueue& queue_;
  Sampler::RecordHandler to_queue_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
  QueueDrops& drops_;
  std::size_t queued_in_pass_ = 0;  // the thread's own
  std::atomic<std::int64_t> longest_pass_ns_{0};
  mutable std::mutex error_mutex_;
  std::string error_;
  std::thread thread_;  // last: started once the rest is set
};

}  // namespace ember
