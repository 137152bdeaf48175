#!/usr/bin/env python3
"""Acceptance 3: a syscall-heavy program; kernel frames appear under (leaf-ward
of) the user frames of the same stack, and they are named.

Truth: syscalls spends its life in read(/dev/zero, 64 KiB) and
write(/dev/null, 1 byte); perf shows most of its samples in the kernel below
main -> syscall_loop -> read_devzero / write_devnull. read_devzero issues the syscall
itself, so its stacks have no libc frame between user and kernel frames.
"""
import os
import unittest

import ember_it as it

FREQUENCY = 499
DURATION = 4


class KernelStacks(unittest.TestCase):
    def test_named_kernel_frames_under_user_frames(self):
        out = os.path.join(it.scratch_dir(self), "syscalls.folded")
        w = it.start(self, [it.workload("syscalls"), 60])
        res = it.record(self, out, pids=[w.pid], duration=DURATION, frequency=FREQUENCY,
                        min_samples=300)
        w.stop()

        mine = it.folded_by_comm(it.parse_folded(out), "syscalls")
        total = sum(c for _, c in mine)
        self.assertGreaterEqual(total, 300, "too few samples\n" + res.describe())

        with_kernel = [(f, c) for f, c in mine if any(it.is_kernel(x) for x in f)]
        kernel_samples = sum(c for _, c in with_kernel)
        # /dev/zero reads are kernel work: perf puts most samples there.
        self.assertGreaterEqual(it.share(kernel_samples, total), 40.0,
                                f"only {kernel_samples}/{total} samples have kernel frames:\n"
                                + it.summarize(mine))

        misordered, unnamed, no_user = [], set(), []
        for frames, count in with_kernel:
            first_k = next(i for i, f in enumerate(frames) if it.is_kernel(f))
            if any(not it.is_kernel(f) for f in frames[first_k:]):
                misordered.append((frames, count))
            if first_k == 0:
                no_user.append((frames, count))
            for f in frames[first_k:]:
                name = f[:-len(it.KERNEL_SUFFIX)]
                if not name or it.HEX_ONLY.match(name) or it.UNRESOLVED.search(name):
                    unnamed.add(f)
        self.assertEqual(misordered, [], "user frames leaf-ward of kernel frames:\n"
                         + it.summarize(misordered))
        self.assertEqual(sorted(unnamed), [], "kernel frames without names")
        self.assertLessEqual(it.share(sum(c for _, c in no_user), kernel_samples), 5.0,
                             "kernel stacks of a user process without its user frames:\n"
                             + it.summarize(no_user))

        # The syscall path itself: user frames down to read_devzero, then a read
        # syscall in the kernel.
        reads = [(f, c) for f, c in with_kernel
                 if it.contains_run([x for x in f if not it.is_kernel(x)],
                                    ["main", "syscall_loop", "read_devzero"])]
        read_samples = sum(c for _, c in reads)
        self.assertGreaterEqual(it.share(read_samples, kernel_samples), 30.0,
                                "few kernel samples under main;syscall_loop;read_devzero:\n"
                                + it.summarize(with_kernel))
        kernel_read = sum(c for f, c in reads
                          if any(it.is_kernel(x) and "read" in x for x in f))
        self.assertGreaterEqual(it.share(kernel_read, read_samples), 80.0,
                                "read_devzero's kernel frames name no read function:\n"
                                + it.summarize(reads))
        print(f"\nkernel_stacks: samples={total} with kernel frames="
              f"{it.share(kernel_samples, total):.1f}% under read_devzero="
              f"{read_samples} (naming a *read* kernel function: {kernel_read})")


if __name__ == "__main__":
    it.main()
