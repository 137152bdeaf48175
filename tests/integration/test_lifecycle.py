#!/usr/bin/env python3
"""Acceptance 4: in a whole-system recording (no --pid), a process started
after recording began and one that exits before it ends are both in the
profile, with names: comm, exe and symbolized functions.

Truth: the test starts and stops the processes itself around the moment ember
has its perf events open. Each is a copy of the spin workload under its own
name (so its comm differs), burning CPU in main -> spin_outer -> spin_leaf:
  it_early  started before ember, stopped (exits) ~2.5 s into the recording
  it_late   started ~1 s into the recording, still running at its end
  it_brief  started ~1.5 s in, exits by itself 2 s later
"""
import os
import time
import unittest

import ember_it as it

FREQUENCY = 199
DURATION = 7


class Lifecycle(unittest.TestCase):
    def check_process(self, doc, name, pid, min_samples):
        profiles = doc.for_pid(pid)
        self.assertTrue(profiles, f"{name} (pid {pid}) is not in the profile; processes with "
                        f"samples: {sorted({(p.comm, p.pid) for p in doc.profiles})[:40]}")
        # The pid before its exec is this test's own fork, a program of its
        # own: a sample there is rare (the fork runs for a millisecond or so).
        with open("/proc/self/comm") as f:
            own_comm = f.read().strip()
        pre_exec = [p for p in profiles if p.comm == own_comm]
        self.assertLessEqual(sum(p.total for p in pre_exec), 2,
                             f"pid {pid} before its exec: {[p.name for p in pre_exec]}")
        profiles = [p for p in profiles if p not in pre_exec]
        for p in profiles:
            self.assertEqual(p.comm, name, f"pid {pid}'s profile is named {p.name!r}")
        samples = sum(p.total for p in profiles)
        self.assertGreaterEqual(samples, min_samples, f"{name}: only {samples} samples")
        named = sum(w for p in profiles for names, _, w in p.stacks
                    if it.contains_run(names, ["main", "spin_outer", "spin_leaf"]))
        stacks = [(n, w) for p in profiles for n, _, w in p.stacks]
        self.assertGreaterEqual(it.share(named, samples), 80.0,
                                f"{name}: {named}/{samples} samples symbolized to "
                                "main;spin_outer;spin_leaf:\n" + it.summarize(stacks))
        meta = doc.processes.get(pid)
        self.assertIsNotNone(meta, f"{name} (pid {pid}) not in ember.processes")
        self.assertEqual(meta.get("comm"), name, f"ember.processes entry: {meta}")
        self.assertEqual(os.path.basename(meta.get("exe") or ""), name,
                         f"ember.processes entry: {meta}")
        return samples

    def test_late_and_exiting_processes_whole_system(self):
        tmp = it.scratch_dir(self)
        out = os.path.join(tmp, "system.speedscope.json")
        paths = {n: it.copy_workload(self, "spin", n, tmp)
                 for n in ("it_early", "it_late", "it_brief")}

        early = it.start(self, [paths["it_early"], 60])
        ember = it.Background(it.record_args(output=out, duration=DURATION,
                                             frequency=FREQUENCY), output=out)
        self.addCleanup(ember.kill)
        ember.wait_sampling()
        t0 = time.monotonic()

        def at(seconds):
            time.sleep(max(0.0, t0 + seconds - time.monotonic()))

        at(1.0)
        late = it.start(self, [paths["it_late"], 60])
        at(1.5)
        brief = it.start(self, [paths["it_brief"], 2.0])
        at(2.5)
        early.stop()
        self.assertEqual(early.proc.returncode, 0)
        brief.proc.wait(timeout=10)
        exited_at = time.monotonic() - t0
        self.assertEqual(brief.proc.returncode, 0)

        res = ember.finish(timeout=DURATION + 45)
        ended_at = time.monotonic() - t0
        late_alive = late.proc.poll() is None
        late.stop()
        self.assertEqual(res.returncode, 0, res.describe())
        self.assertTrue(late_alive, "it_late died during the recording")
        self.assertLess(exited_at + 1.0, ended_at,
                        "ember ended before the exiting processes were gone; "
                        "the test proved nothing")

        doc = it.Speedscope(out)
        # Each spinner wants a whole CPU for >= 2 s, ~400 samples; a tenth of
        # that leaves room for a loaded machine and still is no accident.
        counts = {name: self.check_process(doc, name, w.pid, FREQUENCY * 2.0 / 10)
                  for name, w in (("it_early", early), ("it_late", late), ("it_brief", brief))}
        print(f"\nlifecycle: samples {counts}; profiles={len(doc.profiles)} "
              f"processes={len(doc.processes)}")


if __name__ == "__main__":
    it.main()
