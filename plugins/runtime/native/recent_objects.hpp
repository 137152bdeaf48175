// Keeps the objects a cache handed out most recently alive for a while after
// their last user let go. The caches of per-binary state (symbols and DWARF,
// unwind tables) hold their entries weakly, so a binary's state went with
// the last process that mapped it: under process churn (a shell loop, a
// build, test runs, `python3 -c ...` one after another) every short-lived
// process read the same binaries' symbols, DWARF and unwind tables again,
// and the agent fell behind naming their samples. Bounded in count and in
// time, so what exited processes used is not held for long.
//
// Not thread-safe: its owner calls it under its own lock, except
// expiry_due(), and lets go of what touch() and expire() return outside
// that lock (their destructors may take other locks).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

namespace ember::native {

template <typename T>
class RecentObjects {
 public:
  using Clock = std::chrono::steady_clock;

  RecentObjects(std::size_t capacity, Clock::duration keep) : capacity_(capacity), keep_(keep) {}

  // `object` was handed out at `now`: kept until `keep` after that, unless
  // `capacity` more recently handed out objects push it out first (then it
  // is returned).
  std::shared_ptr<const T> touch(std::shared_ptr<const T> object, Clock::time_point now) {
    if (capacity_ == 0 || !object) return nullptr;
    if (auto known = index_.find(object.get()); known != index_.end()) {
      order_.splice(order_.begin(), order_, known->second);
      known->second->touched = now;
    } else {
      order_.push_front(Entry{std::move(object), now});
      index_.emplace(order_.front().object.get(), order_.begin());
    }
    std::shared_ptr<const T> pushed_out;
    if (order_.size() > capacity_) pushed_out = pop_oldest();
    publish_next_expiry();
    return pushed_out;
  }

  // Whether expire(now) would let something go; safe without the lock.
  bool expiry_due(Clock::time_point now) const {
    return nanoseconds(now) >= next_expiry_ns_.load(std::memory_order_relaxed);
  }

  // The objects not handed out for `keep` by `now`, no longer kept.
  std::vector<std::shared_ptr<const T>> expire(Clock::time_point now) {
    std::vector<std::shared_ptr<const T>> expired;
    while (!order_.empty() && now - order_.back().touched >= keep_) {
      expired.push_back(pop_oldest());
    }
    publish_next_expiry();
    return expired;
  }

  std::size_t size() const { return order_.size(); }
  Clock::duration keep() const { return keep_; }

 private:
  struct Entry {
    std::shared_ptr<const T> object;
    Clock::time_point touched;
  };

  static std::int64_t nanoseconds(Clock::time_point at) {
    return at.time_since_epoch() / std::chrono::nanoseconds(1);
  }

  std::shared_ptr<const T> pop_oldest() {
    std::shared_ptr<const T> oldest = std::move(order_.back().object);
    index_.erase(oldest.get());
    order_.pop_back();
    return oldest;
  }

  // The least recently touched entry is the last: touch() moves to the front.
  void publish_next_expiry() {
    next_expiry_ns_.store(order_.empty() ? std::numeric_limits<std::int64_t>::max()
                                         : nanoseconds(order_.back().touched + keep_),
                          std::memory_order_relaxed);
  }

  std::size_t capacity_;
  Clock::duration keep_;
  std::list<Entry> order_;  // most recently touched first
  std::unordered_map<const T*, typename std::list<Entry>::iterator> index_;
  std::atomic<std::int64_t> next_expiry_ns_{std::numeric_limits<std::int64_t>::max()};
};

}  // namespace ember::native
