#include "chain_interner.hpp"

#include <algorithm>
#include <functional>

namespace ember::native {
namespace {

std::size_t chain_hash(const FrameChain& chain) {
  std::size_t seed = chain.size();
  for (const FrameHandle& frame : chain) {
    seed ^=
        std::hash<const Frame*>()(frame.get()) + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2);
  }
  return seed;
}

}  // namespace

ChainHandle ChainInterner::intern(FrameChain chain) {
  const std::size_t hash = chain_hash(chain);
  auto [it, last] = entries_.equal_range(hash);
  while (it != last) {
    if (ChainHandle live = it->second.lock()) {
      if (*live == chain) return live;
      ++it;
    } else {
      it = entries_.erase(it);
    }
  }
  if (entries_.size() >= sweep_at_) sweep();
  // Apart from its control block: an entry that outlives the chain keeps
  // only the block until the next sweep.
  ChainHandle handle(new const FrameChain(std::move(chain)));
  entries_.emplace(hash, handle);
  return handle;
}

void ChainInterner::sweep() {
  std::erase_if(entries_, [](const auto& entry) { return entry.second.expired(); });
  sweep_at_ = std::max<std::size_t>(1024, 2 * entries_.size());
}

}  // namespace ember::native
