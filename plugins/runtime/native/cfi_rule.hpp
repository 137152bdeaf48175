// How to find a frame's caller at one pc from the object's .eh_frame,
// without libunwind: the CFA (the caller's rsp) as rsp or rbp plus an
// offset, and the return address, rbp and rbx saved at offsets from it or
// left as they are. These are the forms compilers emit for ordinary code.
// Anything else (a CFA in another register or computed by an expression, a
// tracked register kept in another register, a signal frame's CIE) is
// `unsupported`, and libunwind steps that frame, without a cache (its cache
// took a lock that blocks signals around it, two syscalls per step: 30% of
// the agent's CPU under process churn, by perf, before these rules).
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <unordered_map>

namespace ember::native {

class UnwindObject;

struct CfiRule {
  enum class Base : std::uint8_t { sp, bp };
  enum class Saved : std::uint8_t { same, at_offset };
  Base cfa_base = Base::sp;
  Saved bp = Saved::same;
  Saved bx = Saved::same;
  bool return_address_undefined = false;  // the outermost frame (_start, clone)
  std::int32_t cfa_offset = 8;
  std::int32_t return_address_offset = -8;
  std::int32_t bp_offset = 0;
  std::int32_t bx_offset = 0;
};

enum class CfiLookup : std::uint8_t { found, no_fde, unsupported };

// Rules by link-time pc, kept with the object for every process that maps
// it (a new process of a known binary steps from the first sample without
// reading its tables), at most kEntries, all forgotten at once when full:
// the pcs samples land on again and again are few.
class CfiRuleCache {
 public:
  static constexpr std::size_t kEntries = 4096;
  bool find(std::uint64_t vaddr, CfiLookup& lookup, CfiRule& rule) const;
  void add(std::uint64_t vaddr, CfiLookup lookup, const CfiRule& rule) const;

 private:
  struct Entry {
    CfiLookup lookup;
    CfiRule rule;
  };
  mutable std::mutex mutex_;  // processes are unwound on several threads
  mutable std::unordered_map<std::uint64_t, Entry> entries_;
};

// The rule at link-time address `vaddr` of `object`, from its FDE found
// through the .eh_frame_hdr search table, or from the object's cache.
CfiLookup cfi_rule_at(const UnwindObject& object, std::uint64_t vaddr, CfiRule& rule);

// The rule at `pc` of the FDE `fde` (its bytes from the CIE pointer on, the
// first at link-time `fde_vaddr`) whose CIE is `cie` (from its CIE id on).
// Exposed for tests.
CfiLookup evaluate_cfi(std::span<const std::uint8_t> cie, std::span<const std::uint8_t> fde,
                       std::uint64_t fde_vaddr, std::uint64_t pc, CfiRule& rule);

}  // namespace ember::native
