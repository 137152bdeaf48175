// Which processes keep their unwind state (the replay memo, the objects of
// their mappings, the named addresses): the `capacity` most recently used.
// Under process churn a host attaches thousands of processes a minute, each
// kept until the window it was sampled in closes, and their caches (up to
// ~1 MB each on full snapshots) were most of the agent's growth; the least
// recently used process' state is dropped, counted, and rebuilt on its next
// sample, from the shared caches (UnwindObjectCache, SymbolCache) and its
// maps, which it keeps.
// A member is used and dropped from one thread at a time (the host's
// reader); the lock covers a member destroyed on another thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>

namespace ember::native {

class UnwindStateLru {
 public:
  class Member {
   public:
    // Frees what can be rebuilt; called by the LRU from another member's use.
    virtual void drop_unwind_state() = 0;

   protected:
    ~Member() = default;

   private:
    friend class UnwindStateLru;
    std::list<Member*>::iterator position_;
    bool listed_ = false;
    bool dropped_ = false;  // since its last use: the next use rebuilds
  };

  static constexpr std::size_t kDefaultCapacity = 512;
  explicit UnwindStateLru(std::size_t capacity = kDefaultCapacity)
      : capacity_(capacity ? capacity : 1) {}

  // `member` is about to build or use its state: it becomes the most recent,
  // and the least recent beyond the capacity drop theirs. True the first
  // time one is dropped (worth telling the user once).
  bool use(Member& member);
  // `member` goes away (its destructor, first thing).
  void forget(Member& member);

  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }
  std::uint64_t dropped() const;  // states dropped since the start
  std::uint64_t rebuilt() const;  // of those, used again

  // "unwind state: 512 of at most 512 processes, 1203 dropped, 88 rebuilt",
  // once a minute at most (empty otherwise), for the debug log.
  std::string report_if_due(std::chrono::steady_clock::time_point now);

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Member*> members_;  // most recent first
  std::uint64_t dropped_ = 0;
  std::uint64_t rebuilt_ = 0;
  std::chrono::steady_clock::time_point last_report_{};
  std::uint64_t dropped_at_report_ = UINT64_MAX;
  std::size_t size_at_report_ = 0;
};

}  // namespace ember::native
