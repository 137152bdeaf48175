// Three functions built -O2 -fomit-frame-pointer (unwind_chain.cpp) that
// capture a stack sample of their own thread the way the BPF sampler does:
// registers plus a copy of the stack from sp. The return addresses each
// level saw are the truth the unwinder's frames must match.
#pragma once

#include <cstdint>

#include "ember/bpf/sample.h"

namespace ember_test {

struct ChainTruth {
  std::uint64_t into_middle = 0;  // inner's return address
  std::uint64_t into_outer = 0;   // middle's return address
  std::uint64_t into_caller = 0;  // outer's return address
};

// Fills sample.user_ip/sp/bp/bx and up to `snapshot_bytes` of stack.
void capture_chain(ember_sample& sample, std::uint32_t snapshot_bytes, ChainTruth& truth);

// A sample taken in a frame that keeps its CFA in rbx, as glibc's lazy
// binding trampoline _dl_runtime_resolve_xsave(c) does: it saves rbx, keeps
// sp in it and aligns sp down for xsave. Called from a C++ function.
struct RbxChainTruth {
  std::uint64_t into_caller = 0;  // the rbx frame's return address
  std::uint64_t into_test = 0;    // its caller's return address
};
void capture_rbx_chain(ember_sample& sample, std::uint32_t snapshot_bytes, RbxChainTruth& truth);

}  // namespace ember_test
