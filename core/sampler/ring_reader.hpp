// Reads the BPF ring buffer with one mapping of its data pages. libbpf's
// ring_buffer maps them twice, back to back, so a record that wraps around
// the end reads as one piece; the kernel maps every page at mmap time, so the
// agent's RSS showed the ring twice (a 16 MiB ring was 32 MB). Here a record
// that wraps (rare: one per lap of the ring at most) is copied instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "ember/status.hpp"

namespace ember {

using RingRecordHandler = std::function<void(const void* data, std::size_t size)>;

// The ring's shared state as the kernel lays it out (linux/bpf.h): the
// consumer position the reader advances, the producer position the BPF
// programs advance, and `size` bytes of data (a power of two) where each
// record is an 8-byte header (length, busy and discard bits) then its bytes,
// padded to 8.
struct RingView {
  std::uint64_t* consumer_pos;
  const std::uint64_t* producer_pos;
  const std::uint8_t* data;
  std::uint64_t size;
};

// Hands the committed records to `handler`, in order, and releases their
// space: those written before the call, up to one still being written, and
// at most `max_records` (the rest wait in the ring). `wrapped` holds the copy
// of a record that wraps. Returns the number of records handled.
std::size_t consume_ring(const RingView& ring, std::vector<std::uint8_t>& wrapped,
                         const RingRecordHandler& handler,
                         std::size_t max_records = SIZE_MAX);

class RingReader {
 public:
  // `map_fd` is a BPF_MAP_TYPE_RINGBUF of `size` bytes.
  static Status open(int map_fd, std::uint32_t size, std::unique_ptr<RingReader>& out);
  ~RingReader();
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  // Waits up to timeout_ms for the kernel's wakeup, then reads what the ring
  // holds (records are also sent without a wakeup: a timeout still reads).
  Status poll(int timeout_ms, const RingRecordHandler& handler,
              std::size_t max_records = SIZE_MAX);

  // Whether records are waiting to be read.
  bool has_records() const;

 private:
  RingReader() = default;

  int epoll_fd_ = -1;
  void* consumer_page_ = nullptr;
  void* producer_pages_ = nullptr;  // the producer page, then the data
  std::size_t page_size_ = 0;
  RingView view_{};
  std::vector<std::uint8_t> wrapped_;
};

}  // namespace ember
