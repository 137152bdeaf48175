// Merges the references of windows (or rollups), oldest first, the way a read
// of a range does: sample counts summed per (pid, tid, stack id), process and
// thread row ids once each at their newest place (later rows win per pid).
// The reader and the rollup builder share it, so a rollup merges exactly as
// a read of its windows would.
//
// A blob's samples come sorted by (pid, tid, stack id), so the parts are
// merged as sorted runs, one thread at a time: the thread's slice of each
// part is merged into a buffer that stays in the cache (a day of 24 rollups
// is 3.3 million rows; a hash table per thread missed the cache at every
// row), and the result comes out in the order a read hands samples on.
// Parts are merged in batches as they come, so memory stays near twice the
// merged size however long the range.
#pragma once

#include <cstdint>
#include <vector>

#include "window_blobs.hpp"

namespace ember::store {

// `samples` with each process' threads summed: tid 0, one row per (pid,
// stack id), sorted by them (a rollup's per-process samples, and what a read
// without threads makes of the parts that have none).
void sum_threads(std::vector<StoredSample>& samples);
// The same, into a new vector: `samples` stays as it is.
std::vector<StoredSample> threads_summed(const std::vector<StoredSample>& samples);

class RefsMerger {
 public:
  void add(WindowRefs refs);

  // Ids without repeats, each kept at its last place.
  std::vector<std::int64_t> process_ids() const { return newest_last(process_rows_); }
  std::vector<std::int64_t> thread_ids() const { return newest_last(thread_rows_); }

  // The merged samples, each (pid, tid, stack id) once, sorted by them.
  const std::vector<StoredSample>& samples();

  // Whether the merge keeps nearly every row it is given (process churn:
  // every pid new) and has kept many: such parts merged are about as big
  // as apart, so a rollup of them spares a read nothing and costs a few times
  // its rows in memory while it is built.
  bool hardly_sums() const { return merged_.size() >= kMergeRows && new_share_ > 0.75; }

  // The merged references (a rollup's samples blob), moved out: the merger
  // is empty after (a busy hour's merge is millions of rows, not copied).
  WindowRefs take_refs();
  // The merged samples alone, moved out likewise.
  std::vector<StoredSample> take_samples();

 private:
  static std::vector<std::int64_t> newest_last(const std::vector<std::int64_t>& ids);
  void merge();

  // Merged in turn when the parts hold at least this many rows (and as many
  // as the merge so far).
  static constexpr std::size_t kMergeRows = 1 << 18;

  std::vector<StoredSample> merged_;              // the parts merged so far
  std::vector<StoredSample> spare_;               // the merge before, its memory reused
  std::vector<std::vector<StoredSample>> parts_;  // since; each sorted, each key once
  std::size_t pending_rows_ = 0;
  double new_share_ = 0;  // of the parts' rows, how many the last merge found new
  std::vector<std::int64_t> process_rows_, thread_rows_;  // oldest first
};

}  // namespace ember::store
