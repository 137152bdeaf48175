// Reads an .eh_frame section just far enough to tell which functions keep a
// frame pointer: an FDE whose CFA moves to rbp (DW_CFA_def_cfa_register rbp,
// after `push rbp; mov rbp, rsp`) is one. The share of such FDEs judges a
// whole object (built with or without -fno-omit-frame-pointer), and the
// ranges let the unwinder check that a frame-pointer chain is trustworthy at
// one address.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ember/status.hpp"

namespace ember::native {

struct CodeRange {
  std::uint64_t start = 0;  // link-time vaddr
  std::uint64_t end = 0;    // exclusive
};

struct FramePointerScan {
  std::size_t fdes = 0;               // functions described
  std::vector<CodeRange> rbp_frames;  // those whose CFA is rbp-based; sorted by start

  // Share of FDEs with an rbp-based CFA, 0..1 (0 without FDEs).
  double rbp_share() const {
    return fdes ? static_cast<double>(rbp_frames.size()) / static_cast<double>(fdes) : 0.0;
  }
  // Does the function containing `vaddr` keep its frame in rbp?
  bool rbp_frame_at(std::uint64_t vaddr) const;
};

// `section` is the whole .eh_frame, loaded at link-time `vaddr`. Malformed
// input is an error naming the offset; FDEs read before it stay in `out`.
Status scan_eh_frame(std::span<const std::uint8_t> section, std::uint64_t vaddr,
                     FramePointerScan& out);

}  // namespace ember::native
