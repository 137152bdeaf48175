// Merges the references of windows (or rollups), oldest first, the way a read
// of a range does: sample counts summed per (pid, tid, stack id), process and
// thread row ids once each at their newest place (later rows win per pid).
// The reader and the rollup builder share it, so a rollup merges exactly as
// a read of its windows would.
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sample_counter.hpp"
#include "window_blobs.hpp"

namespace ember::store {

class RefsMerger {
 public:
  void add(const WindowRefs& refs);

  // Ids without repeats, each kept at its last place.
  std::vector<std::int64_t> process_ids() const { return newest_last(process_rows_); }
  std::vector<std::int64_t> thread_ids() const { return newest_last(thread_rows_); }

  // visit(pid, tid, counter) per thread, ordered by (pid, tid).
  template <typename Visit>
  void for_each_thread(Visit&& visit) const {
    for (std::size_t slot : slots_by_thread()) {
      visit(thread_of_slot_[slot].first, thread_of_slot_[slot].second, counts_[slot]);
    }
  }
  std::size_t distinct_samples() const;

  // The merged references (a rollup's samples blob).
  WindowRefs refs() const;

 private:
  static std::vector<std::int64_t> newest_last(const std::vector<std::int64_t>& ids);
  std::vector<std::size_t> slots_by_thread() const;

  // Samples summed per thread slot by stack id: one small table per thread
  // stays in cache while a window's samples of that thread (stored together)
  // are added, where one big table would miss the cache at every sample.
  std::vector<SampleCounter> counts_;                                // by thread slot
  std::unordered_map<std::uint64_t, std::uint32_t> slot_of_thread_;  // pid << 32 | tid
  std::vector<std::pair<std::uint32_t, std::uint32_t>> thread_of_slot_;
  std::vector<std::int64_t> process_rows_, thread_rows_;  // oldest first
};

}  // namespace ember::store
