#include "window_merger.hpp"

#include <algorithm>
#include <functional>

#include "window_process_key.hpp"

namespace ember::formats {

std::size_t FrameHash::operator()(const Frame& frame) const {
  std::size_t h = std::hash<std::string>()(frame.name);
  auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(std::hash<std::string>()(frame.module));
  mix(std::hash<std::string>()(frame.file));
  mix(frame.line);
  mix(std::hash<std::string>()(frame.kind));
  mix(frame.inlined);
  return h;
}

std::uint32_t WindowMerger::intern_frame(const Frame& frame) {
  auto [it, inserted] =
      frame_ids_.try_emplace(frame, static_cast<std::uint32_t>(merged_.frames.size()));
  if (inserted) merged_.frames.push_back(frame);
  return it->second;
}

std::uint32_t WindowMerger::intern_stack(std::vector<std::uint32_t> frames) {
  auto [it, inserted] =
      stack_ids_.try_emplace(frames, static_cast<std::uint32_t>(merged_.stacks.size()));
  if (inserted) merged_.stacks.push_back(std::move(frames));
  return it->second;
}

void WindowMerger::add(const Window& window) {
  if (windows_ == 0) {
    merged_.start_ns = window.start_ns;
    merged_.end_ns = window.end_ns;
  } else {
    merged_.start_ns = std::min(merged_.start_ns, window.start_ns);
    merged_.end_ns = std::max(merged_.end_ns, window.end_ns);
  }
  ++windows_;
  if (window.frequency_hz != 0) merged_.frequency_hz = window.frequency_hz;
  merged_.lost_samples += window.lost_samples;
  if (!window.host.empty()) merged_.host = window.host;
  merged_.host_metrics.insert(merged_.host_metrics.end(), window.host_metrics.begin(),
                              window.host_metrics.end());
  merged_.process_metrics.insert(merged_.process_metrics.end(), window.process_metrics.begin(),
                                 window.process_metrics.end());

  // A kind's color from the latest window that has it; sorted by kind.
  for (const FrameKindColor& kind : window.frame_kinds) {
    auto it = std::lower_bound(
        merged_.frame_kinds.begin(), merged_.frame_kinds.end(), kind.kind,
        [](const FrameKindColor& a, const std::string& name) { return a.kind < name; });
    if (it != merged_.frame_kinds.end() && it->kind == kind.kind) {
      it->color = kind.color;
    } else {
      merged_.frame_kinds.insert(it, kind);
    }
  }

  std::vector<std::uint32_t> frame_map;
  frame_map.reserve(window.frames.size());
  for (const Frame& frame : window.frames) frame_map.push_back(intern_frame(frame));

  std::vector<std::uint32_t> stack_map;
  stack_map.reserve(window.stacks.size());
  for (const auto& stack : window.stacks) {
    std::vector<std::uint32_t> frames;
    frames.reserve(stack.size());
    for (std::uint32_t f : stack) frames.push_back(frame_map.at(f));
    stack_map.push_back(intern_stack(std::move(frames)));
  }

  std::vector<std::uint32_t> label_map;  // window's StackCount::labels - 1 -> merged's
  label_map.reserve(window.label_sets.size());
  for (const auto& set : window.label_sets) {
    auto [it, inserted] = label_set_ids_.try_emplace(
        set, static_cast<std::uint32_t>(merged_.label_sets.size() + 1));
    if (inserted) merged_.label_sets.push_back(set);
    label_map.push_back(it->second);
  }

  const RunPrograms::Keys run_keys = programs_.add(window);
  for (const StackCount& sample : window.samples) {
    std::uint32_t stack = stack_map.at(sample.stack);
    std::uint32_t labels = sample.labels ? label_map.at(sample.labels - 1) : 0;
    const std::uint32_t key = RunPrograms::key_of(run_keys, sample);
    auto [it, inserted] =
        sample_index_.try_emplace({stack, key, sample.tid, labels}, merged_.samples.size());
    if (inserted) {
      merged_.samples.push_back(StackCount{stack, 0, sample.tid, sample.count, labels});
      set_pid_and_instance(merged_.samples.back(), key);
    } else {
      merged_.samples[it->second].count += sample.count;
    }
  }

  // The latest window knows a process or thread best (exit time, thread name).
  for (const ProcessInfo& process : window.processes) {
    const std::uint32_t key = run_keys.at(window_process_key(process));
    auto [it, inserted] = process_index_.try_emplace(key, merged_.processes.size());
    if (inserted) {
      merged_.processes.push_back(process);
    } else {
      merged_.processes[it->second] = process;
    }
    set_pid_and_instance(merged_.processes[it->second], key);
  }
  for (const ThreadInfo& thread : window.threads) {
    auto [it, inserted] =
        thread_index_.try_emplace({thread.pid, thread.tid}, merged_.threads.size());
    if (inserted) {
      merged_.threads.push_back(thread);
    } else {
      merged_.threads[it->second] = thread;
    }
  }
}

Window WindowMerger::take() {
  // Instances were the places of the names; now 0 for each pid's newest.
  for (StackCount& sample : merged_.samples) {
    sample.instance = programs_.instance(window_process_key(sample));
  }
  for (ProcessInfo& process : merged_.processes) {
    process.instance = programs_.instance(window_process_key(process));
  }
  Window merged = std::move(merged_);
  *this = WindowMerger();
  return merged;
}

Window merge_windows(std::span<const Window> windows) {
  WindowMerger merger;
  for (const Window& window : windows) merger.add(window);
  return merger.take();
}

}  // namespace ember::formats
