// Frames equal in content, made for many processes, shared as one.
//
// A runtime whose caches are per process (an interpreter's code objects sit
// at other addresses in each of its processes) names the same function once
// per process. Interned, fifty Pythons running the same module hand the host
// one frame for each of its functions: an open window holds it once, and
// their stacks are the same stacks, however many processes a window saw.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "ember/frame.hpp"

namespace ember {

// A hash of everything `Frame::operator==` compares.
inline std::size_t frame_content_hash(const Frame& frame) {
  auto mix = [](std::size_t seed, std::size_t value) {
    return seed ^ (value + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
  };
  std::size_t seed = std::hash<std::string>()(frame.name);
  seed = mix(seed, std::hash<std::string>()(frame.module));
  seed = mix(seed, std::hash<std::string>()(frame.file));
  seed = mix(seed, frame.line);
  seed = mix(seed, std::hash<std::string>()(frame.kind));
  return mix(seed, frame.inlined);
}

// Not thread-safe: a runtime plugin calls it from the worker thread only.
// The frames it hands out may be released on any thread.
class FrameInterner {
 public:
  // The live frame equal to `frame`, or `frame` made one.
  FrameHandle intern(Frame frame) {
    const std::size_t hash = frame_content_hash(frame);
    auto [it, last] = entries_.equal_range(hash);
    while (it != last) {
      if (FrameHandle live = it->second.lock()) {
        if (*live == frame) return live;
        ++it;
      } else {
        it = entries_.erase(it);
      }
    }
    if (entries_.size() >= sweep_at_) sweep();
    // Allocated apart from its control block, so an entry that outlives
    // the frame keeps only the block until the next sweep.
    FrameHandle handle(new const Frame(std::move(frame)));
    entries_.emplace(hash, handle);
    return handle;
  }

  // Entries, live or not yet swept.
  std::size_t size() const { return entries_.size(); }

 private:
  static constexpr std::size_t kFirstSweep = 1024;

  // Drops the entries of released frames; the next sweep is due when the
  // live ones have doubled.
  void sweep() {
    std::erase_if(entries_, [](const auto& entry) { return entry.second.expired(); });
    sweep_at_ = std::max(kFirstSweep, 2 * entries_.size());
  }

  std::unordered_multimap<std::size_t, std::weak_ptr<const Frame>> entries_;
  std::size_t sweep_at_ = kFirstSweep;
};

}  // namespace ember
