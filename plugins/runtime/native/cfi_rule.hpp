// How to find a frame's caller at one pc from the object's .eh_frame,
// without libunwind: the CFA (the caller's rsp) as rsp or rbp plus an
// offset, and the return address, rbp and rbx saved at offsets from it or
// left as they are. These are the forms compilers emit for ordinary code.
// Anything else (a CFA in another register or computed by an expression, a
// tracked register kept in another register, a signal frame's CIE) is
// `unsupported`, and libunwind steps that frame as before: it has its own
// rule cache, but takes a lock that blocks signals around it, two syscalls
// per step (most of the agent's CPU under process churn).
#pragma once

#include <cstdint>
#include <span>

namespace ember::native {

class UnwindObject;

struct CfiRule {
  enum class Base : std::uint8_t { sp, bp };
  enum class Saved : std::uint8_t { same, at_offset };
  Base cfa_base = Base::sp;
  std::int64_t cfa_offset = 8;
  bool return_address_undefined = false;  // the outermost frame (_start, clone)
  std::int64_t return_address_offset = -8;
  Saved bp = Saved::same;
  std::int64_t bp_offset = 0;
  Saved bx = Saved::same;
  std::int64_t bx_offset = 0;
};

enum class CfiLookup { found, no_fde, unsupported };

// The rule at link-time address `vaddr` of `object`, from its FDE found
// through the .eh_frame_hdr search table.
CfiLookup cfi_rule_at(const UnwindObject& object, std::uint64_t vaddr, CfiRule& rule);

// The rule at `pc` of the FDE `fde` (its bytes from the CIE pointer on, the
// first at link-time `fde_vaddr`) whose CIE is `cie` (from its CIE id on).
// Exposed for tests.
CfiLookup evaluate_cfi(std::span<const std::uint8_t> cie, std::span<const std::uint8_t> fde,
                       std::uint64_t fde_vaddr, std::uint64_t pc, CfiRule& rule);

}  // namespace ember::native
