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

std::uint64_t thread_of(const StoredSample& s) { return std::uint64_t{s.pid} << 32 | s.tid; }

struct StackTotal {
  std::int64_t stack;
  std::uint64_t count;
};

// `into` and `slice` (one thread's samples, by stack) merged into `out`.
void merge_stacks(const std::vector<StackTotal>& into, const StoredSample* slice,
                  const StoredSample* slice_end, std::vector<StackTotal>& out) {
  out.clear();
  auto a = into.begin();
  while (a != into.end() && slice != slice_end) {
    if (a->stack < slice->stack_id) {
      out.push_back(*a++);
    } else if (slice->stack_id < a->stack) {
      out.push_back(StackTotal{slice->stack_id, slice->count});
      ++slice;
    } else {
      out.push_back(StackTotal{a->stack, a->count + slice->count});
      ++a;
      ++slice;
    }
  }
  out.insert(out.end(), a, into.end());
  for (; slice != slice_end; ++slice) out.push_back(StackTotal{slice->stack_id, slice->count});
}

}  // namespace

void sum_threads(std::vector<StoredSample>& samples) {
  for (StoredSample& s : samples) s.tid = 0;
  std::sort(samples.begin(), samples.end(), before);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (kept != 0 && !before(samples[kept - 1], samples[i])) {
      samples[kept - 1].count += samples[i].count;
    } else {
      samples[kept++] = samples[i];
    }
  }
  samples.resize(kept);
}

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
  if (!sorted) std::stable_sort(samples.begin(), samples.end(), before);
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
  std::vector<const std::vector<StoredSample>*> inputs;
  if (!merged_.empty()) inputs.push_back(&merged_);
  for (const auto& part : parts_) inputs.push_back(&part);
  std::vector<StoredSample> out;
  if (inputs.size() == 1) {
    out = *inputs.front();
  } else {
    std::size_t biggest = 0;
    for (const auto* input : inputs) biggest = std::max(biggest, input->size());
    out.reserve(biggest * 2);
  }
  std::vector<std::size_t> at(inputs.size(), 0);
  std::vector<StackTotal> stacks, next;
  constexpr std::uint64_t kDone = std::numeric_limits<std::uint64_t>::max();
  while (inputs.size() > 1) {
    std::uint64_t thread = kDone;
    for (std::size_t p = 0; p < inputs.size(); ++p) {
      if (at[p] < inputs[p]->size()) thread = std::min(thread, thread_of((*inputs[p])[at[p]]));
    }
    if (thread == kDone) break;
    stacks.clear();
    for (std::size_t p = 0; p < inputs.size(); ++p) {
      const std::vector<StoredSample>& part = *inputs[p];
      std::size_t begin = at[p], end = begin;
      while (end < part.size() && thread_of(part[end]) == thread) ++end;
      if (end == begin) continue;
      merge_stacks(stacks, part.data() + begin, part.data() + end, next);
      std::swap(stacks, next);
      at[p] = end;
    }
    auto pid = static_cast<std::uint32_t>(thread >> 32), tid = static_cast<std::uint32_t>(thread);
    for (const StackTotal& s : stacks) out.push_back(StoredSample{s.stack, pid, tid, s.count});
  }
  merged_ = std::move(out);
  parts_.clear();
  pending_rows_ = 0;
}

const std::vector<StoredSample>& RefsMerger::samples() {
  if (!parts_.empty()) merge();
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

WindowRefs RefsMerger::refs() {
  WindowRefs refs;
  refs.process_ids = process_ids();
  refs.thread_ids = thread_ids();
  refs.samples = samples();
  return refs;
}

}  // namespace ember::store
