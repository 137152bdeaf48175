#!/usr/bin/env python3
"""Acceptance 3: a syscall-heavy program; kernel frames appear under (leaf-ward
of) the user frames of the same stack, and they are named.

Truth: syscalls spends its life in read(/dev/zero, 64 KiB) and
write(/dev/null, 1 byte); perf shows most of its samples in the kernel below
main -> syscall_loop -> read_devzero / write_devnull. read_devzero issues the
syscall itself, so its stacks have no libc frame between user and kernel frames.

What the kernel frames are depends on the machine: its kernel's entry path
(a paravirtualized one re-enables interrupts in functions of its own, where
the timer's sample lands: sampling skid) and its symbols. So the test reads
the names from this machine's /proc/kallsyms and asserts only what holds on
any of them: every kernel frame is one of its symbols, and a stack under
read_devzero that names a syscall's kernel function names read's, never
write's (and the other way round), so kernel stacks belong to the user stack
they are under.
"""
import os
import re
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

        symbols = kernel_symbols()
        misordered, unnamed, no_user = [], set(), []
        for frames, count in with_kernel:
            first_k = next(i for i, f in enumerate(frames) if it.is_kernel(f))
            if any(not it.is_kernel(f) for f in frames[first_k:]):
                misordered.append((frames, count))
            if first_k == 0:
                no_user.append((frames, count))
            for f in frames[first_k:]:
                if f[:-len(it.KERNEL_SUFFIX)] not in symbols:
                    unnamed.add(f)
        self.assertEqual(misordered, [], "user frames leaf-ward of kernel frames:\n"
                         + it.summarize(misordered))
        self.assertEqual(sorted(unnamed), [], "kernel frames that are no symbol of "
                         "/proc/kallsyms")
        self.assertLessEqual(it.share(sum(c for _, c in no_user), kernel_samples), 5.0,
                             "kernel stacks of a user process without its user frames:\n"
                             + it.summarize(no_user))

        # Each syscall's user frames, then the kernel functions of that syscall.
        def under(function):
            return [(f, c) for f, c in with_kernel
                    if it.contains_run([x for x in f if not it.is_kernel(x)],
                                       ["main", "syscall_loop", function])]
        reads, writes = under("read_devzero"), under("write_devnull")
        read_samples = sum(c for _, c in reads)
        # Clearing 64 KiB costs far more than writing one byte, on any machine.
        self.assertGreaterEqual(it.share(read_samples, kernel_samples), 30.0,
                                "few kernel samples under main;syscall_loop;read_devzero:\n"
                                + it.summarize(with_kernel))
        read_named = syscalls_named(reads)
        write_named = syscalls_named(writes)
        self.assertEqual(set(read_named), {"read"},
                         "read_devzero's kernel frames name other syscalls than read "
                         f"({read_named}):\n" + it.summarize(reads))
        self.assertLessEqual(set(write_named), {"write"},
                             "write_devnull's kernel frames name other syscalls than write "
                             f"({write_named}):\n" + it.summarize(writes))
        print(f"\nkernel_stacks: samples={total} with kernel frames="
              f"{it.share(kernel_samples, total):.1f}% under read_devzero={read_samples} "
              f"(naming the read syscall: {read_named.get('read', 0)}; the rest lands "
              "on the entry path)")


# The kernel function of syscall X: __x64_sys_X, __se_sys_X, __do_sys_X, ksys_X.
SYSCALL_FUNCTION = re.compile(r"^(?:__x64_sys|__ia32_sys|__se_sys|__do_sys|ksys)_(\w+)$")


def kernel_symbols():
    """Names of this machine's kernel functions and module symbols."""
    with open("/proc/kallsyms") as f:
        return {line.split()[2] for line in f if len(line.split()) >= 3}


def syscalls_named(stacks):
    """{syscall: samples} over the kernel frames of `stacks`."""
    named = {}
    for frames, count in stacks:
        calls = {m[1] for f in frames if it.is_kernel(f)
                 for m in [SYSCALL_FUNCTION.match(f[:-len(it.KERNEL_SUFFIX)])] if m}
        for call in calls:
            named[call] = named.get(call, 0) + count
    return named


if __name__ == "__main__":
    it.main()
