// Raw ring-buffer records on their way from the reader thread to the agent's
// worker. The reader only copies records here, so the ring is drained on time
// whatever the worker is doing (attaching to a new process, reading its
// binaries, naming frames the first time); the worker takes them in order.
// One producer, one consumer. Bounded in bytes: a record that finds no room
// is refused (the producer counts it), never waited for. Memory comes in
// chunks handed back once read (beyond one spare), and a lone chunk read to
// its end is written again from its start, so a burst's backlog does not
// stay in the agent's RSS.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace ember {

class RecordQueue {
 public:
  using Handler = std::function<void(const void* data, std::size_t size)>;

  explicit RecordQueue(std::size_t capacity_bytes);
  ~RecordQueue();
  RecordQueue(const RecordQueue&) = delete;
  RecordQueue& operator=(const RecordQueue&) = delete;

  // Producer: copies the record in; false when it does not fit.
  bool push(const void* data, std::size_t size);
  // Producer: wakes a consumer waiting in take() (once per batch of pushes).
  void notify();

  // Consumer: waits up to `timeout_ms` for a record, then hands records to
  // `handler` oldest first, without holding the queue (the producer goes on
  // meanwhile), until none is left, `max_records` were handled or
  // `deadline_ns` (monotonic) has passed. Returns the number handled.
  std::size_t take(int timeout_ms, const Handler& handler, std::size_t max_records,
                   std::int64_t deadline_ns);

  // Consumer: forgets every record still queued; returns how many of them
  // `is_sample` said were samples.
  std::uint64_t discard(const std::function<bool(const void* data, std::size_t size)>& is_sample);

  bool empty() const;
  std::size_t queued_bytes() const;
  std::size_t capacity_bytes() const { return capacity_; }
  // The most bytes ever queued at once.
  std::size_t peak_bytes() const;

 private:
  struct Chunk {
    std::uint8_t* bytes = nullptr;
    std::size_t size = 0;
    std::size_t written = 0;  // by the producer
    std::size_t read = 0;     // by the consumer
  };
  Chunk new_chunk(std::size_t at_least);
  static void free_chunk(Chunk& chunk);
  // Under mutex_: the front record, or false when none.
  bool front(const std::uint8_t*& data, std::uint32_t& size);
  // Under mutex_: the front record is done with.
  void pop_front_record();

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Chunk> chunks_;  // oldest first; the producer writes the last
  Chunk spare_;               // one read chunk kept for reuse
  std::size_t queued_ = 0;    // bytes of records not yet taken
  std::size_t peak_ = 0;
};

}  // namespace ember
