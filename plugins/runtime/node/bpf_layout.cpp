// node.bpf.c (clang -target bpf) and this plugin (the host compiler) read
// the per-process config through one header: its layout must be the same
// byte for byte on both, so a field that brings padding or moves fails the
// build here instead of sending the walker to wrong offsets.
#include <cstddef>

#include "bpf/node_bpf.h"

// Three __s32 then eleven __u32, densely packed.
static_assert(sizeof(node_offsets) == 14 * 4);
static_assert(offsetof(node_offsets, fp_bytecode_offset) == 8);
static_assert(offsetof(node_offsets, heap_object_map) == 24);
static_assert(offsetof(node_offsets, sfi_name_or_scope_info) == 36);
static_assert(offsetof(node_offsets, type_bytecode_array) == 52);
static_assert(sizeof(node_process_config) == sizeof(node_offsets) + 8);
static_assert(offsetof(node_process_config, max_frames) == sizeof(node_offsets));
