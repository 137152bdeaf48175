#include "reader_thread.hpp"

#include <time.h>

#include "ember/bpf/sample.h"
#include "reader_priority.hpp"

namespace ember {
namespace {

// Samples come without a wakeup until the ring is well filled: the ring is
// looked at this often, so that a sample reaches the worker while its
// process, and the code objects it ran, still exist.
constexpr int kPollMs = 5;
// Reads of the ring after the stop request: enough to empty it once the
// sampler stopped (one pass reads what was written when it began).
constexpr int kLastPasses = 4;

std::int64_t reader_clock_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return std::int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

}  // namespace

ReaderThread::ReaderThread(Sampler& sampler, RecordQueue& queue, QueueDrops& drops,
                           const std::string& priority)
    : sampler_(sampler), queue_(queue), drops_(drops) {
  to_queue_ = [this](const void* data, std::size_t size) { queue_record(data, size); };
  thread_ = std::thread([this, priority] { run(priority); });
}

void ReaderThread::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  thread_.join();
}

Status ReaderThread::error() const {
  std::lock_guard lock(error_mutex_);
  return failed() ? Status::error(error_) : Status::ok();
}

void ReaderThread::queue_record(const void* data, std::size_t size) {
  if (queue_.push(data, size)) {
    ++queued_in_pass_;
    return;
  }
  const bool sample = size >= sizeof(ember_record_header) &&
                      static_cast<const ember_record_header*>(data)->type == EMBER_RECORD_SAMPLE;
  (sample ? drops_.samples : drops_.events).fetch_add(1, std::memory_order_relaxed);
}

void ReaderThread::run(std::string priority) {
  // Threads do not inherit the reader's priority (SCHED_RESET_ON_FORK): set
  // it here, above the worker's. The worker's start already logged whether
  // it could be had.
  (void)set_ring_reader_priority(priority);
  auto fail = [this](const Status& status) {
    {
      std::lock_guard lock(error_mutex_);
      error_ = status.message();
    }
    failed_.store(true, std::memory_order_release);
    queue_.notify();
  };
  while (!stopping_.load(std::memory_order_acquire)) {
    queued_in_pass_ = 0;
    const std::int64_t began = reader_clock_ns();
    if (Status polled = sampler_.poll(kPollMs, to_queue_); !polled) return fail(polled);
    if (queued_in_pass_ > 0) queue_.notify();
    const std::int64_t took = reader_clock_ns() - began;
    std::int64_t longest = longest_pass_ns_.load(std::memory_order_relaxed);
    while (took > longest &&
           !longest_pass_ns_.compare_exchange_weak(longest, took, std::memory_order_relaxed)) {
    }
  }
  for (int pass = 0; pass < kLastPasses && sampler_.has_records(); ++pass) {
    if (Status polled = sampler_.poll(0, to_queue_); !polled) return fail(polled);
  }
  queue_.notify();
}

}  // namespace ember
