/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What node.bpf.c and the Node.js plugin share: the per-process V8 layout the
 * plugin writes (keyed by tgid) and the meaning of the two words of each
 * runtime frame the walker records.
 *
 * The walker visits the native frames the sampler's frame-pointer walk found
 * (user_frame_addresses: the frame pointer each ran with). A native frame is
 * a JavaScript frame when the slot at fp + fp_function holds a JSFunction
 * (a heap object whose map's instance type is one of JSFunction's); then
 *
 *   word0 = its SharedFunctionInfo (tagged pointer)
 *   word1 = bits  0..31 the bytecode offset slot's Smi value (interpreted
 *                       frames: the offset from the BytecodeArray's tagged
 *                       pointer), else 0
 *           bits 32..39 the index of the native frame in user_frames
 *           bits 40..59 NODE_CHECK of the SharedFunctionInfo's
 *                       name_or_scope_info word, read with it: a
 *                       SharedFunctionInfo the GC moved away, and another
 *                       put at its address, reads differently
 *           bits 60..61 enum node_frame_type
 *   runtime_anchors[i] = that frame pointer: each JavaScript frame is its
 *                       own group, anchored in its own native frame.
 */
#ifndef EMBER_NODE_BPF_H
#define EMBER_NODE_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define NODE_MAX_PROCESSES 4096

/* The frame slots are read in one go: NODE_SLOT_WINDOW bytes below fp. */
#define NODE_SLOT_WINDOW 64

#define NODE_FRAME_INDEX_SHIFT 32
#define NODE_CHECK_SHIFT 40
#define NODE_CHECK_MASK 0xfffffull
#define NODE_TYPE_SHIFT 60
/* The check kept of a name_or_scope_info word (its low 3 bits are the tag). */
#define NODE_CHECK(word) (((word) >> 3) & NODE_CHECK_MASK)

enum node_frame_type {
	NODE_FRAME_OPTIMIZED = 1,   /* no BytecodeArray in the frame: Maglev or TurboFan */
	NODE_FRAME_INTERPRETED = 2, /* Ignition: BytecodeArray and a bytecode offset */
	NODE_FRAME_BASELINE = 3,    /* Sparkplug: BytecodeArray, no offset slot */
};

/* The V8 layout the walker reads, from the binary's v8dbg_* metadata. */
struct node_offsets {
	__s32 fp_function;        /* frame slots from fp, in [-NODE_SLOT_WINDOW, -8] */
	__s32 fp_bytecode_array;
	__s32 fp_bytecode_offset;
	__u32 heap_object_tag;
	__u32 heap_object_tag_mask;
	__u32 smi_shift;
	__u32 heap_object_map;    /* field offsets from an object's untagged start */
	__u32 map_instance_type;
	__u32 js_function_shared;
	__u32 sfi_name_or_scope_info;
	__u32 type_js_function_first;
	__u32 type_js_function_last;
	__u32 type_shared_function_info;
	__u32 type_bytecode_array;
};

struct node_process_config {
	struct node_offsets offsets;
	__u32 max_frames; /* <= EMBER_MAX_RUNTIME_FRAMES */
	__u32 reserved;
};

#endif /* EMBER_NODE_BPF_H */
