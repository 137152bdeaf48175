// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A runtime plugin's BPF program in miniature: tail-called by the sampler for
// the processes the plugin owns, it walks the fake interpreter's frame stack
// (struct toy_frame in fake_interpreter.c), appends one runtime frame per
// interpreter frame and, as its anchor, the frame record's address: the
// record lives on the C stack of the interpreter_loop call that runs the
// frame. Then it hands the record back to the sampler's submit program.
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "ember/bpf/shared_maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FAKE_MAX_FRAMES 8

// tgid -> address of toy_top in that process (written by the plugin).
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} fake_processes SEC(".maps");

SEC("perf_event")
int fake_runtime_walk(struct bpf_perf_event_data *ctx)
{
	struct ember_sample *sample = ember_current_sample();
	if (!sample)
		return 0;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 *top = bpf_map_lookup_elem(&fake_processes, &tgid);
	if (!top)
		return ember_submit(ctx);
	__u64 frame = 0;
	bpf_probe_read_user(&frame, sizeof(frame), (const void *)*top);
	__u32 count = 0;
	for (__u32 i = 0; i < FAKE_MAX_FRAMES && frame; i++) {
		__u64 record[2];  // struct toy_frame: function, previous
		if (bpf_probe_read_user(record, sizeof(record), (const void *)frame) != 0) {
			sample->flags |= EMBER_SAMPLE_RUNTIME_FAILED;
			break;
		}
		sample->runtime_frames[i].word0 = record[0];
		sample->runtime_frames[i].word1 = 0;
		sample->runtime_anchors[i] = frame;
		count = i + 1;
		frame = record[1];
	}
	sample->runtime_frame_count = count;
	sample->runtime_anchor_count = count;
	return ember_submit(ctx);
}
