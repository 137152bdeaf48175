#include "aggregator.hpp"

#include <algorithm>
#include <functional>
#include <unordered_set>

namespace ember {
namespace {

std::size_t mix(std::size_t seed, std::size_t value) {
  return seed ^ (value + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
}

// Frames by content, through pointers to the interned frames: the index
// holds no copy of a frame's strings (a busy window names ~100k frames).
struct FrameContentHash {
  std::size_t operator()(const Frame* pointer) const {
    const Frame& frame = *pointer;
    std::size_t seed = std::hash<std::string>()(frame.name);
    seed = mix(seed, std::hash<std::string>()(frame.module));
    seed = mix(seed, std::hash<std::string>()(frame.file));
    seed = mix(seed, frame.line);
    seed = mix(seed, std::hash<std::string>()(frame.kind));
    return mix(seed, frame.inlined);
  }
};

struct SameFrameContent {
  bool operator()(const Frame* a, const Frame* b) const { return *a == *b; }
};

}  // namespace

std::size_t Aggregator::StackHash::operator()(const std::vector<const Frame*>& stack) const {
  std::size_t seed = stack.size();
  for (const Frame* frame : stack) seed = mix(seed, std::hash<const Frame*>()(frame));
  return seed;
}

std::size_t Aggregator::CountKeyHash::operator()(const CountKey& key) const {
  return mix(mix(mix(key.stack, key.pid), key.tid), key.labels);
}

void Aggregator::add(std::uint32_t pid, std::uint32_t tid, std::span<const FrameHandle> root_first,
                     std::uint64_t count, std::span<const Label> labels) {
  std::uint32_t label_set = 0;
  if (!labels.empty()) {
    label_scratch_.assign(labels.begin(), labels.end());
    std::sort(label_scratch_.begin(), label_scratch_.end());
    auto [it, inserted] = label_set_ids_.try_emplace(
        label_scratch_, static_cast<std::uint32_t>(label_sets_.size() + 1));
    if (inserted) label_sets_.push_back(&it->first);
    label_set = it->second;
  }
  scratch_.clear();
  for (const FrameHandle& frame : root_first) scratch_.push_back(frame.get());

  auto [it, inserted] =
      stack_ids_.try_emplace(scratch_, static_cast<std::uint32_t>(stacks_.size()));
  if (inserted) {
    stacks_.push_back(&it->first);
    for (const FrameHandle& frame : root_first) frames_.try_emplace(frame.get(), frame);
  }
  counts_[CountKey{it->second, pid, tid, label_set}] += count;
  sample_count_ += count;
}

void Aggregator::name_thread(std::uint32_t pid, std::uint32_t tid, const char* name) {
  std::string& slot = thread_names_[std::uint64_t(pid) << 32 | tid];
  if (slot != name) slot = name;
}

Window Aggregator::take(std::int64_t start_ns, std::int64_t end_ns) {
  Window window;
  window.start_ns = start_ns;
  window.end_ns = end_ns;

  // Frames equal in content (the same function named by two processes'
  // caches) become one entry.
  std::unordered_map<const Frame*, std::uint32_t, FrameContentHash, SameFrameContent> frame_index;
  std::unordered_map<const Frame*, std::uint32_t> pointer_index;
  frame_index.reserve(frames_.size());
  pointer_index.reserve(frames_.size());
  window.frames.reserve(frames_.size());
  for (const auto& [pointer, handle] : frames_) {
    auto [it, inserted] =
        frame_index.try_emplace(pointer, static_cast<std::uint32_t>(window.frames.size()));
    if (inserted) window.frames.push_back(*pointer);
    pointer_index.emplace(pointer, it->second);
  }

  // The open window's parts are freed as the Window's are made, not after:
  // the two are never whole at once (the close is the agent's peak).
  frame_index = {};
  frames_ = {};  // only the pointers are looked up from here on

  stacks_.clear();  // pointed into stack_ids_, which empties below
  window.stacks.resize(stack_ids_.size());
  while (!stack_ids_.empty()) {
    auto node = stack_ids_.extract(stack_ids_.begin());
    std::vector<std::uint32_t>& indices = window.stacks[node.mapped()];
    indices.reserve(node.key().size());
    for (const Frame* frame : node.key()) indices.push_back(pointer_index.at(frame));
  }
  pointer_index = {};

  window.samples.reserve(counts_.size());
  std::unordered_set<std::uint64_t> threads;
  while (!counts_.empty()) {
    auto node = counts_.extract(counts_.begin());
    const CountKey& key = node.key();
    window.samples.push_back(StackCount{key.stack, key.pid, key.tid, node.mapped(), key.labels});
    std::uint64_t thread = std::uint64_t(key.pid) << 32 | key.tid;
    if (threads.insert(thread).second) {
      auto name = thread_names_.find(thread);
      window.threads.push_back(
          ThreadInfo{key.pid, key.tid, name != thread_names_.end() ? std::move(name->second) : ""});
    }
  }
  stack_ids_ = {};
  counts_ = {};

  // Moved out of the index, which empties as they go, by id.
  window.label_sets.resize(label_sets_.size());
  while (!label_set_ids_.empty()) {
    auto node = label_set_ids_.extract(label_set_ids_.begin());
    window.label_sets[node.mapped() - 1] = std::move(node.key());
  }

  label_sets_.clear();
  thread_names_.clear();
  sample_count_ = 0;
  return window;
}

}  // namespace ember
