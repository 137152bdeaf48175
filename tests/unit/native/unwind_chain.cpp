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
  std::uint64_t ip, sp, bp, bx;
  // One block: the CFI row of `ip` is the one that holds at `sp`.
  __asm__ volatile(
      "lea 0(%%rip), %0\n\t"
      "mov %%rsp, %1\n\t"
      "mov %%rbp, %2\n\t"
      "mov %%rbx, %3"
      : "=r"(ip), "=r"(sp), "=r"(bp), "=r"(bx));
  sample.user_ip = ip;
  sample.user_sp = sp;
  sample.user_bp = bp;
  sample.user_bx = bx;
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

struct RbxCapture {
  ember_sample* sample;
  std::uint32_t bytes;
  RbxChainTruth* truth;
};

// Called by the rbx frame with the registers it had at its call: ip, sp,
// bp, bx. The stack from that sp up is the rbx frame's and its callers'.
void capture_in_rbx_frame(void* arg, const std::uint64_t* registers) {
  auto& capture = *static_cast<RbxCapture*>(arg);
  ember_sample& sample = *capture.sample;
  sample.user_ip = registers[0];
  sample.user_sp = registers[1];
  sample.user_bp = registers[2];
  sample.user_bx = registers[3];
  // The frame pushed rbx below its return address and keeps sp in rbx.
  std::memcpy(&capture.truth->into_caller, reinterpret_cast<const void*>(registers[3] + 8), 8);
  std::uint64_t size =
      std::min<std::uint64_t>({capture.bytes, stack_above(registers[1]), EMBER_MAX_STACK_SNAPSHOT});
  copy_stack(sample.stack_snapshot, registers[1], size);
  sample.snapshot_size = static_cast<std::uint32_t>(size);
  sample.flags |= EMBER_SAMPLE_HAS_SNAPSHOT;
}

}  // namespace
}  // namespace ember_test

// ember_test_rbx_frame(capture, arg): the prologue of glibc's
// _dl_runtime_resolve_xsavec (CFA = rbx + 16 once sp is aligned), then
// capture(arg, registers) with the registers as they are at that call.
extern "C" void ember_test_rbx_frame(void (*capture)(void*, const std::uint64_t*), void* arg);
asm(".pushsection .text\n"
    ".globl ember_test_rbx_frame\n"
    ".type ember_test_rbx_frame, @function\n"
    "ember_test_rbx_frame:\n"
    "  .cfi_startproc\n"
    "  pushq %rbx\n"
    "  .cfi_adjust_cfa_offset 8\n"
    "  .cfi_rel_offset %rbx, 0\n"
    "  mov %rsp, %rbx\n"
    "  .cfi_def_cfa_register %rbx\n"
    "  and $-64, %rsp\n"
    "  sub $64, %rsp\n"
    "  mov %rdi, %rax\n"
    "  mov %rsi, %rdi\n"
    "  mov %rsp, %rsi\n"
    "  lea 1f(%rip), %rcx\n"
    "  mov %rcx, 0(%rsp)\n"
    "  mov %rsp, 8(%rsp)\n"
    "  mov %rbp, 16(%rsp)\n"
    "  mov %rbx, 24(%rsp)\n"
    "1:\n"
    "  call *%rax\n"
    "  mov %rbx, %rsp\n"
    "  .cfi_def_cfa_register %rsp\n"
    "  popq %rbx\n"
    "  .cfi_adjust_cfa_offset -8\n"
    "  .cfi_restore %rbx\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size ember_test_rbx_frame, .-ember_test_rbx_frame\n"
    ".popsection\n");

namespace ember_test {

__attribute__((noinline)) void capture_rbx_chain(ember_sample& sample,
                                                 std::uint32_t snapshot_bytes,
                                                 RbxChainTruth& truth) {
  truth.into_test = reinterpret_cast<std::uint64_t>(__builtin_return_address(0));
  RbxCapture capture{&sample, snapshot_bytes, &truth};
  ember_test_rbx_frame(capture_in_rbx_frame, &capture);
  __asm__ volatile("" ::: "memory");  // not a tail call
}

void capture_chain(ember_sample& sample, std::uint32_t snapshot_bytes, ChainTruth& truth) {
  outer(sample, snapshot_bytes, truth);
  __asm__ volatile("" ::: "memory");
}

}  // namespace ember_test
