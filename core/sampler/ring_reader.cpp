#include "ring_reader.hpp"

#include <linux/bpf.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errno_text.hpp"

namespace ember {
namespace {

// A record's length in the ring: header plus bytes, padded to 8.
std::uint64_t footprint(std::uint32_t length) {
  return (std::uint64_t{length} + BPF_RINGBUF_HDR_SZ + 7) / 8 * 8;
}

}  // namespace

std::size_t consume_ring(const RingView& ring, std::vector<std::uint8_t>& wrapped,
                         const RingRecordHandler& handler, std::size_t max_records) {
  const std::uint64_t mask = ring.size - 1;
  std::size_t handled = 0;
  std::uint64_t consumer = __atomic_load_n(ring.consumer_pos, __ATOMIC_ACQUIRE);
  // One pass, up to what was written when it began: a reader slower than the
  // samplers (a loaded host) would otherwise never return to close windows
  // or see a stop request; the next poll returns at once for the rest.
  const std::uint64_t producer = __atomic_load_n(ring.producer_pos, __ATOMIC_ACQUIRE);
  while (consumer < producer && handled < max_records) {
    // Headers are 8-byte aligned in a ring of whole pages: never split.
    const auto* header = reinterpret_cast<const std::uint32_t*>(ring.data + (consumer & mask));
    const std::uint32_t word = __atomic_load_n(header, __ATOMIC_ACQUIRE);
    if (word & BPF_RINGBUF_BUSY_BIT) return handled;  // still being written
    const std::uint32_t length = word & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    if (!(word & BPF_RINGBUF_DISCARD_BIT) && length <= ring.size) {
      const std::uint64_t start = (consumer + BPF_RINGBUF_HDR_SZ) & mask;
      if (start + length <= ring.size) {
        handler(ring.data + start, length);
      } else {
        const std::uint64_t first = ring.size - start;
        wrapped.resize(length);
        std::memcpy(wrapped.data(), ring.data + start, first);
        std::memcpy(wrapped.data() + first, ring.data, length - first);
        handler(wrapped.data(), length);
      }
      ++handled;
    }
    consumer += footprint(length);
    __atomic_store_n(ring.consumer_pos, consumer, __ATOMIC_RELEASE);
  }
  return handled;
}

Status RingReader::open(int map_fd, std::uint32_t size, std::unique_ptr<RingReader>& out) {
  if (size == 0 || (size & (size - 1)) != 0) {
    return Status::error("the ring buffer's size is not a power of two");
  }
  std::unique_ptr<RingReader> reader(new RingReader());
  reader->page_size_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* consumer = mmap(nullptr, reader->page_size_, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
  if (consumer == MAP_FAILED) {
    return Status::error("cannot map the ring buffer's consumer page: " + errno_text(errno));
  }
  reader->consumer_page_ = consumer;
  // The producer page and the data, once (libbpf maps the data twice).
  void* producer = mmap(nullptr, reader->page_size_ + size, PROT_READ, MAP_SHARED, map_fd,
                        static_cast<off_t>(reader->page_size_));
  if (producer == MAP_FAILED) {
    return Status::error("cannot map the ring buffer's data: " + errno_text(errno));
  }
  reader->producer_pages_ = producer;
  reader->view_ =
      RingView{static_cast<std::uint64_t*>(consumer), static_cast<const std::uint64_t*>(producer),
               static_cast<const std::uint8_t*>(producer) + reader->page_size_, size};
  reader->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (reader->epoll_fd_ < 0) return Status::error("epoll_create1: " + errno_text(errno));
  epoll_event event{};
  event.events = EPOLLIN;
  if (epoll_ctl(reader->epoll_fd_, EPOLL_CTL_ADD, map_fd, &event) != 0) {
    return Status::error("cannot wait on the ring buffer: " + errno_text(errno));
  }
  out = std::move(reader);
  return Status::ok();
}

RingReader::~RingReader() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (producer_pages_) munmap(producer_pages_, page_size_ + view_.size);
  if (consumer_page_) munmap(consumer_page_, page_size_);
}

bool RingReader::has_records() const {
  return __atomic_load_n(view_.producer_pos, __ATOMIC_ACQUIRE) >
         __atomic_load_n(view_.consumer_pos, __ATOMIC_ACQUIRE);
}

Status RingReader::poll(int timeout_ms, const RingRecordHandler& handler,
                        std::size_t max_records) {
  // Records left by the last pass: no wait (samples come without wakeups,
  // so epoll could sleep the whole timeout with the ring filling).
  const bool pending = has_records();
  epoll_event event;
  if (epoll_wait(epoll_fd_, &event, 1, pending ? 0 : timeout_ms) < 0 && errno != EINTR) {
    return Status::error("waiting on the ring buffer failed: " + errno_text(errno));
  }
  consume_ring(view_, wrapped_, handler, max_records);
  return Status::ok();
}

}  // namespace ember
