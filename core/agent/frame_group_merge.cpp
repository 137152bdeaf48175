#include "frame_group_merge.hpp"

#include <limits>

namespace ember {
namespace {

constexpr std::size_t kNowhere = std::numeric_limits<std::size_t>::max();

// Return addresses no call can have: outside every mapping, or in the heap or
// a stack (what a frame-pointer walk through code built without them finds).
bool is_walk_garbage(const Frame& frame) {
  return frame.module == "[unknown]" || frame.module == "[heap]" || frame.module == "[stack]";
}

// Where a group goes: in place of native frame `entry`, or leafward of it
// (entry == native size: rootward of everything). Placements are ordered
// leaf to root by rank; several groups may go leafward of one frame, one
// replaces it.
struct Placement {
  std::size_t entry = kNowhere;
  bool replace = false;
  std::size_t rank() const { return 2 * entry + (replace ? 1 : 0); }
};

// May `next` follow `previous` (leaf to root)?
bool follows(const Placement& previous, const Placement& next) {
  if (previous.entry == kNowhere) return true;
  return previous.replace ? next.rank() > previous.rank() : next.rank() >= previous.rank();
}

// The native frame whose stack range holds `anchor`: among the entries of
// that frame (inlined functions share its CFA), the interpreter frame to
// replace, else the leaf-most entry to go leafward of.
Placement frame_holding(std::uint64_t anchor, const std::vector<FrameHandle>& native,
                        std::span<const std::uint64_t> cfas, std::uint64_t stack_pointer,
                        const ProcessHandler& interpreter) {
  std::uint64_t lower = stack_pointer;
  bool lower_known = stack_pointer != 0;
  for (std::size_t first = 0; first < cfas.size();) {
    std::uint64_t cfa = cfas[first];
    std::size_t end = first + 1;
    while (cfa != 0 && end < cfas.size() && cfas[end] == cfa) ++end;
    if (cfa == 0) {
      lower_known = false;
    } else {
      if (lower_known && anchor >= lower && anchor < cfa) {
        for (std::size_t i = first; i < end; ++i) {
          if (interpreter.is_interpreter_frame(*native[i])) return {i, true};
        }
        return {first, false};
      }
      lower = cfa;
      lower_known = true;
    }
    first = end;
  }
  return {};
}

}  // namespace

void merge_interpreter_frames(const std::vector<FrameHandle>& native_leaf_first,
                              std::span<const std::uint64_t> native_cfas,
                              std::uint64_t stack_pointer, const RuntimeFrameGroups& groups,
                              const ProcessHandler& interpreter,
                              std::vector<FrameHandle>& merged_leaf_first) {
  const std::vector<FrameHandle>& native = native_leaf_first;
  if (native_cfas.size() != native.size()) native_cfas = {};

  std::vector<Placement> anchored(groups.size());
  Placement previous;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].anchor == 0 || native_cfas.empty()) continue;
    anchored[g] = frame_holding(groups[g].anchor, native, native_cfas, stack_pointer, interpreter);
    if (anchored[g].entry == kNowhere) continue;
    if (!follows(previous, anchored[g])) {
      // Anchors that contradict the groups' order are not to be trusted.
      anchored.assign(groups.size(), Placement{});
      break;
    }
    previous = anchored[g];
  }

  std::vector<Placement> placed(groups.size());
  Placement last;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (anchored[g].entry != kNowhere && follows(last, anchored[g])) {
      last = placed[g] = anchored[g];
      continue;
    }
    // By position, before the next group that has a place of its own.
    Placement bound{native.size(), false};
    for (std::size_t h = g + 1; h < groups.size(); ++h) {
      if (anchored[h].entry != kNowhere && follows(last, anchored[h])) {
        bound = {anchored[h].entry, false};
        break;
      }
    }
    Placement at = bound;
    std::size_t from = last.entry == kNowhere ? 0 : last.entry + (last.replace ? 1 : 0);
    for (std::size_t i = from; i < bound.entry; ++i) {
      if (interpreter.is_interpreter_frame(*native[i])) {
        at = {i, true};
        break;
      }
    }
    last = placed[g] = at;
  }

  auto emit = [&](std::size_t g) {
    const auto& frames = groups[g].frames;
    merged_leaf_first.insert(merged_leaf_first.end(), frames.begin(), frames.end());
  };
  std::size_t next_group = 0;
  for (std::size_t i = 0; i < native.size(); ++i) {
    while (next_group < groups.size() && placed[next_group].entry == i &&
           !placed[next_group].replace) {
      emit(next_group++);
    }
    if (next_group < groups.size() && placed[next_group].entry == i) {
      emit(next_group++);
      continue;
    }
    // Between two groups, the runtime's call machinery and, in builds without
    // frame pointers, garbage return addresses only split the interpreted
    // stack. The C code the runtime does not claim (builtins, C extensions,
    // libc) stays where it is.
    const Frame& frame = *native[i];
    if (next_group > 0 && next_group < groups.size() &&
        (is_walk_garbage(frame) || interpreter.is_call_machinery(frame))) {
      continue;
    }
    merged_leaf_first.push_back(native[i]);
  }
  for (; next_group < groups.size(); ++next_group) emit(next_group);
}

}  // namespace ember
