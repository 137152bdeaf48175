#!/usr/bin/env python3
"""Acceptance 1: a frame-pointer program spending ~70% in hot_a and ~30% in
hot_b, both called from main through work(): `ember record --pid` gives each
its share within 3 points of the truth, with full stacks main -> work -> hot_x.

Truth: fp_hot runs the same loop body 7 and 3 units per round and measures
the CPU time of every hot_a and hot_b call with CLOCK_THREAD_CPUTIME_ID
(outside the hot functions); the steady ratio it prints at exit is the truth
for any window of its run.
"""
import os
import re
import unittest

import ember_it as it

FREQUENCY = 1999
DURATION = 5
TOLERANCE = 3.0  # points


class FramePointerShares(unittest.TestCase):
    def test_hot_a_hot_b_shares_and_stacks(self):
        out = os.path.join(it.scratch_dir(self), "fp.folded")
        w = it.start(self, [it.workload("fp_hot"), 60])
        contention = it.Contention()
        contention.look()
        res = it.record(self, out, pids=[w.pid], duration=DURATION, frequency=FREQUENCY)
        contention.look()
        lines = w.stop()

        truth = dict(re.findall(r"(hot_[ab]_ns)=(\d+)", "\n".join(lines)))
        self.assertEqual(set(truth), {"hot_a_ns", "hot_b_ns"}, f"fp_hot printed {lines}")
        a_ns, b_ns = int(truth["hot_a_ns"]), int(truth["hot_b_ns"])
        true_a = it.share(a_ns, a_ns + b_ns)
        # The workload itself must be what the test assumes, or nothing below means much.
        self.assertAlmostEqual(true_a, 70.0, delta=2.0,
                               msg=f"fp_hot's own split drifted: hot_a {true_a:.1f}%")

        stacks = it.parse_folded(out)
        mine = it.folded_by_comm(stacks, "fp_hot")
        others = {frames[0] for frames, _ in stacks if frames} - {"fp_hot"}
        self.assertFalse(others, f"--pid {w.pid} recorded other processes: {others}")
        total = sum(c for _, c in mine)
        # ~10,000 samples on an idle machine; 2,500 (a busy thread getting a
        # quarter of a CPU) still keep the sampling error's sd under 1 point,
        # a third of the tolerance.
        self.assertGreaterEqual(total, 2500, f"too few samples ({total}) at {FREQUENCY} Hz "
                                f"for {DURATION} s: is the machine overloaded?\n"
                                + it.summarize(mine) + "\n" + res.describe())

        hot = {"hot_a": 0, "hot_b": 0}
        broken = []
        for frames, count in mine:
            user = [f for f in frames if not it.is_kernel(f)]
            leafs = [h for h in hot if h in user]
            if not leafs:
                continue
            self.assertEqual(len(leafs), 1, f"both hot functions in one stack: {frames}")
            h = leafs[0]
            hot[h] += count
            if not it.contains_run(user, ["main", "work", h]) or user[-1] != h:
                broken.append((frames, count))

        hot_total = hot["hot_a"] + hot["hot_b"]
        self.assertGreaterEqual(it.share(hot_total, total), 90.0,
                                f"only {hot_total} of {total} samples name hot_a/hot_b:\n"
                                + it.summarize(mine))
        self.assertEqual(broken, [], "hot samples without the full main;work;hot_x chain "
                         f"({sum(c for _, c in broken)} of {hot_total}):\n" + it.summarize(broken))

        got_a = it.share(hot["hot_a"], hot_total)
        got_b = it.share(hot["hot_b"], hot_total)
        print(f"\nfp_shares: samples={hot_total} hot_a ember={got_a:.2f}% truth={true_a:.2f}% "
              f"| hot_b ember={got_b:.2f}% truth={100 - true_a:.2f}%")
        self.assertAlmostEqual(got_a, true_a, delta=TOLERANCE,
                               msg=f"hot_a: ember {got_a:.2f}% vs truth {true_a:.2f}%"
                               + contention.note())
        self.assertAlmostEqual(got_b, 100 - true_a, delta=TOLERANCE,
                               msg=f"hot_b: ember {got_b:.2f}% vs truth {100 - true_a:.2f}%"
                               + contention.note())


class FramePointerDepth(unittest.TestCase):
    def test_a_stack_deeper_than_the_walk_ends_in_truncated(self):
        """deep_stack built with frame pointers, 200 calls deep: more than the
        walk's 128 frames (127 under the kernel's default perf_event_max_stack).
        Its stacks are cut, and say so at the root as DWARF-unwound ones do."""
        out = os.path.join(it.scratch_dir(self), "deep.folded")
        w = it.start(self, [it.workload("deep_fp_stack"), 60, 200])
        res = it.record(self, out, pids=[w.pid], duration=2, frequency=499)
        w.stop()
        mine = it.folded_by_comm(it.parse_folded(out), "deep_fp_stack")
        deep = [(f, c) for f, c in mine if f.count("descend") >= 100]
        total = sum(c for _, c in deep)
        self.assertGreater(total, 200, "too few deep stacks\n" + it.summarize(mine)
                           + "\n" + res.describe())
        marked = sum(c for f, c in deep if f[0] == "[truncated]")
        self.assertGreaterEqual(it.share(marked, total), 95.0,
                                f"{marked}/{total} deep stacks start with [truncated]:\n"
                                + it.summarize(deep) + "\n" + res.describe())
        print(f"\nfp depth: {marked}/{total} deep stacks start with [truncated], "
              f"{max(f.count('descend') for f, _ in deep)} descend frames at most")


if __name__ == "__main__":
    it.main()
