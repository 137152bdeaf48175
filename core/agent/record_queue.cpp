#include "record_queue.hpp"

#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>

namespace ember {
namespace {

// A record in a chunk: its size, 4 bytes of padding, then its bytes padded
// to 8 (the ring's records are 8-byte aligned; so are these).
constexpr std::size_t kHeader = 8;
// Chunks are mapped whole and unmapped when read: a steady flow reuses one.
constexpr std::size_t kChunkBytes = 256 * 1024;

std::size_t record_footprint(std::size_t size) { return kHeader + (size + 7) / 8 * 8; }

std::int64_t queue_clock_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return std::int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

}  // namespace

RecordQueue::RecordQueue(std::size_t capacity_bytes) : capacity_(capacity_bytes) {}

RecordQueue::~RecordQueue() {
  for (Chunk& chunk : chunks_) free_chunk(chunk);
  free_chunk(spare_);
}

RecordQueue::Chunk RecordQueue::new_chunk(std::size_t at_least) {
  if (spare_.bytes && spare_.size >= at_least) {
    Chunk reused = spare_;
    spare_ = Chunk{};
    reused.written = reused.read = 0;
    return reused;
  }
  Chunk chunk;
  chunk.size = std::max(kChunkBytes, (at_least + kChunkBytes - 1) / kChunkBytes * kChunkBytes);
  void* bytes = mmap(nullptr, chunk.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
  if (bytes == MAP_FAILED) throw std::bad_alloc();
  chunk.bytes = static_cast<std::uint8_t*>(bytes);
  return chunk;
}

void RecordQueue::free_chunk(Chunk& chunk) {
  if (chunk.bytes) munmap(chunk.bytes, chunk.size);
  chunk = Chunk{};
}

bool RecordQueue::push(const void* data, std::size_t size) {
  const std::size_t need = record_footprint(size);
  std::lock_guard lock(mutex_);
  if (size > UINT32_MAX || queued_ + need > capacity_) return false;
  if (chunks_.empty() || chunks_.back().size - chunks_.back().written < need) {
    Chunk chunk;
    try {
      chunk = new_chunk(need);
    } catch (const std::bad_alloc&) {
      return false;
    }
    chunks_.push_back(chunk);
  }
  Chunk& back = chunks_.back();
  const auto length = static_cast<std::uint32_t>(size);
  std::memcpy(back.bytes + back.written, &length, sizeof(length));
  std::memcpy(back.bytes + back.written + kHeader, data, size);
  back.written += need;
  queued_ += need;
  peak_ = std::max(peak_, queued_);
  return true;
}

void RecordQueue::notify() { ready_.notify_one(); }

bool RecordQueue::front(const std::uint8_t*& data, std::uint32_t& size) {
  // Chunks the producer left behind, read to their end, go first.
  while (chunks_.size() > 1 && chunks_.front().read == chunks_.front().written) {
    if (!spare_.bytes) {
      spare_ = chunks_.front();
    } else {
      free_chunk(chunks_.front());
    }
    chunks_.pop_front();
  }
  if (chunks_.empty()) return false;
  const Chunk& chunk = chunks_.front();
  if (chunk.read == chunk.written) return false;
  std::memcpy(&size, chunk.bytes + chunk.read, sizeof(size));
  data = chunk.bytes + chunk.read + kHeader;
  return true;
}

void RecordQueue::pop_front_record() {
  Chunk& chunk = chunks_.front();
  std::uint32_t size = 0;
  std::memcpy(&size, chunk.bytes + chunk.read, sizeof(size));
  chunk.read += record_footprint(size);
  queued_ -= record_footprint(size);
  // The producer's only chunk, all read: written again from its start, so
  // a steady flow keeps touching the same few pages.
  if (chunks_.size() == 1 && chunk.read == chunk.written) chunk.read = chunk.written = 0;
}

std::size_t RecordQueue::take(int timeout_ms, const Handler& handler, std::size_t max_records,
                              std::int64_t deadline_ns) {
  std::unique_lock lock(mutex_);
  if (queued_ == 0 && timeout_ms > 0) {
    ready_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return queued_ > 0; });
  }
  std::size_t handled = 0;
  const std::uint8_t* data = nullptr;
  std::uint32_t size = 0;
  while (handled < max_records && front(data, size)) {
    // The producer only appends: the front record's bytes stay as they are.
    lock.unlock();
    handler(data, size);
    lock.lock();
    pop_front_record();
    ++handled;
    if (deadline_ns != INT64_MAX && queue_clock_ns() >= deadline_ns) break;
  }
  return handled;
}

std::uint64_t RecordQueue::discard(
    const std::function<bool(const void* data, std::size_t size)>& is_sample) {
  std::lock_guard lock(mutex_);
  std::uint64_t samples = 0;
  const std::uint8_t* data = nullptr;
  std::uint32_t size = 0;
  while (front(data, size)) {
    if (is_sample(data, size)) ++samples;
    pop_front_record();
  }
  return samples;
}

bool RecordQueue::empty() const {
  std::lock_guard lock(mutex_);
  return queued_ == 0;
}

std::size_t RecordQueue::queued_bytes() const {
  std::lock_guard lock(mutex_);
  return queued_;
}

std::size_t RecordQueue::peak_bytes() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

}  // namespace ember
