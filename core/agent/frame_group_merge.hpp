// Splices a runtime's interpreter frame groups into the native user stack.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ember/runtime_plugin.hpp"

namespace ember {

// Merges interpreter frame groups into native frames (both leaf first). Each
// group replaces the native interpreter frame (ProcessHandler::
// is_interpreter_frame) it ran in:
// - a group with an anchor goes to the native frame whose stack range holds
//   it. `native_cfas` gives each native frame's CFA (parallel to
//   `native_leaf_first`, the same for the inlined functions of one address;
//   0 = unknown; empty = none known); frame i spans from its callee's CFA
//   (the leaf: from `stack_pointer`) up to its own. When that frame is no
//   interpreter frame, the group goes leafward of it, as called from it.
// - a group without one (or whose anchor is in no frame of known extent, or
//   out of order) takes the next interpreter frame rootward of the previous
//   group's and leafward of the next anchored group's: the k-th such frame
//   for the k-th group when no group has an anchor. Groups left over (the
//   native walk missed eval frames) go leafward of the next anchored group,
//   or rootward of everything, so interpreter frames are never dropped.
// Interpreter frames no group went to stay: a call that has entered the eval
// loop but not yet pushed its interpreter frame (or popped it, not yet
// returned) shows as native code. Between groups (and before the leftovers),
// the frames the handler calls its call machinery (is_call_machinery) and
// addresses outside code ([unknown], [heap], [stack]: walk garbage) are
// dropped.
void merge_interpreter_frames(const std::vector<FrameHandle>& native_leaf_first,
                              std::span<const std::uint64_t> native_cfas,
                              std::uint64_t stack_pointer, const RuntimeFrameGroups& groups,
                              const ProcessHandler& interpreter,
                              std::vector<FrameHandle>& merged_leaf_first);

}  // namespace ember
