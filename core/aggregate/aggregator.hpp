// Counts stacks per (process, thread) for the open window, interning each
// distinct stack once, and turns them into an SDK Window when it closes.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "ember/frame.hpp"
#include "ember/window.hpp"

namespace ember {

class Aggregator {
 public:
  // One sample of `root_first` in thread tid of process pid, with `labels`
  // (any order; samples with other labels are counted apart).
  void add(std::uint32_t pid, std::uint32_t tid, std::span<const FrameHandle> root_first,
           std::uint64_t count = 1, std::span<const Label> labels = {});

  // Thread names as seen in samples (the latest wins).
  void name_thread(std::uint32_t pid, std::uint32_t tid, const char* name);

  std::uint64_t sample_count() const { return sample_count_; }

  // Moves the counts into a Window (frames deduplicated by content) and
  // starts an empty one. Process metadata is filled in by the caller.
  Window take(std::int64_t start_ns, std::int64_t end_ns);

 private:
  struct StackHash {
    std::size_t operator()(const std::vector<const Frame*>& stack) const;
  };
  struct CountKey {
    std::uint32_t stack;
    std::uint32_t pid;
    std::uint32_t tid;
    std::uint32_t labels;  // 1 + index into label_sets_; 0: none
    bool operator==(const CountKey&) const = default;
  };
  struct CountKeyHash {
    std::size_t operator()(const CountKey& key) const;
  };

  std::unordered_map<std::vector<const Frame*>, std::uint32_t, StackHash> stack_ids_;
  std::vector<const std::vector<const Frame*>*> stacks_;  // by id, keys of stack_ids_
  std::unordered_map<const Frame*, FrameHandle> frames_;  // keeps frames alive
  std::unordered_map<CountKey, std::uint64_t, CountKeyHash> counts_;
  std::unordered_map<std::uint64_t, std::string> thread_names_;  // pid << 32 | tid
  std::vector<const Frame*> scratch_;
  std::map<std::vector<Label>, std::uint32_t> label_set_ids_;
  std::vector<const std::vector<Label>*> label_sets_;  // by id - 1, keys of label_set_ids_
  std::vector<Label> label_scratch_;
  std::uint64_t sample_count_ = 0;
};

}  // namespace ember
