// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The toyvm plugin's BPF program. The sampler tail-calls it for the processes
// the plugin attached to (Host::set_process_program); it walks toyvm's frame
// stack from toyvm_top and appends one runtime frame per toy call: word0 the
// function, word1 the line. Each frame's anchor is its record's address: the
// record lives on the C stack of the toyvm_eval call that runs it, so the
// host merges it at that native frame. Then it hands the sample to the
// sampler's submit program (ember_submit).
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "ember/bpf/shared_maps.bpf.h"
#include "toyvm_layout.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TOYVM_MAX_FRAMES 16

// tgid -> address of toyvm_top in that process (written by the plugin).
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} toyvm_processes SEC(".maps");

SEC("perf_event")
int toyvm_walk(struct bpf_perf_event_data *ctx)
{
	struct ember_sample *sample = ember_current_sample();
	if (!sample)
		return 0;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 *top = bpf_map_lookup_elem(&toyvm_processes, &tgid);
	if (!top)
		return ember_submit(ctx);
	__u64 address = 0;
	bpf_probe_read_user(&address, sizeof(address), (const void *)*top);
	__u32 count = 0;
	for (__u32 i = 0; i < TOYVM_MAX_FRAMES && i < EMBER_MAX_RUNTIME_FRAMES && address; i++) {
		struct toyvm_frame frame;
		if (bpf_probe_read_user(&frame, sizeof(frame), (const void *)address) != 0) {
			sample->flags |= EMBER_SAMPLE_RUNTIME_FAILED;
			break;
		}
		sample->runtime_frames[i].word0 = frame.function;
		sample->runtime_frames[i].word1 = frame.line;
		sample->runtime_anchors[i] = address;
		count = i + 1;
		address = frame.previous;
	}
	if (address)
		sample->flags |= EMBER_SAMPLE_RUNTIME_TRUNCATED;
	sample->runtime_frame_count = count;
	sample->runtime_anchor_count = count;
	return ember_submit(ctx);
}
