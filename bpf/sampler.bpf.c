// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// ember's sampler: one perf_event program on every CPU builds a stack sample
// in a per-CPU scratch record, lets the process' runtime plugin append
// interpreter frames (tail call), and submits it to the ring buffer.
// Tracepoints report process exec and exit, so the process table stays fresh,
// and forks of interpreter processes, so their children are walked at once.
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "ember/bpf/sample.h"
#include "ember/bpf/shared_maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// Set by the loader before load (core/sampler/sampler.cpp).
const volatile __u32 agent_tgid = 0;   // ember itself: never sampled
const volatile __u32 filter_pids = 0;  // 1: only pids in ember_pid_filter
const volatile __u32 follow_forks = 0;  // 1: their children join ember_pid_filter
// Records are sent without waking the reader (it polls every 100 ms) until
// this much is pending: one wakeup per sample would cost more than the sample.
const volatile __u64 wakeup_bytes = 1 << 20;
// The ring's size less the most space one sample can take
// (core/sampler/ring_size.cpp): with more than this pending, every sample is
// dropped alike, whatever its size.
const volatile __u64 max_pending_bytes = 0;
// Bytes of user stack copied from the stack pointer: for processes whose
// ember_runtimes entry asks for it (EMBER_PROCESS_STACK_SNAPSHOT, DWARF
// unwinding in userspace), and a small copy for every other process so the
// leaf frame can be unwound by CFI (a leaf without a frame pointer would
// hide its caller from the frame-pointer walk). 0 = off.
const volatile __u32 stack_snapshot_bytes = 16384;
const volatile __u32 leaf_snapshot_bytes = 1024;
// A reader running behind costs stack copies before it costs whole samples.
// Past half the ring pending, a process on the full snapshot gets the leaf
// copy (its stack may end [truncated] where the copy ends; counted in
// snapshots_cut). Past three quarters, every other process gets no copy:
// its stack is the frame-pointer walk alone, which misses the caller of a
// leaf that keeps no frame pointer, and stops where code without them is
// (counted in leaf_copies_dropped). Those on the full snapshot keep the leaf
// copy: a walk by frame pointers through code without them would make up
// frames.
const volatile __u64 snapshot_cut_pending_bytes = ~0ull;
const volatile __u64 leaf_copy_drop_pending_bytes = ~0ull;
__u64 snapshots_cut = 0;
__u64 leaf_copies_dropped = 0;
// Entries of a user stack, as kernel.perf_event_max_stack bounds the kernel's
// walk: the sampler's own walk stops where the kernel's would.
const volatile __u32 max_user_frames = EMBER_MAX_USER_FRAMES;
// Set by the agent while a runtime plugin unwinds user stacks
// (Sampler::set_snapshot_new_processes): a process starts on the full
// snapshot at exec, or at its fork from a process on it, until that plugin
// judged its binaries. A short-lived program (a shell loop's readlink) has
// its few samples before it is judged; on the leaf copy alone, those of code
// without frame pointers (most distributions' binaries, the dynamic loader)
// would end early. Early in a process its stack is shallow: the copy, bounded
// by the stack's top, is small.
__u32 snapshot_new_processes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);  // resized from [sampler] ring_buffer_kib
} ember_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);  // few entries used: don't allocate 64k up front
	__uint(max_entries, 65536);
	__type(key, __u32);  // tgid
	__type(value, struct ember_process_runtime);
} ember_runtimes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, __u32);  // tgid
	__type(value, __u8);
} ember_pid_filter SEC(".maps");

// Where a sample is packed before it goes to the ring buffer (see sample.h).
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);  // resized to the number of possible CPUs
	__type(key, __u32);
	__type(value, struct ember_sample);
} ember_wire SEC(".maps");

#define FIXED_SIZE __builtin_offsetof(struct ember_sample, kernel_frames)

static __always_inline __u64 wakeup_flag(void)
{
	return bpf_ringbuf_query(&ember_events, BPF_RB_AVAIL_DATA) >= wakeup_bytes
		       ? BPF_RB_FORCE_WAKEUP
		       : BPF_RB_NO_WAKEUP;
}

static __always_inline __u32 at_most(__u32 value, __u32 limit)
{
	return value < limit ? value : limit;
}

// `wake`: wake the reader now (see EMBER_PROCESS_WAKE_READER).
static __always_inline int submit(struct ember_sample *sample, bool wake)
{
	// A nearly full ring would still take a shallow stack and refuse a deep
	// one: losses would bias the profile towards shallow stacks.
	__u64 pending = bpf_ringbuf_query(&ember_events, BPF_RB_AVAIL_DATA);
	if (pending > max_pending_bytes) {
		ember_count(EMBER_STAT_LOST);
		return 0;
	}

	__u32 cpu = bpf_get_smp_processor_id();
	__u8 *wire = bpf_map_lookup_elem(&ember_wire, &cpu);
	if (!wire)
		return 0;

	// Every length is clamped where it is used, so the verifier can prove
	// the packed record fits the wire buffer.
	__u32 kernel = at_most(sample->kernel_frame_count, EMBER_MAX_KERNEL_FRAMES);
	__u32 user = at_most(sample->user_frame_count, EMBER_MAX_USER_FRAMES);
	__u32 user_addresses = sample->flags & EMBER_SAMPLE_HAS_FRAME_ADDRESSES ? user : 0;
	__u32 runtime = at_most(sample->runtime_frame_count, EMBER_MAX_RUNTIME_FRAMES);
	__u32 anchors = at_most(sample->runtime_anchor_count, EMBER_MAX_RUNTIME_ANCHORS);
	__u32 snapshot = at_most(sample->snapshot_size, EMBER_MAX_STACK_SNAPSHOT);
	sample->kernel_frame_count = kernel;
	sample->user_frame_count = user;
	sample->runtime_frame_count = runtime;
	sample->runtime_anchor_count = anchors;
	sample->snapshot_size = snapshot;

	__builtin_memcpy(wire, sample, FIXED_SIZE);
	__u64 size = FIXED_SIZE;
	bpf_probe_read_kernel(wire + size, kernel * sizeof(__u64), sample->kernel_frames);
	size += kernel * sizeof(__u64);
	bpf_probe_read_kernel(wire + size, user * sizeof(__u64), sample->user_frames);
	size += user * sizeof(__u64);
	bpf_probe_read_kernel(wire + size, user_addresses * sizeof(__u64),
			      sample->user_frame_addresses);
	size += user_addresses * sizeof(__u64);
	bpf_probe_read_kernel(wire + size, runtime * sizeof(struct ember_runtime_frame),
			      sample->runtime_frames);
	size += runtime * sizeof(struct ember_runtime_frame);
	bpf_probe_read_kernel(wire + size, anchors * sizeof(__u64), sample->runtime_anchors);
	size += anchors * sizeof(__u64);
	if (snapshot) {
		bpf_probe_read_kernel(wire + size, snapshot, sample->stack_snapshot);
		size += snapshot;
	}

	if (bpf_ringbuf_output(&ember_events, wire, size,
			       wake || pending + size >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
								     : BPF_RB_NO_WAKEUP))
		ember_count(EMBER_STAT_LOST);
	else
		ember_count(EMBER_STAT_SAMPLES);
	return 0;
}

#define SNAPSHOT_CHUNK 4096
#define SNAPSHOT_CHUNKS (EMBER_MAX_STACK_SNAPSHOT / SNAPSHOT_CHUNK)

// Copies up to `want` bytes of user stack from `sp` in 4 KiB chunks. The stack
// may end before sp + want (the top of the main thread's stack is near), so a
// chunk that faults is retried up to its page boundary and the copy stops
// there. Returns the bytes copied.
static __always_inline __u32 copy_stack(__u8 *snapshot, __u64 sp, __u32 want)
{
	__u32 copied = 0;
	for (__u32 i = 0; i < SNAPSHOT_CHUNKS; i++) {
		__u32 offset = i * SNAPSHOT_CHUNK;
		if (offset >= want)
			break;
		// Either a whole chunk or a masked remainder: both bounds the
		// verifier can see whatever the compiler does with `want`.
		__u32 left = want - offset;
		__u32 len = left >= SNAPSHOT_CHUNK ? SNAPSHOT_CHUNK : (left & (SNAPSHOT_CHUNK - 1));
		if (len == 0)
			break;
		const void *from = (const void *)(sp + offset);
		if (bpf_probe_read_user(snapshot + offset, len, from) == 0) {
			copied = offset + len;
			continue;
		}
		__u32 in_page = SNAPSHOT_CHUNK - ((sp + offset) & (SNAPSHOT_CHUNK - 1));
		if (in_page < len && in_page > 0 &&
		    bpf_probe_read_user(snapshot + offset, in_page, from) == 0)
			copied = offset + in_page;
		break;
	}
	return copied;
}

static __always_inline __u32 frames_of(long bytes)
{
	return bytes > 0 ? (__u32)(bytes / sizeof(__u64)) : 0;
}

#define PF_USER_WORKER 0x00004000
#define PF_KTHREAD 0x00200000

struct frame_pointer_walk {
	__u64 fp;
	__u32 count;
	__u32 max;
};

// One step of the walk the kernel does for bpf_get_stack(BPF_F_USER_STACK)
// (x86 perf_callchain_user): the frame record at fp holds the caller's frame
// pointer and the return address into the caller.
static long frame_pointer_step(__u64 index, void *data)
{
	struct frame_pointer_walk *walk = data;
	(void)index;
	__u32 count = walk->count;
	if (count >= walk->max || count >= EMBER_MAX_USER_FRAMES)
		return 1;
	struct ember_sample *sample = ember_current_sample();
	if (!sample)
		return 1;
	__u64 record[2];
	if (bpf_probe_read_user(record, sizeof(record), (const void *)walk->fp) != 0)
		return 1;
	sample->user_frames[count] = record[1];
	sample->user_frame_addresses[count] = record[0];
	walk->fp = record[0];
	walk->count = count + 1;
	return 0;
}

// The user stack by frame pointers, as the kernel walks it, and the frame
// pointer each frame ran with: where its frame is on the stack, which ties
// a runtime's frame groups to native frames (their anchors). Only for
// processes a runtime program walks: it costs a bpf_loop and, on the ring,
// 8 bytes per frame.
static __always_inline void walk_user_frame_pointers(struct ember_sample *sample,
						     struct task_struct *task)
{
	sample->user_frame_count = 0;
	// Kernel threads and io_uring-style workers have no user stack (the
	// kernel's walk skips them too).
	if (!BPF_CORE_READ(task, mm) || (BPF_CORE_READ(task, flags) & (PF_KTHREAD | PF_USER_WORKER)) ||
	    max_user_frames == 0)
		return;
	sample->user_frames[0] = sample->user_ip;
	sample->user_frame_addresses[0] = sample->user_bp;
	struct frame_pointer_walk walk = {
		.fp = sample->user_bp,
		.count = 1,
		.max = at_most(max_user_frames, EMBER_MAX_USER_FRAMES),
	};
	bpf_loop(EMBER_MAX_USER_FRAMES, frame_pointer_step, &walk, 0);
	sample->user_frame_count = walk.count;
	sample->flags |= EMBER_SAMPLE_HAS_FRAME_ADDRESSES;
}

SEC("perf_event")
int ember_sample_cpu(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	__u32 tid = (__u32)id;

	if (tid == 0)  // the idle task
		return 0;
	if (pid == agent_tgid) {
		ember_count(EMBER_STAT_SKIPPED_SELF);
		return 0;
	}
	if (filter_pids && !bpf_map_lookup_elem(&ember_pid_filter, &pid))
		return 0;

	struct ember_sample *sample = ember_current_sample();
	if (!sample)
		return 0;

	sample->header.type = EMBER_RECORD_SAMPLE;
	sample->header.cpu = bpf_get_smp_processor_id();
	sample->header.time_ns = bpf_ktime_get_ns();
	sample->header.pid = pid;
	sample->header.tid = tid;
	bpf_get_current_comm(sample->header.comm, sizeof(sample->header.comm));
	sample->cgroup_id = bpf_get_current_cgroup_id();
	sample->flags = 0;
	sample->runtime_program = 0;
	sample->runtime_frame_count = 0;
	sample->runtime_anchor_count = 0;
	sample->snapshot_size = 0;

	sample->kernel_frame_count =
		frames_of(bpf_get_stack(ctx, sample->kernel_frames, sizeof(sample->kernel_frames), 0));
	if (sample->kernel_frame_count == EMBER_MAX_KERNEL_FRAMES)
		sample->flags |= EMBER_SAMPLE_KERNEL_TRUNCATED;

	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	sample->user_ip = BPF_CORE_READ(regs, ip);
	sample->user_sp = BPF_CORE_READ(regs, sp);
	sample->user_bp = BPF_CORE_READ(regs, bp);
	sample->user_bx = BPF_CORE_READ(regs, bx);

	struct ember_process_runtime *runtime = bpf_map_lookup_elem(&ember_runtimes, &pid);
	// The user stack by frame pointers, from the user registers even when
	// the sample hit kernel code: by the kernel, or by the sampler where a
	// runtime program needs each frame's place on the stack too.
	if (runtime && runtime->program)
		walk_user_frame_pointers(sample, task);
	else
		sample->user_frame_count = frames_of(bpf_get_stack(
			ctx, sample->user_frames, sizeof(sample->user_frames), BPF_F_USER_STACK));
	// Either walk stops at max_user_frames: the array's size, or the
	// kernel's kernel.perf_event_max_stack (127 by default) when lower. A
	// stack that reached it was cut.
	if (max_user_frames > 0 &&
	    sample->user_frame_count >= at_most(max_user_frames, EMBER_MAX_USER_FRAMES))
		sample->flags |= EMBER_SAMPLE_USER_TRUNCATED;

	// No user frames: a kernel thread, whose registers mean nothing.
	if (sample->user_frame_count > 0) {
		__u32 want = runtime && (runtime->flags & EMBER_PROCESS_STACK_SNAPSHOT)
				     ? stack_snapshot_bytes
				     : leaf_snapshot_bytes;
		if (want > EMBER_MAX_STACK_SNAPSHOT)
			want = EMBER_MAX_STACK_SNAPSHOT;
		// On the main thread nothing above the initial stack pointer (argc,
		// where _start began) is a frame: don't copy the environment.
		__u64 top = BPF_CORE_READ(task, mm, start_stack);
		if (top >= sample->user_sp && top - sample->user_sp + 64 < want)
			want = top - sample->user_sp + 64;
		// Counted only where the copy would have been smaller than the stack.
		__u64 pending = bpf_ringbuf_query(&ember_events, BPF_RB_AVAIL_DATA);
		if (want > leaf_snapshot_bytes && pending > snapshot_cut_pending_bytes) {
			want = leaf_snapshot_bytes;
			__sync_fetch_and_add(&snapshots_cut, 1);
		} else if (want > 0 && pending > leaf_copy_drop_pending_bytes &&
			   !(runtime && (runtime->flags & EMBER_PROCESS_STACK_SNAPSHOT))) {
			want = 0;
			__sync_fetch_and_add(&leaf_copies_dropped, 1);
		}
		if (want) {
			sample->snapshot_size =
				copy_stack(sample->stack_snapshot, sample->user_sp, want);
			if (sample->snapshot_size)
				sample->flags |= EMBER_SAMPLE_HAS_SNAPSHOT;
		}
	}
	if (runtime && runtime->program) {
		sample->runtime_program = runtime->program;
		bpf_tail_call(ctx, &ember_programs, runtime->program);
		// Only reached when the slot is empty (plugin detached meanwhile).
		ember_count(EMBER_STAT_TAIL_CALL_FAILED);
		sample->runtime_program = 0;
	}
	return submit(sample, runtime && (runtime->flags & EMBER_PROCESS_WAKE_READER));
}

// Slot EMBER_PROG_SUBMIT: runtime programs end by tail-calling this, so the
// record's fate is decided in one place.
SEC("perf_event")
int ember_submit_sample(struct bpf_perf_event_data *ctx)
{
	struct ember_sample *sample = ember_current_sample();
	if (!sample)
		return 0;
	return submit(sample, false);
}

// `tid`: the record's tid (the parent's tgid in a fork record).
static __always_inline void report_process_as(struct task_struct *task, __u32 type, __u32 tid,
					      __u64 wakeup)
{
	struct ember_process_event *event =
		bpf_ringbuf_reserve(&ember_events, sizeof(*event), 0);
	if (!event) {
		ember_count(EMBER_STAT_EVENTS_LOST);
		return;
	}
	event->header.type = type;
	event->header.cpu = bpf_get_smp_processor_id();
	event->header.time_ns = bpf_ktime_get_ns();
	event->header.pid = BPF_CORE_READ(task, tgid);
	event->header.tid = tid;
	BPF_CORE_READ_STR_INTO(&event->header.comm, task, comm);
	event->cgroup_id = bpf_get_current_cgroup_id();
	bpf_ringbuf_submit(event, wakeup);
}

static __always_inline void report_process(struct task_struct *task, __u32 type, __u64 wakeup)
{
	report_process_as(task, type, BPF_CORE_READ(task, pid), wakeup);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ember_process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	if (tgid == agent_tgid)
		return 0;
	// Profiling given pids: another process' exec is no news (on a build
	// host, dozens a second, each waking the reader).
	if (filter_pids && !bpf_map_lookup_elem(&ember_pid_filter, &tgid))
		return 0;
	// A new image: what runtime plugins knew of the old one no longer holds.
	if (snapshot_new_processes) {
		struct ember_process_runtime fresh = {.flags = EMBER_PROCESS_STACK_SNAPSHOT};
		bpf_map_update_elem(&ember_runtimes, &tgid, &fresh, BPF_ANY);
	} else {
		bpf_map_delete_elem(&ember_runtimes, &tgid);
	}
	// Wake the reader (execs are rare next to samples): it attaches runtime
	// plugins before the new program's first samples.
	report_process(task, EMBER_RECORD_EXEC, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ember_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);
	if (BPF_CORE_READ(child, tgid) == parent_tgid)  // a new thread
		return 0;
	__u32 child_tgid = BPF_CORE_READ(child, tgid);
	// Profiling a command: its descendants are profiled from their birth.
	bool followed = follow_forks && filter_pids &&
			bpf_map_lookup_elem(&ember_pid_filter, &parent_tgid);
	if (followed) {
		__u8 yes = 1;
		bpf_map_update_elem(&ember_pid_filter, &child_tgid, &yes, BPF_ANY);
	}
	// Children of processes walked by a runtime plugin run the
	// same interpreter, which the reader attaches to right away. Until then
	// (and until an exec) the child is walked as its parent: same program,
	// same flags; the runtime program finds the parent's config.
	struct ember_process_runtime *runtime = bpf_map_lookup_elem(&ember_runtimes, &parent_tgid);
	if (!runtime || !runtime->program) {
		// While the native runtime unwinds stacks: a child runs its
		// parent's code (a shell's, until it execs), which the agent
		// unwinds over the parent's mappings, not over those /proc shows
		// once the child has exec'd. The record (no wakeup: it is news for
		// the child's next sample only) names the parent in `tid`; a
		// parent on the snapshot path passes it on until the child is judged.
		if (!snapshot_new_processes || (filter_pids && !followed))
			return 0;
		if (runtime && (runtime->flags & EMBER_PROCESS_STACK_SNAPSHOT)) {
			struct ember_process_runtime inherited = {.flags = EMBER_PROCESS_STACK_SNAPSHOT};
			bpf_map_update_elem(&ember_runtimes, &child_tgid, &inherited, BPF_ANY);
		}
		report_process_as(child, EMBER_RECORD_FORK, parent_tgid, BPF_RB_NO_WAKEUP);
		return 0;
	}
	if (!filter_pids || followed) {
		struct ember_process_runtime inherited = *runtime;
		inherited.flags &= ~EMBER_PROCESS_WAKE_READER;
		bpf_map_update_elem(&ember_runtimes, &child_tgid, &inherited, BPF_ANY);
	}
	report_process_as(child, EMBER_RECORD_FORK, parent_tgid, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ember_process_exit, struct task_struct *task)
{
	// Threads exit too; the process is gone when its last thread is.
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	__u32 tgid = BPF_CORE_READ(task, tgid);
	// Entries the sampler made (exec, fork) for a process the agent never
	// saw a sample of go with it.
	bpf_map_delete_elem(&ember_runtimes, &tgid);
	if (filter_pids && !bpf_map_lookup_elem(&ember_pid_filter, &tgid))
		return 0;
	report_process(task, EMBER_RECORD_EXIT, wakeup_flag());
	if (follow_forks)  // its pid may be reused by anyone
		bpf_map_delete_elem(&ember_pid_filter, &tgid);
	return 0;
}
