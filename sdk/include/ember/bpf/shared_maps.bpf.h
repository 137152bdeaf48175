/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The sampler's maps that runtime plugins' BPF programs share, and the two
 * calls such a program needs. Included by bpf/sampler.bpf.c (which owns the
 * maps) and by every runtime plugin's <name>.bpf.c, whose loader binds them to
 * the sampler's with bpf_map__reuse_fd(map, host.bpf_map_fd(name)) before load.
 *
 * A runtime program is a SEC("perf_event") program that:
 *   struct ember_sample *sample = ember_current_sample();
 *   ... append to sample->runtime_frames, set runtime_frame_count / flags ...
 *   return ember_submit(ctx);   (tail call: never returns on success)
 */
#ifndef EMBER_BPF_SHARED_MAPS_BPF_H
#define EMBER_BPF_SHARED_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

#include "ember/bpf/sample.h"

/* One record per CPU. An ARRAY indexed by CPU, not a PERCPU_ARRAY: per-CPU
 * values are limited to 32 KiB and the record holds a 64 KiB stack snapshot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);  /* resized to the number of possible CPUs */
	__type(key, __u32);
	__type(value, struct ember_sample);
} ember_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, EMBER_MAX_PROGRAMS);
	__type(key, __u32);
	__type(value, __u32);
} ember_programs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EMBER_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} ember_stats SEC(".maps");

static __always_inline struct ember_sample *ember_current_sample(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&ember_scratch, &cpu);
}

static __always_inline void ember_count(__u32 stat)
{
	__u64 *value = bpf_map_lookup_elem(&ember_stats, &stat);
	if (value)
		*value += 1;
}

/* Hands the record to the sampler's submit program. */
static __always_inline int ember_submit(void *ctx)
{
	bpf_tail_call(ctx, &ember_programs, EMBER_PROG_SUBMIT);
	ember_count(EMBER_STAT_TAIL_CALL_FAILED);
	return 0;
}

#endif /* EMBER_BPF_SHARED_MAPS_BPF_H */
