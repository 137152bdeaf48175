#!/usr/bin/env python3
"""A reader that falls behind costs stacks' roots before it costs samples.

deep_stack (no frame pointers, a stack deeper than the 16 KiB snapshot) is
sampled at 999 Hz with full snapshots: ~17 MB a second onto the ring. The
agent is stopped (SIGSTOP) for 0.8 s, as a host that starves it would. Its
ring (4 MiB at 999 Hz on this machine) fills past half in an eighth of a
second, after which the sampler copies only the leaf of the stack; the other
half holds those smaller samples for the rest of the stop.

Truth: the agent's own counts and its profile. Samples that got only the
leaf copy are reported (some, the stop being long enough to need them), none
is lost to a full ring (the 8 MiB ring without the cut lost ~110 of a 0.6 s
stop here), and every sample, cut or not, still names spin as its leaf.
"""
import os
import re
import signal
import time
import unittest

import ember_it as it

FREQUENCY = 999
STOP_SECONDS = 0.8
DONE = re.compile(r"done: (\d+) samples, (\d+) lost to a full ring buffer")
CUT = re.compile(r"(\d+) samples got only the leaf stack copy")


class RingPressure(unittest.TestCase):
    def test_stopped_reader_cuts_snapshots_before_losing_samples(self):
        w = it.start(self, [it.workload("deep_stack"), "60", "2000"])
        out = os.path.join(it.scratch_dir(self), "ring.folded")
        ember = it.Background(it.record_args(out, pids=[w.pid], duration=4,
                                             frequency=FREQUENCY), output=out)
        self.addCleanup(ember.kill)
        ember.wait_sampling()
        time.sleep(1.0)
        os.kill(ember.proc.pid, signal.SIGSTOP)
        try:
            time.sleep(STOP_SECONDS)
        finally:
            os.kill(ember.proc.pid, signal.SIGCONT)
        res = ember.finish(timeout=60)
        self.assertEqual(res.returncode, 0, res.describe())
        done = DONE.search(res.stderr)
        self.assertIsNotNone(done, res.describe())
        samples, lost = int(done.group(1)), int(done.group(2))
        cut = CUT.search(res.stderr)
        stacks = it.parse_folded(out)
        total = sum(count for _, count in stacks)
        in_spin = sum(count for frames, count in stacks
                      if [f for f in frames if not it.is_kernel(f)][-1:] == ["spin"])
        print(f"\nring_pressure: {samples} samples, {lost} lost, "
              f"{cut.group(1) if cut else 0} cut to the leaf copy; profile {total}, "
              f"spin leafmost {in_spin}")
        self.assertGreaterEqual(samples, 1000, "too few samples to fill the ring:\n"
                                + res.describe())
        self.assertIsNotNone(cut, "no sample was cut to the leaf copy during the stop:\n"
                             + res.describe())
        self.assertEqual(lost, 0, res.describe())
        self.assertGreaterEqual(it.share(in_spin, total), 99.0,
                                "samples that lost their leaf:\n" + it.summarize(stacks))


if __name__ == "__main__":
    it.main()
