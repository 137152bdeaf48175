// Builds a Window frame by frame and stack by stack, frames and stacks
// deduplicated and a stack's counts summed per (pid, tid, labels): what the
// readers of other formats (folded, pprof) fill.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "ember/window.hpp"
#include "window_merger.hpp"

namespace ember::formats {

class WindowBuilder {
 public:
  std::uint32_t frame(const Frame& frame);
  // `frames`: indices from frame(), root first.
  void add(const std::vector<std::uint32_t>& frames, std::uint64_t count, std::uint32_t pid = 0,
           std::uint32_t tid = 0, std::vector<Label> labels = {});

  // The window so far; set its times, processes and threads on it directly.
  Window& window() { return window_; }

 private:
  Window window_;
  std::unordered_map<Frame, std::uint32_t, FrameHash> frame_ids_;
  std::map<std::vector<std::uint32_t>, std::uint32_t> stack_ids_;
  std::map<std::vector<Label>, std::uint32_t> label_set_ids_;
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t>, std::size_t>
      sample_index_;  // (stack, pid, tid, labels) -> index in samples
};

}  // namespace ember::formats
