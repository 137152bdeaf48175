#include "stack_builder.hpp"

#include <algorithm>

namespace ember {
namespace {

// Return addresses no call can have: outside every mapping, or in the heap or
// a stack (what a frame-pointer walk through code built without them finds).
bool is_walk_garbage(const Frame& frame) {
  return frame.module == "[unknown]" || frame.module == "[heap]" || frame.module == "[stack]";
}

}  // namespace

void merge_interpreter_frames(const std::vector<FrameHandle>& native_leaf_first,
                              const RuntimeFrameGroups& groups, const ProcessHandler& interpreter,
                              std::vector<FrameHandle>& merged_leaf_first) {
  std::size_t next_group = 0;
  for (const FrameHandle& frame : native_leaf_first) {
    if (next_group < groups.size() && interpreter.is_interpreter_frame(*frame)) {
      const auto& group = groups[next_group++];
      merged_leaf_first.insert(merged_leaf_first.end(), group.begin(), group.end());
      continue;
    }
    // Between two groups, the runtime's call machinery and, in builds without
    // frame pointers, garbage return addresses only split the interpreted
    // stack. The C code the runtime does not claim (builtins, C extensions,
    // libc) stays where it is.
    if (next_group > 0 && next_group < groups.size() &&
        (is_walk_garbage(*frame) || interpreter.is_call_machinery(*frame))) {
      continue;
    }
    merged_leaf_first.push_back(frame);
  }
  for (; next_group < groups.size(); ++next_group) {
    const auto& group = groups[next_group];
    merged_leaf_first.insert(merged_leaf_first.end(), group.begin(), group.end());
  }
}

StackBuilder::StackBuilder(RuntimePlugin* kernel)
    : kernel_(kernel),
      truncated_(std::make_shared<const Frame>(
          Frame{"[truncated]", "", "", 0, frame_kind::unknown, false})) {}

void StackBuilder::name_user_stack(const ember_sample& sample, ProcessHandler& native) {
  native_.leaf_first.clear();
  native_.truncated = false;
  native.unwind_user(sample, native_);
  for (const NativeFrame& frame : native_.leaf_first) native.symbolize_native(frame.pc, user_frames_);
  if (native_.truncated) user_frames_.push_back(truncated_);
}

void StackBuilder::build(const ember_sample& sample, ProcessState& process,
                         std::vector<FrameHandle>& root_first) {
  root_first.clear();
  kernel_frames_.clear();
  user_frames_.clear();

  if (process.native) name_user_stack(sample, *process.native);

  const std::vector<FrameHandle>* user = &user_frames_;
  if (process.interpreter && sample.runtime_program != 0 &&
      sample.runtime_program == process.interpreter_program) {
    groups_.clear();
    process.interpreter->symbolize_runtime(sample, groups_);
    merged_.clear();
    merge_interpreter_frames(user_frames_, groups_, *process.interpreter, merged_);
    user = &merged_;
  }

  bool truncated = sample.flags & (EMBER_SAMPLE_USER_TRUNCATED | EMBER_SAMPLE_RUNTIME_TRUNCATED);
  if (truncated && !user->empty()) root_first.push_back(truncated_);
  root_first.insert(root_first.end(), user->rbegin(), user->rend());

  std::uint32_t kernel_count =
      std::min<std::uint32_t>(sample.kernel_frame_count, EMBER_MAX_KERNEL_FRAMES);
  if (kernel_ && kernel_count > 0) {
    kernel_->symbolize_kernel(std::span<const __u64>(sample.kernel_frames, kernel_count),
                              kernel_frames_);
    if ((sample.flags & EMBER_SAMPLE_KERNEL_TRUNCATED) && user->empty()) {
      root_first.push_back(truncated_);
    }
    root_first.insert(root_first.end(), kernel_frames_.rbegin(), kernel_frames_.rend());
  }
}

}  // namespace ember
