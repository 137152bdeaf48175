/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What cpython.bpf.c and the CPython plugin share: the per-process config the
 * plugin writes (keyed by tgid) and the meaning of the two words of each
 * runtime frame the walker records.
 *
 *   word0 = address of the frame's code object (PyCodeObject *)
 *   word1 = bits 0..31: where the frame is in its bytecode
 *                       3.11+: instruction pointer - code object address, in
 *                       bytes (3.11/3.12 prev_instr, 3.13 instr_ptr; the
 *                       bytecode starts at code_code_adaptive, code units are
 *                       2 bytes)
 *                       <= 3.10: f_lasti as an unsigned 32-bit value
 *                       (0xffffffff = -1, before the first instruction); bytes
 *                       up to 3.9, code units in 3.10
 *           bits 32..61 CPYTHON_FRAME_CHECK: cpython_code_check() of the
 *                       code object at word0 when the sample was taken. A
 *                       code object freed since (a module's, once imported)
 *                       may have its address taken by another: the plugin
 *                       names the frame from the object it reads at word0
 *                       only when that object's check is the same, so a
 *                       reused address never names another function.
 *           bit 63 CPYTHON_FRAME_ENTRY: the first frame its
 *                       _PyEval_EvalFrameDefault call ran, i.e. the root-most
 *                       frame of one native eval frame's group (<= 3.10:
 *                       every frame, each has its own eval call)
 *
 * runtime_anchors[k] (3.11+) = the k-th group's eval call's _PyCFrame (3.11)
 *                       or entry frame (3.12+), locals of that
 *                       _PyEval_EvalFrameDefault call; groups are counted
 *                       leaf first by CPYTHON_FRAME_ENTRY. A group cut off by
 *                       the depth bound has none.
 */
#ifndef EMBER_CPYTHON_BPF_H
#define EMBER_CPYTHON_BPF_H

#include "../offsets/cpython_offsets.h"

#define CPYTHON_FRAME_ENTRY (1ull << 63)
#define CPYTHON_FRAME_POSITION_MASK 0xffffffffull
#define CPYTHON_FRAME_CHECK_SHIFT 32
#define CPYTHON_FRAME_CHECK_MASK ((1ull << 30) - 1)

/* Who a code object is, from two of its fields: co_filename (the str
 * object's address) and co_firstlineno. Two live code objects share both
 * only when they start on the same line of the same file. */
static inline __u64 cpython_code_check(__u64 filename, __u32 first_line)
{
	__u64 mixed = (filename >> 4) ^ ((__u64)first_line * 0x9e3779b97f4a7c15ull);
	mixed ^= mixed >> 31;
	return mixed & CPYTHON_FRAME_CHECK_MASK;
}

#define CPYTHON_MAX_PROCESSES 4096
#define CPYTHON_MAX_THREADS_CACHED 16384
#define CPYTHON_MAX_INTERPRETERS 4
#define CPYTHON_MAX_THREADS 64

struct cpython_process_config {
	__u64 runtime_address;        /* _PyRuntime in the process (load bias applied), 3.7+ */
	__u64 tstate_current_address; /* _PyThreadState_Current (load bias applied), 2.7/3.6 */
	__u64 interp;                 /* 2.7/3.6: the main interpreter, learned by the walker */
	__u32 max_frames;             /* <= EMBER_MAX_RUNTIME_FRAMES */
	__u32 reserved;
	struct cpython_offsets offsets;
	__u32 tail_reserved; /* cpython_offsets is 4 bytes short of 8: no implicit padding */
};

#endif /* EMBER_CPYTHON_BPF_H */
