#!/usr/bin/env python3
"""Acceptance 2: a multi-threaded program; every busy thread is sampled and
per-thread counts are within 5 points of the truth.

Truth: three threads (busy-1..3, named with pthread_setname_np, entering
through busy_thread_1..3 so a sample given to the wrong thread shows) burn
15%, 30% and 45% of a CPU in periods of random length (5-15 ms), at nice 6,
3 and 0 so that their shares differ on a saturated machine too. What each actually got is the
kernel's own accounting, /proc/PID/task/TID/schedstat (the clock of
CLOCK_THREAD_CPUTIME_ID), read every 20 ms during the recording and cut to
the window ember reports (speedscope ember.start_ns..end_ns, CLOCK_REALTIME).
"""
import os
import unittest

import ember_it as it

FREQUENCY = 999
DURATION = 5
TOLERANCE = 5.0  # points
THREADS = 3


class Threads(unittest.TestCase):
    def test_every_busy_thread_with_its_share(self):
        out = os.path.join(it.scratch_dir(self), "threads.speedscope.json")
        w = it.start(self, [it.workload("threads"), THREADS, 60])
        busy = {}
        for line in w.lines:
            if line.startswith("thread "):
                _, tid, name = line.split()
                busy[int(tid)] = name
        self.assertEqual(len(busy), THREADS, f"threads printed {w.lines}")

        tracker = it.CpuTracker(w.pid)
        self.addCleanup(tracker.stop)
        contention = it.Contention()
        contention.look()
        # The main thread's samples count too: a margin over the 1,500 below.
        res = it.record(self, out, pids=[w.pid], duration=DURATION, frequency=FREQUENCY,
                        min_samples=1600)
        contention.look()
        tracker.stop()
        w.stop()

        doc = it.Speedscope(out)
        start_ns, end_ns = doc.ember.get("start_ns"), doc.ember.get("end_ns")
        self.assertTrue(start_ns and end_ns and start_ns < end_ns,
                        f"speedscope ember.start_ns/end_ns: {start_ns}, {end_ns}")
        window = tracker.between(start_ns, end_ns)
        cpu = {tid: window[tid] for tid in busy}
        cpu_total = sum(cpu.values())
        truth = {tid: it.share(ns, cpu_total) for tid, ns in cpu.items()}

        profiles = doc.for_pid(w.pid)
        self.assertTrue(profiles, f"no profile for pid {w.pid}: "
                        f"{[p.name for p in doc.profiles]}")
        by_tid = {p.tid: p for p in profiles}
        for tid, name in busy.items():
            self.assertIn(tid, by_tid, f"busy thread {name} (tid {tid}) not sampled; "
                          f"profiles: {[p.name for p in profiles]}")
            prof = by_tid[tid]
            self.assertEqual(prof.thread, name, f"tid {tid} named {prof.thread!r}")
            self.assertEqual(prof.comm, "threads", f"process comm of {prof.name!r}")

        counts = {tid: by_tid[tid].total for tid in busy}
        sampled = sum(counts.values())
        self.assertGreaterEqual(sampled, 1500, f"too few samples: {counts}")
        report = []
        for tid, name in sorted(busy.items(), key=lambda kv: kv[1]):
            got = it.share(counts[tid], sampled)
            report.append(f"{name} ember={got:.2f}% truth={truth[tid]:.2f}% "
                          f"({counts[tid]} samples, {cpu[tid] / 1e6:.0f} ms CPU)")
        print("\nthreads: " + " | ".join(report))
        for tid, name in busy.items():
            got = it.share(counts[tid], sampled)
            self.assertAlmostEqual(got, truth[tid], delta=TOLERANCE,
                                   msg=f"{name}: ember {got:.2f}% vs truth "
                                   f"{truth[tid]:.2f}%\n" + "\n".join(report)
                                   + contention.note())
        # Thread busy-<i> runs busy_thread_<i>: its samples, and only its, name it.
        for tid, name in busy.items():
            prof = by_tid[tid]
            entry = "busy_thread_" + name.split("-")[1]
            stacks = [(n, w) for n, _, w in prof.stacks]
            named = sum(wt for names, wt in stacks
                        if it.contains_run(names, [entry, "thread_main", "busy_loop"]))
            self.assertGreaterEqual(it.share(named, prof.total), 80.0,
                                    f"{name}: only {named}/{prof.total} samples under "
                                    f"{entry};thread_main;busy_loop:\n" + it.summarize(stacks))
            foreign = [(n, w) for n, w in stacks
                       if any(f.startswith("busy_thread_") and f != entry for f in n)]
            self.assertEqual(foreign, [], f"{name} holds other threads' samples:\n"
                             + it.summarize(foreign))


if __name__ == "__main__":
    it.main()
