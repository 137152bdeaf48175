#include "aggregator.hpp"

#include <algorithm>
#include <functional>
#include <memory_resource>
#include <string>
#include <unordered_set>

#include "ember/frame_interner.hpp"

namespace ember {
namespace {

std::size_t mix(std::size_t seed, std::size_t value) {
  return seed ^ (value + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
}

// Frames by content, through pointers to the window's frames: the index
// holds no copy of a frame's strings (a busy window names ~100k frames).
struct FrameContentHash {
  std::size_t operator()(const Frame* pointer) const { return frame_content_hash(*pointer); }
};

struct SameFrameContent {
  bool operator()(const Frame* a, const Frame* b) const { return *a == *b; }
};

}  // namespace

Aggregator::Aggregator() { start_window(); }

void Aggregator::start_window() { open_.emplace(&memory_); }

std::size_t Aggregator::StackHash::operator()(const StackKey& stack) const {
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
      open_->stack_ids.try_emplace(scratch_, static_cast<std::uint32_t>(stacks_.size()));
  if (inserted) {
    stacks_.push_back(&it->first);
    for (const FrameHandle& frame : root_first) open_->frames.try_emplace(frame.get(), frame);
  }
  open_->counts[CountKey{it->second, pid, tid, label_set}] += count;
  sample_count_ += count;
}

void Aggregator::name_thread(std::uint32_t pid, std::uint32_t tid, const char* name) {
  std::pmr::string& slot = open_->thread_names[std::uint64_t(pid) << 32 | tid];
  if (slot != name) slot = name;
}

Window Aggregator::take(std::int64_t start_ns, std::int64_t end_ns) {
  Window window;
  window.start_ns = start_ns;
  window.end_ns = end_ns;
  fill(window);

  // Moved out of the index, which empties as they go, by id.
  window.label_sets.resize(label_sets_.size());
  while (!label_set_ids_.empty()) {
    auto node = label_set_ids_.extract(label_set_ids_.begin());
    window.label_sets[node.mapped() - 1] = std::move(node.key());
  }
  label_sets_.clear();

  // Every piece of the open window goes back to the system at once (the
  // frames it kept alive are let go here too).
  stacks_.clear();  // pointed into the open window
  open_.reset();
  memory_.release();
  start_window();
  sample_count_ = 0;
  return window;
}

// The frames, stacks, samples and threads of the open window.
void Aggregator::fill(Window& window) {
  const Open& open = *open_;

  // Frames equal in content (the same function named by two processes'
  // caches) become one entry. The indexes are the close's own bookkeeping:
  // in the open window's chunks too.
  std::pmr::unordered_map<const Frame*, std::uint32_t, FrameContentHash, SameFrameContent>
      frame_index(&memory_);
  std::pmr::unordered_map<const Frame*, std::uint32_t> pointer_index(&memory_);
  frame_index.reserve(open.frames.size());
  pointer_index.reserve(open.frames.size());
  window.frames.reserve(open.frames.size());
  for (const auto& [pointer, handle] : open.frames) {
    auto [it, inserted] =
        frame_index.try_emplace(pointer, static_cast<std::uint32_t>(window.frames.size()));
    if (inserted) window.frames.push_back(*pointer);
    pointer_index.emplace(pointer, it->second);
  }

  window.stacks.resize(open.stack_ids.size());
  for (const auto& [key, id] : open.stack_ids) {
    std::vector<std::uint32_t>& indices = window.stacks[id];
    indices.reserve(key.size());
    for (const Frame* frame : key) indices.push_back(pointer_index.at(frame));
  }

  window.samples.reserve(open.counts.size());
  std::pmr::unordered_set<std::uint64_t> threads(&memory_);
  for (const auto& [key, count] : open.counts) {
    window.samples.push_back(StackCount{key.stack, key.pid, key.tid, count, key.labels});
    std::uint64_t thread = std::uint64_t(key.pid) << 32 | key.tid;
    if (threads.insert(thread).second) {
      auto name = open.thread_names.find(thread);
      window.threads.push_back(ThreadInfo{
          key.pid, key.tid,
          name != open.thread_names.end() ? std::string(name->second) : std::string()});
    }
  }
}

}  // namespace ember
