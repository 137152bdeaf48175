#include "refs_merger.hpp"

#include <numeric>

#include "byte_codec.hpp"

namespace ember::store {

void RefsMerger::add(const WindowRefs& refs) {
  std::uint64_t thread = ~0ULL;
  SampleCounter* counter = nullptr;
  for (const StoredSample& s : refs.samples) {
    if (s.stack_id < 0) throw CorruptBlob("negative stack id");
    std::uint64_t key = std::uint64_t{s.pid} << 32 | s.tid;
    if (key != thread) {  // samples come grouped by thread
      thread = key;
      auto [it, inserted] =
          slot_of_thread_.try_emplace(key, static_cast<std::uint32_t>(thread_of_slot_.size()));
      if (inserted) {
        thread_of_slot_.emplace_back(s.pid, s.tid);
        counts_.emplace_back();
      }
      counter = &counts_[it->second];
    }
    counter->add(static_cast<std::uint64_t>(s.stack_id), s.count);
  }
  process_rows_.insert(process_rows_.end(), refs.process_ids.begin(), refs.process_ids.end());
  thread_rows_.insert(thread_rows_.end(), refs.thread_ids.begin(), refs.thread_ids.end());
}

std::vector<std::int64_t> RefsMerger::newest_last(const std::vector<std::int64_t>& ids) {
  std::vector<std::int64_t> out;
  std::unordered_map<std::int64_t, bool> seen;
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    if (seen.emplace(*it, true).second) out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::size_t> RefsMerger::slots_by_thread() const {
  std::vector<std::size_t> slots(counts_.size());
  std::iota(slots.begin(), slots.end(), 0);
  std::sort(slots.begin(), slots.end(),
            [&](std::size_t a, std::size_t b) { return thread_of_slot_[a] < thread_of_slot_[b]; });
  return slots;
}

std::size_t RefsMerger::distinct_samples() const {
  std::size_t distinct = 0;
  for (const SampleCounter& counter : counts_) distinct += counter.size();
  return distinct;
}

WindowRefs RefsMerger::refs() const {
  WindowRefs refs;
  refs.process_ids = process_ids();
  refs.thread_ids = thread_ids();
  refs.samples.reserve(distinct_samples());
  for_each_thread([&](std::uint32_t pid, std::uint32_t tid, const SampleCounter& counter) {
    counter.for_each([&](std::uint64_t stack, std::uint64_t count) {
      refs.samples.push_back(StoredSample{static_cast<std::int64_t>(stack), pid, tid, count});
    });
  });
  return refs;
}

}  // namespace ember::store
