/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What go_labels.bpf.c and the Go plugin share: where a Go process keeps its
 * goroutines' pprof labels (written by the plugin, keyed by tgid), and what
 * the program records.
 *
 * The running g is at fs_base + g_tls_offset. Its stack bounds (g.stack.lo,
 * g.stack.hi, words 0 and 1 of every Go version's g) must hold the sampled
 * user sp, or nothing is recorded: the offsets are checked on every sample,
 * never trusted. Then, as runtime/pprof's own signal handler does, the
 * labels are those of g.m.curg (the user goroutine, also when the thread
 * runs on g0 or the signal stack):
 *
 *   runtime_frames[0].word0 = *curg.labels: g.labels points at a labelMap
 *                             (a Go map, itself a pointer to runtime.hmap);
 *                             this is the hmap, 0 = no labels
 *   runtime_frames[0].word1 = curg
 *   runtime_frame_count     = 1, no anchors: it is no frame.
 */
#ifndef EMBER_GO_LABELS_BPF_H
#define EMBER_GO_LABELS_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define GO_LABELS_MAX_PROCESSES 4096

struct go_labels_config {
	__s64 g_tls_offset; /* g's address is at fs_base + this */
	__u32 g_m;          /* offsetof(g, m) */
	__u32 m_curg;       /* offsetof(m, curg) */
	__u32 g_labels;     /* offsetof(g, labels) */
	__u32 reserved;
};

#endif /* EMBER_GO_LABELS_BPF_H */
