// cpython.bpf.c (clang -target bpf) and this plugin (the host compiler) read
// the per-process config through one header: its layout must be the same
// byte for byte on both, so a field that brings padding or moves fails the
// build here instead of sending the walker to wrong offsets.
#include <cstddef>

#include "bpf/cpython_bpf.h"

// Six __u16 then 38 __u32, densely packed.
static_assert(sizeof(cpython_offsets) == 12 + 4 * 38);
static_assert(offsetof(cpython_offsets, minor) == 2);
static_assert(offsetof(cpython_offsets, frame_model) == 4);
static_assert(offsetof(cpython_offsets, runtime_interpreters_head) == 12);
static_assert(offsetof(cpython_offsets, tstate_next) == 32);
static_assert(offsetof(cpython_offsets, frame_previous) == 68);
static_assert(offsetof(cpython_offsets, frame_code) == 72);
static_assert(offsetof(cpython_offsets, frame_instr) == 76);
static_assert(offsetof(cpython_offsets, code_name) == 92);
static_assert(offsetof(cpython_offsets, unicode_ascii_bit) == sizeof(cpython_offsets) - 4);

static_assert(sizeof(cpython_process_config) == 32 + sizeof(cpython_offsets) + 4);
static_assert(offsetof(cpython_process_config, tstate_current_address) == 8);
static_assert(offsetof(cpython_process_config, interp) == 16);
static_assert(offsetof(cpython_process_config, max_frames) == 24);
static_assert(offsetof(cpython_process_config, offsets) == 32);
