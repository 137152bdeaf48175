#!/usr/bin/env python3
"""A reader that falls behind costs stack copies before it costs samples.

The agent is stopped (SIGSTOP) as a host that starves it would, while one
busy process is sampled at 999 Hz. Its ring is 2 MiB at 999 Hz on this
machine. Past half of it pending, a process on the full 16 KiB snapshot gets
only the leaf copy; past three quarters, a process on the frame-pointer walk
gets no copy at all; the rest holds those smaller samples for longer.

- deep_stack (no frame pointers, a stack deeper than the 16 KiB snapshot):
  ~17 MB a second onto the ring, half of it full in 0.06 s; stopped 0.6 s,
  its later samples carry the leaf copy (the ring holds ~0.85 s of them).
- spinners (one thread, frame pointers: the leaf copy of 1 KiB a sample):
  stopped 2.5 s, longer than the ring holds such samples (~1,700 of them);
  past three quarters full they carry no copy, and no sample is lost.

Truth: the agent's own counts and its profile. The smaller copies are
reported (some, the stop being long enough to need them), none is lost to a
full ring, and every sample still names the spinning function as its leaf.
"""
import os
import re
import signal
import time
import unittest

import ember_it as it

FREQUENCY = 999
DONE = re.compile(r"done: (\d+) samples, (\d+) lost to a full ring buffer")
CUT = re.compile(r"(\d+) samples got only the leaf stack copy")
DROPPED = re.compile(r"(\d+) samples got no leaf stack copy")


class RingPressure(unittest.TestCase):
    def record_stopped(self, argv, stop_seconds, smaller_copies, leaf):
        """Records the workload `argv`, stops the agent `stop_seconds` in the
        middle and checks what the docstring says; `smaller_copies` is the
        message that counts the copies the stop made smaller."""
        w = it.start(self, argv)
        out = os.path.join(it.scratch_dir(self), "ring.folded")
        ember = it.Background(it.record_args(out, pids=[w.pid], duration=3 + stop_seconds,
                                             frequency=FREQUENCY), output=out)
        self.addCleanup(ember.kill)
        ember.wait_sampling()
        time.sleep(1.0)
        os.kill(ember.proc.pid, signal.SIGSTOP)
        try:
            time.sleep(stop_seconds)
        finally:
            os.kill(ember.proc.pid, signal.SIGCONT)
        res = ember.finish(timeout=60)
        self.assertEqual(res.returncode, 0, res.describe())
        done = DONE.search(res.stderr)
        self.assertIsNotNone(done, res.describe())
        samples, lost = int(done.group(1)), int(done.group(2))
        smaller = smaller_copies.search(res.stderr)
        stacks = it.parse_folded(out)
        total = sum(count for _, count in stacks)
        in_leaf = sum(count for frames, count in stacks
                      if [f for f in frames if not it.is_kernel(f)][-1:] == [leaf])
        print(f"\nring_pressure {os.path.basename(argv[0])}: {samples} samples, {lost} lost, "
              f"{smaller.group(1) if smaller else 0} with a smaller stack copy; "
              f"profile {total}, {leaf} leafmost {in_leaf}")
        self.assertGreaterEqual(samples, 1000 * stop_seconds,
                                "too few samples to fill the ring:\n" + res.describe())
        self.assertIsNotNone(smaller, "no sample got a smaller stack copy during the stop:\n"
                             + res.describe())
        self.assertEqual(lost, 0, res.describe())
        self.assertGreaterEqual(it.share(in_leaf, total), 99.0,
                                "samples that lost their leaf:\n" + it.summarize(stacks))

    def test_stopped_reader_cuts_snapshots_before_losing_samples(self):
        self.record_stopped([it.workload("deep_stack"), "60", "2000"], 0.6, CUT, "spin")

    def test_stopped_reader_drops_leaf_copies_before_losing_samples(self):
        self.record_stopped([it.workload("spinners"), "1", "60"], 2.5, DROPPED, "spin")


if __name__ == "__main__":
    it.main()
