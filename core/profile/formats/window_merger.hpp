// Merges windows into one, so a single file (or `ember report`) can cover a
// whole run: frames and stacks deduplicated, the counts of one stack in one
// thread summed, the time range spanning every window, a process a pid and a
// name (RunPrograms). Memory grows with the distinct stacks seen, not with
// the number of windows.
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/window.hpp"
#include "run_programs.hpp"

namespace ember::formats {

struct FrameHash {
  std::size_t operator()(const Frame& frame) const;
};

class WindowMerger {
 public:
  void add(const Window& window);

  // The merge of every window added (an empty Window before the first), a
  // pid's programs told apart by ProcessInfo::instance (0 the newest). The
  // merger starts again empty.
  Window take();
  bool empty() const { return windows_ == 0; }

 private:
  std::uint32_t intern_frame(const Frame& frame);
  std::uint32_t intern_stack(std::vector<std::uint32_t> frames);

  Window merged_;  // processes and samples by run key: instance the name's place
  std::size_t windows_ = 0;
  RunPrograms programs_;
  std::unordered_map<Frame, std::uint32_t, FrameHash> frame_ids_;
  std::map<std::vector<std::uint32_t>, std::uint32_t> stack_ids_;
  // (stack, run key, tid, labels) -> index in merged_.samples
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t>, std::size_t>
      sample_index_;
  std::map<std::vector<Label>, std::uint32_t> label_set_ids_;  // -> StackCount::labels
  std::map<std::uint32_t, std::size_t> process_index_;         // run key
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> thread_index_;  // pid, tid
};

// All of `windows` merged into one.
Window merge_windows(std::span<const Window> windows);

}  // namespace ember::formats
