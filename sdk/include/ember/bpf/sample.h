/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The records the sampler's BPF programs hand to userspace, and the maps the
 * sampler shares with runtime plugins' BPF programs. Seen by clang -target bpf
 * and by C++ (which static_asserts the layout in core/sampler/record_layout.cpp).
 *
 * Fixed-width fields only, no pointers, no bool. Changing a field here bumps
 * the ABI major (ember/abi.hpp).
 */
#ifndef EMBER_BPF_SAMPLE_H
#define EMBER_BPF_SAMPLE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define EMBER_COMM_LEN 16
#define EMBER_MAX_KERNEL_FRAMES 64
#define EMBER_MAX_USER_FRAMES 128
#define EMBER_MAX_RUNTIME_FRAMES 128
#define EMBER_MAX_RUNTIME_ANCHORS 128
/* Upper bound of the user stack snapshot for DWARF unwinding (issue 4). */
#define EMBER_MAX_STACK_SNAPSHOT 65536

/* Slots of the `ember_programs` prog_array. Slot 0 is the sampler's own
 * submit program; runtime plugins get slots from the host, 1..MAX-1. */
#define EMBER_PROG_SUBMIT 0
#define EMBER_MAX_PROGRAMS 16

/* ember_record_header.type */
enum ember_record_type {
	EMBER_RECORD_SAMPLE = 1,
	EMBER_RECORD_EXEC = 2,
	EMBER_RECORD_EXIT = 3,
	/* A process forked by one whose runtime plugin walks it in BPF (header.pid
	 * is the child): attach to it before its first samples. */
	EMBER_RECORD_FORK = 4,
};

/* ember_sample.flags */
enum ember_sample_flags {
	EMBER_SAMPLE_KERNEL_TRUNCATED = 1u << 0,  /* kernel stack deeper than the array */
	EMBER_SAMPLE_USER_TRUNCATED = 1u << 1,    /* user FP walk filled the array */
	EMBER_SAMPLE_RUNTIME_TRUNCATED = 1u << 2, /* interpreter walk hit its depth bound */
	EMBER_SAMPLE_RUNTIME_FAILED = 1u << 3,    /* interpreter walk gave up (bad read) */
	EMBER_SAMPLE_HAS_SNAPSHOT = 1u << 4,      /* regs + stack_snapshot are valid */
	/* user_frame_addresses are valid (processes walked by a runtime program) */
	EMBER_SAMPLE_HAS_FRAME_ADDRESSES = 1u << 5,
};

/* Per-pid entry of the `ember_runtimes` map, written by the host for the
 * runtime plugin that owns the process. */
struct ember_process_runtime {
	__u32 program;   /* ember_programs slot to tail-call, 0 = none */
	__u32 flags;     /* EMBER_PROCESS_* */
};

enum ember_process_flags {
	EMBER_PROCESS_STACK_SNAPSHOT = 1u << 0, /* copy regs + stack top for DWARF */
	/* Wake the reader at each sample (host only): it waits for the dynamic
	 * loader of a just exec'd process to map its libraries. */
	EMBER_PROCESS_WAKE_READER = 1u << 1,
};

/* One interpreter frame; the two words mean what the runtime says
 * (CPython: code object address, instruction offset). */
struct ember_runtime_frame {
	__u64 word0;
	__u64 word1;
};

struct ember_record_header {
	__u32 type;     /* enum ember_record_type */
	__u32 cpu;
	__u64 time_ns;  /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 pid;      /* tgid */
	__u32 tid;
	char comm[EMBER_COMM_LEN];
};

/* Exec and exit of a process (sched_process_exec / sched_process_exit of the
 * group leader). */
struct ember_process_event {
	struct ember_record_header header;
	__u64 cgroup_id;
};

/*
 * One stack sample, as BPF programs build it and plugins read it. Arrays are
 * filled from index 0 = leaf.
 *
 * On the ring buffer a sample travels packed, so a 20-frame stack costs a
 * few hundred bytes instead of the whole struct: the fixed part (everything
 * before kernel_frames), then kernel_frame_count kernel frames,
 * user_frame_count user frames, as many user frame addresses when
 * EMBER_SAMPLE_HAS_FRAME_ADDRESSES is set, runtime_frame_count runtime
 * frames, runtime_anchor_count anchors and snapshot_size bytes of stack. The
 * core unpacks it into this struct before any plugin sees it.
 *
 * Anchors tie interpreter frames to the native frame they run in: a runtime
 * program records, per group of its frames, a stack address inside the native
 * frame of the eval call that runs them (CPython 3.11+: the eval call's
 * _PyCFrame or entry frame, kept on its C stack). What each anchor belongs to
 * is the runtime's to say; its plugin hands them to the host with the groups
 * (RuntimeFrameGroup::anchor in ember/runtime_plugin.hpp).
 */
struct ember_sample {
	struct ember_record_header header;
	__u64 cgroup_id;
	__u32 flags;                 /* enum ember_sample_flags */
	__u32 runtime_program;       /* slot that added runtime_frames, 0 = none */
	__u32 kernel_frame_count;
	__u32 user_frame_count;
	__u32 runtime_frame_count;
	__u32 snapshot_size;         /* bytes valid in stack_snapshot */
	__u32 runtime_anchor_count;
	__u32 reserved;
	/* User registers at the sample, for unwinding from the snapshot. */
	__u64 user_ip;
	__u64 user_sp;
	__u64 user_bp;
	/* Code may keep its CFA in rbx (glibc's _dl_runtime_resolve aligns the
	 * stack for xsave and keeps the old sp there). */
	__u64 user_bx;
	__u64 kernel_frames[EMBER_MAX_KERNEL_FRAMES];
	__u64 user_frames[EMBER_MAX_USER_FRAMES];
	/* The frame pointer each user frame ran with (its CFA is this + 16 on
	 * x86-64), from the sampler's frame-pointer walk: for user_frames[0]
	 * the sampled rbp, for user_frames[k + 1] the rbp saved at
	 * user_frame_addresses[k]. Valid with EMBER_SAMPLE_HAS_FRAME_ADDRESSES. */
	__u64 user_frame_addresses[EMBER_MAX_USER_FRAMES];
	struct ember_runtime_frame runtime_frames[EMBER_MAX_RUNTIME_FRAMES];
	__u64 runtime_anchors[EMBER_MAX_RUNTIME_ANCHORS];
	__u8 stack_snapshot[EMBER_MAX_STACK_SNAPSHOT];
};

/* Counters in the `ember_stats` per-CPU array, index = enum. */
enum ember_stat {
	EMBER_STAT_SAMPLES = 0,       /* samples submitted */
	EMBER_STAT_LOST = 1,          /* ring buffer full: sample dropped */
	EMBER_STAT_SKIPPED_SELF = 2,  /* samples of ember's own threads */
	EMBER_STAT_TAIL_CALL_FAILED = 3,
	EMBER_STAT_EVENTS_LOST = 4,   /* exec/exit events dropped */
	EMBER_STAT_COUNT = 5,
};

#endif /* EMBER_BPF_SAMPLE_H */
