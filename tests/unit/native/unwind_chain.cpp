#include "unwind_chain.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "ember/proc_maps.hpp"

namespace ember_test {
namespace {

// How much stack lies above `sp` in its mapping (the copy must not fault).
std::uint64_t stack_above(std::uint64_t sp) {
  std::vector<ember::Mapping> maps;
  if (!ember::read_proc_maps(static_cast<std::uint32_t>(getpid()), maps)) return 0;
  const ember::Mapping* mapping = ember::find_mapping(maps, sp);
  return mapping ? mapping->end - sp : 0;
}

// Copies word by word, uninstrumented: the stack above holds other frames'
// sanitizer redzones, which the sampler reads as plain bytes too.
__attribute__((no_sanitize("address"))) void copy_stack(std::uint8_t* to, std::uint64_t from,
                                                        std::uint64_t size) {
  const volatile std::uint8_t* source = reinterpret_cast<const volatile std::uint8_t*>(from);
  for (std::uint64_t i = 0; i < size; ++i) to[i] = source[i];
}

__attribute__((noinline)) void inner(ember_sample& sample, std::uint32_t bytes, ChainTruth& truth) {
  truth.into_middle = reinterpret_cast<std::uint64_t>(__builtin_return_address(0));
  std::uint64_t ip, sp, bp;
  // One block: the CFI row of `ip` is the one that holds at `sp`.
  __asm__ volatile(
      "lea 0(%%rip), %0\n\t"
      "mov %%rsp, %1\n\t"
      "mov %%rbp, %2"
      : "=r"(ip), "=r"(sp), "=r"(bp));
  sample.user_ip = ip;
  sample.user_sp = sp;
  sample.user_bp = bp;
  std::uint64_t size = std::min<std::uint64_t>({bytes, stack_above(sp), EMBER_MAX_STACK_SNAPSHOT});
  copy_stack(sample.stack_snapshot, sp, size);
  sample.snapshot_size = static_cast<std::uint32_t>(size);
  sample.flags |= EMBER_SAMPLE_HAS_SNAPSHOT;
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void middle(ember_sample& sample, std::uint32_t bytes,
                                      ChainTruth& truth) {
  truth.into_outer = reinterpret_cast<std::uint64_t>(__builtin_return_address(0));
  inner(sample, bytes, truth);
  __asm__ volatile("" ::: "memory");  // not a tail call
}

__attribute__((noinline)) void outer(ember_sample& sample, std::uint32_t bytes, ChainTruth& truth) {
  truth.into_caller = reinterpret_cast<std::uint64_t>(__builtin_return_address(0));
  middle(sample, bytes, truth);
  __asm__ volatile("" ::: "memory");
}

}  // namespace

void capture_chain(ember_sample& sample, std::uint32_t snapshot_bytes, ChainTruth& truth) {
  outer(sample, snapshot_bytes, truth);
  __asm__ volatile("" ::: "memory");
}

}  // namespace ember_test
