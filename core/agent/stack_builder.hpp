// Turns one sample record into one merged stack, root first: native user
// frames with the interpreter's frames spliced in at its eval-loop frames,
// then the kernel frames.
#pragma once

#include <vector>

#include "ember/bpf/sample.h"
#include "ember/runtime_plugin.hpp"
#include "process/process_table.hpp"

namespace ember {

// Splices interpreter frame groups into native frames (both leaf first): the
// k-th native frame the interpreter claims is replaced by the k-th group.
// Groups left over (the native walk missed eval frames) go rootward of
// everything else, so interpreter frames are never dropped. Between groups
// (and before the leftovers), the frames the handler calls its call machinery
// (ProcessHandler::is_call_machinery) and addresses outside code ([unknown],
// [heap], [stack]: walk garbage) are dropped.
void merge_interpreter_frames(const std::vector<FrameHandle>& native_leaf_first,
                              const RuntimeFrameGroups& groups, const ProcessHandler& interpreter,
                              std::vector<FrameHandle>& merged_leaf_first);

class StackBuilder {
 public:
  // `kernel` names kernel addresses (the native plugin); may be null.
  explicit StackBuilder(RuntimePlugin* kernel);

  void build(const ember_sample& sample, ProcessState& process,
             std::vector<FrameHandle>& root_first);

 private:
  // The native role's user stack, named, into user_frames_ (leaf first).
  void name_user_stack(const ember_sample& sample, ProcessHandler& native);

  RuntimePlugin* kernel_;
  FrameHandle truncated_;
  NativeStack native_;
  std::vector<FrameHandle> kernel_frames_;
  std::vector<FrameHandle> user_frames_;
  std::vector<FrameHandle> merged_;
  RuntimeFrameGroups groups_;
};

}  // namespace ember
