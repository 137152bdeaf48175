// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The CPython frame walker, tail-called by the sampler for the processes the
// CPython plugin attached to. It finds the sampled thread's PyThreadState by
// walking the interpreters' thread lists and matching native_thread_id (3.11+)
// to the sampled tid, or thread_id (pthread_self(), the thread's fsbase on
// x86_64 glibc) before 3.11; the match is cached per tid. Then it walks the
// frame chain (PyFrameObject up to 3.10, _PyInterpreterFrame from 3.11) and
// records (code object, instruction offset) per frame, leaf first (see
// cpython_bpf.h for the words' meaning), and per group of frames one eval
// call ran, the anchor that ties it to that call's native frame: 3.11 the
// call's _PyCFrame, 3.12+ its entry (shim) frame, both locals of
// _PyEval_EvalFrameDefault on its C stack. <= 3.10 has none.
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "ember/bpf/shared_maps.bpf.h"

#define CPYTHON_OFFSETS_NO_TABLE
#include "cpython_bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CPYTHON_MAX_PROCESSES);
	__type(key, __u32); /* tgid */
	__type(value, struct cpython_process_config);
} cpython_processes SEC(".maps");

/* tid -> PyThreadState *, checked against the thread identity on every use. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CPYTHON_MAX_THREADS_CACHED);
	__type(key, __u32);
	__type(value, __u64);
} cpython_threads SEC(".maps");

static __always_inline __u64 read_u64(__u64 address)
{
	__u64 value = 0;
	if (bpf_probe_read_user(&value, sizeof(value), (const void *)address) != 0)
		return 0;
	return value;
}

static __always_inline __u32 read_u32(__u64 address)
{
	__u32 value = 0;
	if (bpf_probe_read_user(&value, sizeof(value), (const void *)address) != 0)
		return 0;
	return value;
}

static __always_inline __u8 read_u8(__u64 address)
{
	__u8 value = 0;
	if (bpf_probe_read_user(&value, sizeof(value), (const void *)address) != 0)
		return 0;
	return value;
}

/* The sampled thread's identity as its PyThreadState records it: the kernel
 * tid in native_thread_id (3.11+), else pthread_self() in thread_id. */
struct thread_identity {
	__u32 offset; /* of the field in PyThreadState */
	__u64 value;
};

static __always_inline int is_thread(__u64 tstate, const struct thread_identity *id)
{
	return tstate && read_u64(tstate + id->offset) == id->value;
}

struct thread_walk {
	const struct cpython_process_config *config;
	struct thread_identity id;
	__u64 tstate;  /* the current candidate, then the match */
	__u64 interp;
	__u32 interpreters;
	__u8 found;
};

static long thread_step(__u64 index, void *data)
{
	struct thread_walk *walk = data;
	const struct cpython_offsets *off = &walk->config->offsets;
	(void)index;
	while (!walk->tstate) {
		if (!walk->interp || walk->interpreters >= CPYTHON_MAX_INTERPRETERS)
			return 1;
		walk->interpreters++;
		walk->tstate = read_u64(walk->interp + off->interp_threads_head);
		walk->interp = read_u64(walk->interp + off->interp_next);
		if (!walk->tstate)
			return 0;  /* next interpreter on the next step */
	}
	if (is_thread(walk->tstate, &walk->id)) {
		walk->found = 1;
		return 1;
	}
	walk->tstate = read_u64(walk->tstate + off->tstate_next);
	return 0;
}

/* The first interpreter: _PyRuntime.interpreters.head (3.7+); 2.7 and 3.6
 * keep their list head static, so the interpreter of the GIL holder, learned
 * once per process and kept in its config. */
static __always_inline __u64 first_interpreter(struct cpython_process_config *config)
{
	const struct cpython_offsets *off = &config->offsets;
	if (off->runtime_interpreters_head != CPYTHON_OFFSET_NONE)
		return read_u64(config->runtime_address + off->runtime_interpreters_head);
	if (config->interp)
		return config->interp;
	__u64 holder = read_u64(config->tstate_current_address);
	if (holder)
		config->interp = read_u64(holder + off->tstate_interp);
	return config->interp;
}

static __always_inline __u64 find_tstate(struct cpython_process_config *config, __u32 tid)
{
	const struct cpython_offsets *off = &config->offsets;
	struct thread_identity id = {};
	if (off->tstate_native_thread_id != CPYTHON_OFFSET_NONE) {
		id.offset = off->tstate_native_thread_id;
		id.value = tid;
	} else {
		struct task_struct *task = bpf_get_current_task_btf();
		id.offset = off->tstate_thread_id;
		id.value = BPF_CORE_READ(task, thread.fsbase);
		if (!id.value)
			return 0;
	}
	__u64 *cached = bpf_map_lookup_elem(&cpython_threads, &tid);
	if (cached && is_thread(*cached, &id))
		return *cached;

	struct thread_walk walk = {
		.config = config,
		.id = id,
		.interp = first_interpreter(config),
	};
	bpf_loop(CPYTHON_MAX_THREADS + CPYTHON_MAX_INTERPRETERS, thread_step, &walk, 0);
	if (!walk.found)
		return 0;
	bpf_map_update_elem(&cpython_threads, &tid, &walk.tstate, BPF_ANY);
	return walk.tstate;
}

/* How far the frame walk got. Kept in a map, not on the stack: the verifier
 * knows stack values exactly, so each frame count would be another state of
 * the loop body to verify (92,553 instructions, 127 ms of every agent's
 * start here, against 16,333 and 13 ms now); a map value's fields are
 * unknown to it, and one pass proves the body for every count. */
struct frame_progress {
	__u64 frame;
	__u64 cframe;  /* 3.11: the _PyCFrame of the eval call whose frames come next */
	__u32 count;
	__u32 max;
	__u32 anchors; /* groups closed, each with its anchor */
	__u8 open;     /* frames recorded since the last group closed */
	__u8 truncated;
	__u8 failed;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct frame_progress);
} cpython_walks SEC(".maps");

struct frame_walk {
	const struct cpython_process_config *config;
	struct frame_progress *progress;
};

/* Closes the group of the frames recorded since the last one with its eval
 * call's anchor, a struct that call keeps on its C stack. */
static __always_inline void close_group(struct ember_sample *sample, struct frame_progress *walk,
					__u64 anchor)
{
	__u32 index = walk->anchors;
	if (!walk->open || index >= EMBER_MAX_RUNTIME_ANCHORS)
		return;
	sample->runtime_anchors[index] = anchor;
	walk->anchors = index + 1;
	walk->open = 0;
}

/* f_code and f_back / previous: one read when they are neighbours (every
 * version but 3.11), two otherwise. */
static __always_inline void read_code_and_previous(const struct cpython_offsets *off, __u64 frame,
						   __u64 *code, __u64 *previous)
{
	__u64 pair[2] = {};
	if (off->frame_previous == off->frame_code + 8) {
		bpf_probe_read_user(pair, sizeof(pair), (const void *)(frame + off->frame_code));
		*code = pair[0];
		*previous = pair[1];
	} else if (off->frame_code == off->frame_previous + 8) {
		bpf_probe_read_user(pair, sizeof(pair), (const void *)(frame + off->frame_previous));
		*previous = pair[0];
		*code = pair[1];
	} else {
		*code = read_u64(frame + off->frame_code);
		*previous = read_u64(frame + off->frame_previous);
	}
}

static long frame_step(__u64 index, void *data)
{
	struct frame_walk *context = data;
	const struct cpython_offsets *off = &context->config->offsets;
	struct frame_progress *walk = context->progress;
	(void)index;
	if (!walk->frame)
		return 1;
	struct ember_sample *sample = ember_current_sample();
	if (!sample)
		return 1;
	__u64 frame = walk->frame;
	__u32 count = walk->count;

	if (off->frame_model == CPYTHON_FRAMES_312 || off->frame_model == CPYTHON_FRAMES_313) {
		/* The eval loop's entry shim on the C stack ends the group of the
		 * frame recorded before it. */
		if (read_u8(frame + off->frame_owner) == off->frame_owned_by_cstack) {
			if (count > 0 && count <= EMBER_MAX_RUNTIME_FRAMES)
				sample->runtime_frames[count - 1].word1 |= CPYTHON_FRAME_ENTRY;
			/* The shim is the eval call's entry_frame local. */
			close_group(sample, walk, frame);
			walk->frame = read_u64(frame + off->frame_previous);
			return 0;
		}
	}
	if (count >= walk->max || count >= EMBER_MAX_RUNTIME_FRAMES) {
		walk->truncated = 1;
		return 1;
	}
	__u64 code = 0, previous = 0;
	read_code_and_previous(off, frame, &code, &previous);
	if (!code) {
		walk->failed = 1;
		return 1;
	}
	__u64 word1 = cpython_code_check(read_u64(code + off->code_filename),
					 read_u32(code + off->code_firstlineno))
		      << CPYTHON_FRAME_CHECK_SHIFT;
	if (off->frame_model == CPYTHON_FRAMES_PYFRAMEOBJECT) {
		/* One _PyEval_EvalFrameDefault call per PyFrameObject. */
		word1 |= read_u32(frame + off->frame_instr) | CPYTHON_FRAME_ENTRY;
	} else {
		__u64 instr = read_u64(frame + off->frame_instr);
		word1 |= instr > code ? (instr - code) & CPYTHON_FRAME_POSITION_MASK : 0;
		if (off->frame_model == CPYTHON_FRAMES_311 && read_u8(frame + off->frame_is_entry))
			word1 |= CPYTHON_FRAME_ENTRY;
	}
	sample->runtime_frames[count].word0 = code;
	sample->runtime_frames[count].word1 = word1;
	walk->count = count + 1;
	walk->frame = previous;
	walk->open = 1;
	if (off->frame_model == CPYTHON_FRAMES_311 && (word1 & CPYTHON_FRAME_ENTRY) && walk->cframe) {
		/* One _PyCFrame per eval call, linked like the calls. */
		close_group(sample, walk, walk->cframe);
		walk->cframe = read_u64(walk->cframe + off->cframe_previous);
	}
	return 0;
}

/* How far up the C stack an eval call's caller keeps its _PyCFrame. */
#define CPYTHON_MAX_CFRAME_DISTANCE (1ull << 20)

/* 3.11/3.12: an eval call makes its _PyCFrame (on its C stack) the thread's
 * before it fills it in, and links its first frame (3.12: its entry shim)
 * to the frame its caller's _PyCFrame holds only then. Sampled in between,
 * the _PyCFrame holds what the last eval call at that place of the C stack
 * left there: an entry frame (3.11) or that call's entry shim (3.12) whose
 * link back is stale. Its caller's frame is the stack then; the caller's
 * _PyCFrame is further up the C stack. `frame` is where `*cframe_io` says
 * the thread is; returns the frame to walk from (0: none), and the
 * _PyCFrame it belongs to in `*cframe_io`. */
static __always_inline __u64 unless_stale(const struct cpython_offsets *off, __u64 *cframe_io,
					  __u64 frame)
{
	__u64 cframe = *cframe_io;
	int entry = off->frame_model == CPYTHON_FRAMES_312
			    ? read_u8(frame + off->frame_owner) == off->frame_owned_by_cstack
			    : read_u8(frame + off->frame_is_entry) != 0;
	if (!entry)
		return frame;
	__u64 caller = read_u64(cframe + off->cframe_previous);
	__u64 expected = caller ? read_u64(caller + off->cframe_current_frame) : 0;
	if (read_u64(frame + off->frame_previous) == expected)
		return frame;
	if (caller <= cframe || caller - cframe >= CPYTHON_MAX_CFRAME_DISTANCE)
		return 0;
	*cframe_io = caller;
	return expected;
}

struct first_group {
	const struct cpython_offsets *off;
	__u64 frame;
	__u64 expected; /* the frame the caller's _PyCFrame holds */
	__u8 ended;     /* reached the group's entry frame, or the chain's end */
	__u8 linked;    /* and that entry frame links to `expected` */
};

static long first_group_step(__u64 index, void *data)
{
	struct first_group *group = data;
	const struct cpython_offsets *off = group->off;
	(void)index;
	if (!group->frame) {
		group->ended = 1;
		return 1;
	}
	__u64 previous = read_u64(group->frame + off->frame_previous);
	if (read_u8(group->frame + off->frame_is_entry)) {
		group->ended = 1;
		group->linked = previous == group->expected;
		return 1;
	}
	group->frame = previous;
	return 0;
}

/* 3.11: whether the frames from `frame` on are the thread's. An eval call
 * links its entry frame to the frame its caller's _PyCFrame holds, and
 * neither changes while the call runs; every thread's root-most frame is
 * an entry frame. A new frame starts as not-an-entry, so where the eval
 * call just starting left a stale frame in its _PyCFrame (a datastack slot
 * since reused by another call's frames, or holding freed code), the walk
 * from it runs into an entry frame that links elsewhere, or into none. A
 * group deeper than the walker's bound counts as linked. */
static __always_inline int first_group_linked(const struct cpython_offsets *off, __u64 cframe,
					      __u64 frame)
{
	__u64 caller = read_u64(cframe + off->cframe_previous);
	struct first_group group = {
		.off = off,
		.frame = frame,
		.expected = caller ? read_u64(caller + off->cframe_current_frame) : 0,
	};
	bpf_loop(EMBER_MAX_RUNTIME_FRAMES, first_group_step, &group, 0);
	return !group.ended || group.linked;
}

SEC("perf_event")
int cpython_walk(struct bpf_perf_event_data *ctx)
{
	struct ember_sample *sample = ember_current_sample();
	if (!sample)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = (__u32)(pid_tgid >> 32);
	__u32 tid = (__u32)pid_tgid;
	struct cpython_process_config *config = bpf_map_lookup_elem(&cpython_processes, &tgid);
	if (!config) {
		/* A child forked by a walked process, before the host attached to
		 * it: the sampler routed it here as its parent, and its memory is a
		 * copy of the parent's, so the parent's config holds (an exec would
		 * have cleared the route). */
		__u32 parent = BPF_CORE_READ(bpf_get_current_task_btf(), real_parent, tgid);
		config = bpf_map_lookup_elem(&cpython_processes, &parent);
	}
	if (!config)
		return ember_submit(ctx);
	const struct cpython_offsets *off = &config->offsets;

	sample->runtime_frame_count = 0;
	sample->runtime_anchor_count = 0;
	__u64 tstate = find_tstate(config, tid);
	if (!tstate)
		return ember_submit(ctx);  /* a thread that never ran Python */

	__u64 frame = 0, cframe = 0;
	if (off->frame_model == CPYTHON_FRAMES_PYFRAMEOBJECT) {
		frame = read_u64(tstate + off->tstate_frame);
	} else if (off->frame_model == CPYTHON_FRAMES_313) {
		frame = read_u64(tstate + off->tstate_current_frame);
	} else if (off->frame_model == CPYTHON_FRAMES_311 || off->frame_model == CPYTHON_FRAMES_312) {
		cframe = read_u64(tstate + off->tstate_cframe);
		if (cframe)
			frame = read_u64(cframe + off->cframe_current_frame);
	}
	if (cframe && frame)
		frame = unless_stale(off, &cframe, frame);
	if (off->frame_model == CPYTHON_FRAMES_311 && cframe && frame &&
	    !first_group_linked(off, cframe, frame)) {
		/* Its caller's frames are the thread's. */
		__u64 caller = read_u64(cframe + off->cframe_previous);
		frame = caller > cframe && caller - cframe < CPYTHON_MAX_CFRAME_DISTANCE
				? read_u64(caller + off->cframe_current_frame)
				: 0;
		cframe = caller;
	}
	if (!frame)
		return ember_submit(ctx);

	__u32 zero = 0;
	struct frame_progress *walk = bpf_map_lookup_elem(&cpython_walks, &zero);
	if (!walk)
		return ember_submit(ctx);
	*walk = (struct frame_progress){
		.frame = frame,
		.cframe = off->frame_model == CPYTHON_FRAMES_311 ? cframe : 0,
		.max = config->max_frames,
	};
	struct frame_walk context = {.config = config, .progress = walk};
	/* Shim frames take iterations too: one per eval call at most. */
	bpf_loop(2 * EMBER_MAX_RUNTIME_FRAMES + 2, frame_step, &context, 0);
	sample = ember_current_sample();
	if (!sample)
		return 0;
	sample->runtime_frame_count = walk->count;
	sample->runtime_anchor_count = walk->anchors;
	if (walk->truncated || (walk->frame && !walk->failed))
		sample->flags |= EMBER_SAMPLE_RUNTIME_TRUNCATED;
	if (walk->failed)
		sample->flags |= EMBER_SAMPLE_RUNTIME_FAILED;
	return ember_submit(ctx);
}
