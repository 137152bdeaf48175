// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The goroutine label finder, tail-called by the sampler for the Go
// processes whose layout the Go plugin knows: records the current
// goroutine's pprof label map (see go_labels_bpf.h), which userspace reads.
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "ember/bpf/shared_maps.bpf.h"
#include "go_labels_bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GO_LABELS_MAX_PROCESSES);
	__type(key, __u32); /* tgid */
	__type(value, struct go_labels_config);
} go_processes SEC(".maps");

static __always_inline __u64 read_u64(__u64 address)
{
	__u64 value = 0;
	if (bpf_probe_read_user(&value, sizeof(value), (const void *)address) != 0)
		return 0;
	return value;
}

SEC("perf_event")
int go_labels(struct bpf_perf_event_data *ctx)
{
	struct ember_sample *sample = ember_current_sample();
	if (!sample)
		return 0;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct go_labels_config *config = bpf_map_lookup_elem(&go_processes, &tgid);
	if (!config)
		return ember_submit(ctx);
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 fs_base = BPF_CORE_READ(task, thread.fsbase);
	__u64 g = fs_base ? read_u64(fs_base + config->g_tls_offset) : 0;
	if (!g)
		return ember_submit(ctx);
	__u64 bounds[2] = {};
	if (bpf_probe_read_user(bounds, sizeof(bounds), (const void *)g) != 0)
		return ember_submit(ctx);
	// Not this thread's g (a thread Go did not start, a wrong offset).
	if (!(bounds[0] < sample->user_sp && sample->user_sp <= bounds[1]))
		return ember_submit(ctx);
	__u64 m = read_u64(g + config->g_m);
	__u64 curg = m ? read_u64(m + config->m_curg) : 0;
	if (!curg)
		return ember_submit(ctx);
	// g.labels is a *labelMap: the map itself is the word it points at.
	__u64 labels = read_u64(curg + config->g_labels);
	sample->runtime_frames[0].word0 = labels ? read_u64(labels) : 0;
	sample->runtime_frames[0].word1 = curg;
	sample->runtime_frame_count = 1;
	sample->runtime_anchor_count = 0;
	return ember_submit(ctx);
}
