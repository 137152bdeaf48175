// How to step from a frame of code without CFI to its caller (x86-64): what a
// runtime plugin knows about the frames of code it owns (a JIT's code ranges)
// and gives the native unwinder through Host::unwind_rule. Used by the
// userspace DWARF unwinder only; the BPF frame-pointer walk does not ask.
//
//   CFA            = (sp or rbp of the frame) + cfa_offset
//   return address = the word at CFA + return_address_offset
//   caller's rbp   = the word at CFA + saved_bp_offset when saves_bp, else
//                    the frame's rbp unchanged
//   caller's sp    = CFA
//
// A JIT frame with a fixed size and no frame pointer: {sp, frame_size + 8,
// -8, false}. One that pushes rbp and points rbp at it: {bp, 16, -8, true,
// -16}.
#pragma once

#include <cstdint>

namespace ember {

struct UnwindRule {
  enum class CfaBase : std::uint32_t { sp = 0, bp = 1 };
  CfaBase cfa_base = CfaBase::sp;
  std::int32_t cfa_offset = 8;
  std::int32_t return_address_offset = -8;
  bool saves_bp = false;
  std::int32_t saved_bp_offset = -16;
};

}  // namespace ember
