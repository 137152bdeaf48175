#include "window_builder.hpp"

#include <algorithm>

namespace ember::formats {

std::uint32_t WindowBuilder::frame(const Frame& frame) {
  auto [it, inserted] =
      frame_ids_.try_emplace(frame, static_cast<std::uint32_t>(window_.frames.size()));
  if (inserted) window_.frames.push_back(frame);
  return it->second;
}

void WindowBuilder::add(const std::vector<std::uint32_t>& frames, std::uint64_t count,
                        std::uint32_t pid, std::uint32_t tid, std::vector<Label> labels) {
  if (count == 0) return;
  auto [stack, new_stack] =
      stack_ids_.try_emplace(frames, static_cast<std::uint32_t>(window_.stacks.size()));
  if (new_stack) window_.stacks.push_back(frames);
  std::uint32_t label_set = 0;
  if (!labels.empty()) {
    std::sort(labels.begin(), labels.end());
    auto [it, inserted] = label_set_ids_.try_emplace(
        labels, static_cast<std::uint32_t>(window_.label_sets.size() + 1));
    if (inserted) window_.label_sets.push_back(labels);
    label_set = it->second;
  }
  auto [sample, new_sample] = sample_index_.try_emplace(
      std::make_tuple(stack->second, pid, tid, label_set), window_.samples.size());
  if (new_sample) {
    window_.samples.push_back(StackCount{stack->second, pid, tid, 0, label_set});
  }
  window_.samples[sample->second].count += count;
}

}  // namespace ember::formats
