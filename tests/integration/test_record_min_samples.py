#!/usr/bin/env python3
"""`ember record --min-samples N`: past --duration, recording goes on until the
profile holds N samples (at most 4 x the duration), so a test's statistics
hold on a busy machine.

One spin thread at 99 Hz gives at most ~100 samples in 1 s: asking for 150
must record on, and stop once they are in (or, on a machine that busy, say
how many it got within 4 s). A second, not half of one: the sanitizer
build's agent takes up to 1.6 s to set up, which would leave half a second's
duration no time to record on in.
"""
import os
import unittest

import ember_it as it

FREQUENCY = 99
DURATION = 1.0
WANTED = 150


class RecordMinSamples(unittest.TestCase):
    def test_records_on_until_the_profile_has_the_samples(self):
        out = os.path.join(it.scratch_dir(self), "spin.folded")
        w = it.start(self, [it.copy_workload(self, "spin", "it_min_samples"), 60])
        res = it.record(self, out, pids=[w.pid], duration=DURATION, frequency=FREQUENCY,
                        min_samples=WANTED)
        total = sum(c for _, c in it.folded_by_comm(it.parse_folded(out), "it_min_samples"))
        self.assertIn(f"of {WANTED} samples after {DURATION:.1f} s: recording on", res.stderr,
                      res.describe())
        short = f"only {total} of the {WANTED} samples asked for" in res.stderr
        if not short:
            self.assertGreaterEqual(total, WANTED, res.describe())
        print(f"\nmin-samples: {total} samples for {WANTED} asked"
              f"{' (machine too busy: short)' if short else ''}")


if __name__ == "__main__":
    it.main()
