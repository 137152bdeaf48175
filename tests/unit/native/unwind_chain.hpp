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

// Fills sample.user_ip/sp/bp and up to `snapshot_bytes` of stack.
void capture_chain(ember_sample& sample, std::uint32_t snapshot_bytes, ChainTruth& truth);

}  // namespace ember_test
