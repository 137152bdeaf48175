#include "refs_merger.hpp"

#include <algorithm>
#include <limits>
#include <tuple>
#include <unordered_set>

#include "byte_codec.hpp"

namespace ember::store {
namespace {

bool before(const StoredSample& a, const StoredSample& b) {
  return std::tie(a.pid, a.tid, a.stack_id) < std::tie(b.pid, b.tid, b.stack_id);
}
// The same as a type, which std::sort inlines (a function pointer it calls).
constexpr auto kBefore = [](const StoredSample& a, const StoredSample& b) {
  return std::tie(a.pid, a.tid, a.stack_id) < std::tie(b.pid, b.tid, b.stack_id);
};

std::uint64_t thread_of(const StoredSample& s) { return std::uint64_t{s.pid} << 32 | s.tid; }

using Slice = std::pair<const StoredSample*, const StoredSample*>;

// Two runs of one thread's samples, each by stack, merged into `out`, which
// has room for both; returns the end of what was written.
StoredSample* merge_stacks(Slice a, Slice b, StoredSample* out) {
  while (a.first != a.second && b.first != b.second) {
    if (a.first->stack_id < b.first->stack_id) {
      *out++ = *a.first++;
    } else if (b.first->stack_id < a.first->stack_id) {
      *out++ = *b.first++;
    } else {
      *out = *a.first++;
      out++->count += b.first++->count;
    }
  }
  out = std::copy(a.first, a.second, out);
  return std::copy(b.first, b.second, out);
}

std::size_t rows_of(const std::vector<Slice>& slices) {
  std::size_t rows = 0;
  for (const Slice& s : slices) rows += static_cast<std::size_t>(s.second - s.first);
  return rows;
}

// One thread's slices of the parts merged pairwise, level by level: each
// row is copied about log2(parts) times, where folding the slices in one by
// one into a growing run copied the run once per part (a day's read merges
// ~50 parts: the spans, the open block's hours and the open hour's windows).
class ThreadMerge {
 public:
  // The slices' samples summed per stack, appended to `out` (`slices` is used up).
  void merge(std::vector<Slice>& slices, std::vector<StoredSample>& out) {
    for (int level = 0; slices.size() > 2; level ^= 1) {
      // Each pair into the level's buffer (the odd one out copied too: the
      // buffer it is in is written two levels on).
      std::vector<StoredSample>& buffer = buffers_[level];
      if (buffer.size() < rows_of(slices)) buffer.resize(rows_of(slices));
      StoredSample* end = buffer.data();
      std::size_t runs = 0;
      for (std::size_t i = 0; i < slices.size(); i += 2) {
        StoredSample* begin = end;
        end = i + 1 < slices.size() ? merge_stacks(slices[i], slices[i + 1], begin)
                                    : std::copy(slices[i].first, slices[i].second, begin);
        slices[runs++] = Slice{begin, end};
      }
      slices.resize(runs);
    }
    std::size_t at = out.size();
    out.resize(at + rows_of(slices));
    StoredSample* end = slices.size() == 1
                            ? std::copy(slices[0].first, slices[0].second, out.data() + at)
                            : merge_stacks(slices[0], slices[1], out.data() + at);
    out.resize(static_cast<std::size_t>(end - out.data()));
  }

 private:
  std::vector<StoredSample> buffers_[2];  // the levels' runs, in turn (their memory reused)
};

}  // namespace

std::vector<StoredSample> threads_summed(const std::vector<StoredSample>& samples) {
  // A blob's samples come sorted by (pid, tid, stack), each once: a
  // process' threads are sorted runs, merged. A damaged blob's are sorted.
  auto out_of_order = [](const StoredSample& a, const StoredSample& b) { return !kBefore(a, b); };
  if (std::adjacent_find(samples.begin(), samples.end(), out_of_order) == samples.end()) {
    std::vector<StoredSample> summed;
    summed.reserve(samples.size());
    std::vector<Slice> slices;
    ThreadMerge thread_merge;
    const StoredSample* row = samples.data();
    const StoredSample* end = row + samples.size();
    while (row != end) {
      std::uint32_t pid = row->pid;
      slices.clear();
      while (row != end && row->pid == pid) {
        const StoredSample* run = row;
        while (row != end && row->pid == pid && row->tid == run->tid) ++row;
        slices.emplace_back(run, row);
      }
      thread_merge.merge(slices, summed);
    }
    for (StoredSample& s : summed) s.tid = 0;
    return summed;
  }
  std::vector<StoredSample> summed = samples;
  for (StoredSample& s : summed) s.tid = 0;
  std::sort(summed.begin(), summed.end(), kBefore);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < summed.size(); ++i) {
    if (kept != 0 && !before(summed[kept - 1], summed[i])) {
      summed[kept - 1].count += summed[i].count;
    } else {
      summed[kept++] = summed[i];
    }
  }
  summed.resize(kept);
  return summed;
}

void sum_threads(std::vector<StoredSample>& samples) { samples = threads_summed(samples); }

void RefsMerger::add(WindowRefs refs) {
  std::vector<StoredSample>& samples = refs.samples;
  bool sorted = true, repeated = false;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (samples[i].stack_id < 0) throw CorruptBlob("negative stack id");
    if (i == 0) continue;
    std::uint64_t previous = thread_of(samples[i - 1]), thread = thread_of(samples[i]);
    if (previous == thread && samples[i - 1].stack_id == samples[i].stack_id) {
      repeated = true;
    } else if (previous > thread ||
               (previous == thread && samples[i - 1].stack_id > samples[i].stack_id)) {
      sorted = false;
    }
  }
  // A damaged blob may hold them in any order or twice: sorted and summed.
  if (!sorted) std::stable_sort(samples.begin(), samples.end(), kBefore);
  if (!sorted || repeated) {
    std::vector<StoredSample> unique;
    for (const StoredSample& s : samples) {
      if (!unique.empty() && !before(unique.back(), s)) {
        unique.back().count += s.count;
      } else {
        unique.push_back(s);
      }
    }
    samples = std::move(unique);
  }
  if (!samples.empty()) {
    pending_rows_ += samples.size();
    parts_.push_back(std::move(samples));
  }
  // Parts kept whole until the end would hold every row of the range (78 MB
  // for a day of the bench host): they are merged once they hold as many
  // rows as the merge so far, so a row is copied about twice and memory
  // stays near twice the merged size.
  if (pending_rows_ >= std::max(merged_.size(), kMergeRows)) merge();
  process_rows_.insert(process_rows_.end(), refs.process_ids.begin(), refs.process_ids.end());
  thread_rows_.insert(thread_rows_.end(), refs.thread_ids.begin(), refs.thread_ids.end());
}

void RefsMerger::merge() {
  if (merged_.empty() && parts_.size() == 1) {  // nothing to merge with: taken as it is
    merged_ = std::move(parts_.front());
    parts_.clear();
    pending_rows_ = 0;
    return;
  }
  std::vector<const std::vector<StoredSample>*> inputs;
  if (!merged_.empty()) inputs.push_back(&merged_);
  for (const auto& part : parts_) inputs.push_back(&part);
  // Into the memory of the merge before last: fresh pages cost a fault each.
  std::vector<StoredSample> out = std::move(spare_);
  out.clear();
  std::size_t biggest = 0;
  for (const auto* input : inputs) biggest = std::max(biggest, input->size());
  out.reserve(biggest * 2);
  std::vector<std::size_t> at(inputs.size(), 0);
  std::vector<Slice> slices;
  ThreadMerge thread_merge;
  constexpr std::uint64_t kDone = std::numeric_limits<std::uint64_t>::max();
  for (;;) {
    std::uint64_t thread = kDone;
    for (std::size_t p = 0; p < inputs.size(); ++p) {
      if (at[p] < inputs[p]->size()) thread = std::min(thread, thread_of((*inputs[p])[at[p]]));
    }
    if (thread == kDone) break;
    slices.clear();
    for (std::size_t p = 0; p < inputs.size(); ++p) {
      const std::vector<StoredSample>& part = *inputs[p];
      std::size_t begin = at[p], end = begin;
      while (end < part.size() && thread_of(part[end]) == thread) ++end;
      if (end == begin) continue;
      slices.emplace_back(part.data() + begin, part.data() + end);
      at[p] = end;
    }
    thread_merge.merge(slices, out);
  }
  // Every row of the merge so far is kept: what is beyond it is new.
  new_share_ =
      static_cast<double>(out.size() - merged_.size()) / static_cast<double>(pending_rows_);
  spare_ = std::move(merged_);
  merged_ = std::move(out);
  parts_.clear();
  pending_rows_ = 0;
}

const std::vector<StoredSample>& RefsMerger::samples() {
  if (!parts_.empty()) merge();
  spare_ = std::vector<StoredSample>();  // no merge after the last
  return merged_;
}

std::vector<std::int64_t> RefsMerger::newest_last(const std::vector<std::int64_t>& ids) {
  std::vector<std::int64_t> out;
  std::unordered_set<std::int64_t> seen;
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    if (seen.insert(*it).second) out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

WindowRefs RefsMerger::take_refs() {
  WindowRefs refs;
  refs.process_ids = process_ids();
  refs.thread_ids = thread_ids();
  refs.samples = take_samples();
  return refs;
}

std::vector<StoredSample> RefsMerger::take_samples() {
  samples();  // merges what is left
  std::vector<StoredSample> taken = std::move(merged_);
  *this = RefsMerger();
  return taken;
}

}  // namespace ember::store
