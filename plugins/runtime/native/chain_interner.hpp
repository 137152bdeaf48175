// Chains of frames equal in content, shared as one. The addresses of one
// source line (of one inlined call) give the same frames: cached per address,
// each held its own copy of the chain, most of an object's memory per address.
#pragma once

#include <cstddef>
#include <unordered_map>

#include "frame_names.hpp"

namespace ember::native {

// Not thread-safe: its owner locks.
class ChainInterner {
 public:
  // The live chain of the same frames (interned frames: the same handles),
  // or `chain` made one.
  ChainHandle intern(FrameChain chain);

 private:
  void sweep();

  std::unordered_multimap<std::size_t, std::weak_ptr<const FrameChain>> entries_;
  std::size_t sweep_at_ = 1024;
};

}  // namespace ember::native
