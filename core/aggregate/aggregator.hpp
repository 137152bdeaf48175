// Counts stacks per (process, thread) for the open window, interning each
// distinct stack once, and turns them into an SDK Window when it closes.
#pragma once

#include <cstdint>
#include <map>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "aggregate/mapped_chunks.hpp"
#include "ember/frame.hpp"
#include "ember/window.hpp"

namespace ember {

class Aggregator {
 public:
  Aggregator();

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

  // Bytes mapped for the open window's bookkeeping (none once taken).
  std::size_t open_window_bytes() const { return chunks_.mapped_bytes(); }

 private:
  using StackKey = std::pmr::vector<const Frame*>;
  struct StackHash {
    std::size_t operator()(const StackKey& stack) const;
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

  // The open window's bookkeeping: a node or two per distinct stack, frame
  // and thread, made all through the window between the plugins' long-lived
  // caches and all dead at its close. It lives in whole mapped chunks that
  // go back to the system at take(), not in the malloc heap.
  struct Open {
    explicit Open(std::pmr::memory_resource* memory)
        : stack_ids(memory), frames(memory), counts(memory), thread_names(memory) {}
    std::pmr::unordered_map<StackKey, std::uint32_t, StackHash> stack_ids;
    std::pmr::unordered_map<const Frame*, FrameHandle> frames;  // keeps frames alive
    std::pmr::unordered_map<CountKey, std::uint64_t, CountKeyHash> counts;
    std::pmr::unordered_map<std::uint64_t, std::pmr::string> thread_names;  // pid << 32 | tid
  };
  void start_window();
  void fill(Window& window);

  // 64 KiB, then half as much again each chunk: a quiet window maps little.
  static constexpr std::size_t kFirstChunkBytes = 64 * 1024;
  MappedChunks chunks_;
  std::pmr::monotonic_buffer_resource memory_{kFirstChunkBytes, &chunks_};
  std::optional<Open> open_;

  std::vector<const StackKey*> stacks_;  // by id, keys of open_->stack_ids
  StackKey scratch_;
  std::map<std::vector<Label>, std::uint32_t> label_set_ids_;
  std::vector<const std::vector<Label>*> label_sets_;  // by id - 1, keys of label_set_ids_
  std::vector<Label> label_scratch_;
  std::uint64_t sample_count_ = 0;
};

}  // namespace ember
