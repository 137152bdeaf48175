#!/usr/bin/env python3
"""A shell loop of Debian's coreutils (stripped, built without frame
pointers), each process living a millisecond or two, recorded with
`ember record -F 999 -- bash -c ...`: the few samples of each process come
before the agent has judged its binaries, some before its exec (the shell's
child), and its files are often gone from /proc by the time they are read.
Their stacks must still be complete, and `[truncated]` (a stack deeper than
the limits) rare: nothing here is deep. That includes the samples of a
process that exited before the agent read its /proc/PID/maps: the kernel's
mmap records of it give its mappings. And each sample is under its
process's name: a process gone from /proc before its exec record was read
is named by that record, not left as `[pid N]`; the shell's child before
its exec is the shell, not the tool it becomes.

Truth: the tools' stacks end at a program's or the loader's entry
(`_start`, `__libc_start_main`, `_dl_start`, or the unnamed entry stub of
the stripped program or loader) or are an exec in progress (the old image's
stack is being torn down).
"""
import os
import unittest

import ember_it as it

FREQUENCY = 999
ROUNDS = 250
TOOLS = ("readlink", "basename", "dirname")
ROOTS = {"_start", "__libc_start_main", "__libc_start_call_main", "_dl_start", "_dl_start_user"}
IN_EXEC = "bprm_execve" + it.KERNEL_SUFFIX
# Debian's bash is stripped: its dynamic symbols, else its module.
SHELL = {"bash [no symbols]", "parse_and_execute", "execute_command", "execute_command_internal",
         "make_child"}


def complete(tool, frames):
    user = [f for f in frames if not it.is_kernel(f)]
    if not user or user[0] == "[truncated]":
        return False
    # The entry stubs of a stripped program or loader have no name.
    entry = user[0] in (tool + " [no symbols]", "ld-linux-x86-64.so.2 [no symbols]")
    return entry or bool(ROOTS.intersection(user)) or IN_EXEC in frames


def unmapped_leaf(frames):
    user = [f for f in frames if not it.is_kernel(f)]
    return bool(user) and user[-1].startswith("[unknown]")


class ShortLivedTools(unittest.TestCase):
    def test_stacks_of_tools_that_live_a_millisecond(self):
        for tool in TOOLS:
            path = "/usr/bin/" + tool
            self.assertTrue(os.path.exists(path), f"{path} is missing (coreutils)")
        loop = (f"for i in $(seq {ROUNDS}); do readlink -f /usr/bin/env >/dev/null; "
                "basename /a/b/c >/dev/null; dirname /a/b/c >/dev/null; done")
        out = os.path.join(it.scratch_dir(self), "tools.folded")
        res = it.record(self, out, frequency=FREQUENCY, extra=["--", "bash", "-c", loop])
        stacks = it.parse_folded(out)
        total = sum(c for _, c in stacks)
        truncated = [(f, c) for f, c in stacks if "[truncated]" in f]
        cut = sum(c for _, c in truncated)
        # Before the mmap records: the samples of a process gone before
        # its maps were read had code in no known mapping, an [unknown] leaf.
        gone = sum(c for f, c in truncated if unmapped_leaf(f))
        tools = [(f[0], f[1:], c) for f, c in stacks if f and f[0] in TOOLS]
        tool_samples = sum(c for _, _, c in tools)
        self.assertGreaterEqual(tool_samples, 200,
                                f"too few samples of the tools ({tool_samples} of {total}): is "
                                "the machine overloaded?\n" + res.describe())
        self.assertLess(it.share(cut, total), 1.0,
                        f"{cut} of {total} samples [truncated] ({gone} of them at a leaf in no "
                        "known mapping):\n" + it.summarize(truncated))
        unnamed = [(f, c) for f, c in stacks if f and f[0].startswith("[pid ")]
        self.assertEqual(sum(c for _, c in unnamed), 0,
                         "samples under a process without a name:\n" + it.summarize(unnamed))
        forked = [([t] + f, c) for t, f, c in tools if SHELL.intersection(f)]
        self.assertEqual(sum(c for _, c in forked), 0,
                         "the shell's child before its exec, under the tool it became:\n" +
                         it.summarize(forked))
        broken = [([t] + f, c) for t, f, c in tools if not complete(t, f)]
        self.assertLess(it.share(sum(c for _, c in broken), tool_samples), 2.0,
                        f"{sum(c for _, c in broken)} of {tool_samples} samples of the tools do "
                        "not reach an entry point:\n" + it.summarize(broken))


if __name__ == "__main__":
    it.main()
