// The clean pages a read-only, private file mapping faulted in count in the
// agent's RSS for as long as the mapping lives, though they are the page
// cache's: a lookup table read in place (a Go binary's pclntab) ends up
// resident whole after enough lookups, the kernel mapping 64 KiB around
// every fault. They are given back at most once an interval;
// the next lookup faults in the few it needs again.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ember {

class FilePagesRelease {
 public:
  using Clock = std::chrono::steady_clock;

  // The first release is due once `interval` has passed since `start`
  // (at once by default).
  explicit FilePagesRelease(Clock::duration interval = std::chrono::seconds(1),
                            Clock::time_point start = {})
      : interval_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(interval).count()),
        last_ns_(nanoseconds(start)) {}

  // Drops the pages of [address, address + size) from the RSS now. The
  // mapping must be read-only and private (never written): its pages are
  // the file's. `address` need not be page-aligned; its page must be mapped.
  static void release(const void* address, std::size_t size) {
    if (!address || !size) return;
    static const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    auto begin = reinterpret_cast<std::uintptr_t>(address) & ~(page - 1);
    auto end = reinterpret_cast<std::uintptr_t>(address) + size;
    madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  }

  // True when the interval has passed since the last release (this one is
  // then the last): for an owner that releases several mappings, or gives
  // back other things on the same clock. Safe from several threads: one of
  // them gets true.
  bool due(Clock::time_point now = Clock::now()) {
    const std::int64_t at = nanoseconds(now);
    std::int64_t last = last_ns_.load(std::memory_order_relaxed);
    if (at - last < interval_ns_) return false;
    return last_ns_.compare_exchange_strong(last, at, std::memory_order_relaxed);
  }

  // release() when due(); true when it did.
  bool release_if_due(const void* address, std::size_t size, Clock::time_point now = Clock::now()) {
    if (!due(now)) return false;
    release(address, size);
    return true;
  }

 private:
  static std::int64_t nanoseconds(Clock::time_point at) {
    return at.time_since_epoch() / std::chrono::nanoseconds(1);
  }

  std::int64_t interval_ns_;
  std::atomic<std::int64_t> last_ns_;
};

}  // namespace ember
