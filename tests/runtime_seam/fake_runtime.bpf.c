// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A runtime plugin's BPF program in miniature: tail-called by the sampler for
// the processes the plugin owns, it appends two "interpreter" frames and hands
// the record back to the sampler's submit program.
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "ember/bpf/shared_maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("perf_event")
int fake_runtime_walk(struct bpf_perf_event_data *ctx)
{
	struct ember_sample *sample = ember_current_sample();
	if (!sample)
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	sample->runtime_frames[0].word0 = 1;  // leaf: "fake_leaf"
	sample->runtime_frames[0].word1 = tid;
	sample->runtime_frames[1].word0 = 2;  // its caller: "fake_caller"
	sample->runtime_frames[1].word1 = tid;
	sample->runtime_frame_count = 2;
	return ember_submit(ctx);
}
