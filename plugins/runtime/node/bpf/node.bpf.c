// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The V8 frame finder, tail-called by the sampler for the node processes the
// Node.js plugin attached to. V8 keeps frame pointers in all the code it
// generates, so the sampler's frame-pointer walk already went through the
// JavaScript frames; this program looks at each native frame it found for
// the JSFunction V8 keeps in every JavaScript frame (interpreted, baseline
// or optimized) and records that function's SharedFunctionInfo, which
// userspace names (see node_bpf.h for the words).
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "ember/bpf/shared_maps.bpf.h"
#include "node_bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NODE_MAX_PROCESSES);
	__type(key, __u32); /* tgid */
	__type(value, struct node_process_config);
} node_processes SEC(".maps");

static __always_inline __u64 read_u64(__u64 address)
{
	__u64 value = 0;
	if (bpf_probe_read_user(&value, sizeof(value), (const void *)address) != 0)
		return 0;
	return value;
}

static __always_inline __u16 read_u16(__u64 address)
{
	__u16 value = 0;
	if (bpf_probe_read_user(&value, sizeof(value), (const void *)address) != 0)
		return 0;
	return value;
}

static __always_inline int is_heap_object(const struct node_offsets *off, __u64 value)
{
	return value > 4096 && (value & off->heap_object_tag_mask) == off->heap_object_tag;
}

/* The instance type of a tagged heap object, 0 when it does not read as one. */
static __always_inline __u32 instance_type(const struct node_offsets *off, __u64 object)
{
	if (!is_heap_object(off, object))
		return 0;
	__u64 map = read_u64(object - off->heap_object_tag + off->heap_object_map);
	if (!is_heap_object(off, map))
		return 0;
	return read_u16(map - off->heap_object_tag + off->map_instance_type);
}

/* A frame slot from the window read below fp. */
static __always_inline __u64 slot(const __u64 *window, __s32 offset)
{
	__s32 from_bottom = offset + NODE_SLOT_WINDOW;
	if (from_bottom < 0 || from_bottom >= NODE_SLOT_WINDOW)
		return 0;
	__u32 index = (__u32)from_bottom >> 3;
	if (index >= NODE_SLOT_WINDOW / 8)
		return 0;
	return window[index];
}

/* How far the frame walk got. Kept in a map, not on the stack: the verifier
 * knows stack values exactly, so each frame count would be another state of
 * the loop body to verify; a map value's fields are unknown to it, and one
 * pass proves the body for every count. */
struct frame_progress {
	__u32 native_count;
	__u32 count;
	__u32 max;
	__u8 truncated;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct frame_progress);
} node_walks SEC(".maps");

struct frame_walk {
	const struct node_offsets *off;
	struct frame_progress *progress;
};

static long frame_step(__u64 index, void *data)
{
	struct frame_walk *context = data;
	const struct node_offsets *off = context->off;
	struct frame_progress *walk = context->progress;
	if (index >= walk->native_count || index >= EMBER_MAX_USER_FRAMES)
		return 1;
	__u32 count = walk->count;
	if (count >= walk->max || count >= EMBER_MAX_RUNTIME_FRAMES ||
	    count >= EMBER_MAX_RUNTIME_ANCHORS) {
		walk->truncated = 1;
		return 1;
	}
	struct ember_sample *sample = ember_current_sample();
	if (!sample)
		return 1;
	__u64 fp = sample->user_frame_addresses[index];
	if (fp < NODE_SLOT_WINDOW)
		return 0;
	__u64 window[NODE_SLOT_WINDOW / 8] = {};
	if (bpf_probe_read_user(window, sizeof(window), (const void *)(fp - NODE_SLOT_WINDOW)) != 0)
		return 0;

	__u64 function = slot(window, off->fp_function);
	__u32 type = instance_type(off, function);
	if (type < off->type_js_function_first || type > off->type_js_function_last)
		return 0;
	__u64 shared = read_u64(function - off->heap_object_tag + off->js_function_shared);
	if (instance_type(off, shared) != off->type_shared_function_info)
		return 0;
	__u64 name = read_u64(shared - off->heap_object_tag + off->sfi_name_or_scope_info);

	__u64 frame_type = NODE_FRAME_OPTIMIZED;
	__u64 bytecode_offset = 0;
	__u64 bytecode = slot(window, off->fp_bytecode_array);
	if (instance_type(off, bytecode) == off->type_bytecode_array) {
		__u64 raw = slot(window, off->fp_bytecode_offset);
		if ((raw & 1) == 0) { /* a Smi: Ignition's offset */
			frame_type = NODE_FRAME_INTERPRETED;
			bytecode_offset = (raw >> (off->smi_shift & 63)) & 0xffffffffull;
		} else {
			frame_type = NODE_FRAME_BASELINE;
		}
	}
	sample->runtime_frames[count].word0 = shared;
	sample->runtime_frames[count].word1 = bytecode_offset |
					      ((__u64)index << NODE_FRAME_INDEX_SHIFT) |
					      ((__u64)NODE_CHECK(name) << NODE_CHECK_SHIFT) |
					      (frame_type << NODE_TYPE_SHIFT);
	sample->runtime_anchors[count] = fp;
	walk->count = count + 1;
	return 0;
}

SEC("perf_event")
int node_walk(struct bpf_perf_event_data *ctx)
{
	struct ember_sample *sample = ember_current_sample();
	if (!sample)
		return 0;
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	struct node_process_config *config = bpf_map_lookup_elem(&node_processes, &tgid);
	if (!config) {
		/* A child forked by a walked process, before the host attached to
		 * it: its memory is a copy of the parent's, so the parent's config
		 * holds (an exec would have cleared the route). */
		__u32 parent = BPF_CORE_READ(bpf_get_current_task_btf(), real_parent, tgid);
		config = bpf_map_lookup_elem(&node_processes, &parent);
	}
	sample->runtime_frame_count = 0;
	sample->runtime_anchor_count = 0;
	if (!config || !(sample->flags & EMBER_SAMPLE_HAS_FRAME_ADDRESSES))
		return ember_submit(ctx);

	__u32 zero = 0;
	struct frame_progress *walk = bpf_map_lookup_elem(&node_walks, &zero);
	if (!walk)
		return ember_submit(ctx);
	*walk = (struct frame_progress){
		.native_count = sample->user_frame_count,
		.max = config->max_frames,
	};
	struct frame_walk context = {.off = &config->offsets, .progress = walk};
	bpf_loop(EMBER_MAX_USER_FRAMES, frame_step, &context, 0);
	sample = ember_current_sample();
	if (!sample)
		return 0;
	sample->runtime_frame_count = walk->count;
	sample->runtime_anchor_count = walk->count;
	if (walk->truncated)
		sample->flags |= EMBER_SAMPLE_RUNTIME_TRUNCATED;
	return ember_submit(ctx);
}
