#!/usr/bin/env python3
"""Utilisation metrics beside the profile (issue 5).

A Python workload holds ~96 MiB and burns CPU; `ember record` writes a
speedscope file whose `ember.host_metrics` and `ember.process_metrics` are
checked against the truth the test reads itself:
- per step, the workload's CPU time (from /proc/PID/stat snapshots the test
  takes every 20 ms, cut at ember's step times) matches cpu_cores x step;
- its RSS matches /proc/PID/statm; MemTotal matches /proc/meminfo;
- the host is at least as busy as the workload makes it;
- `[agent] metrics_interval_ms` sets the step, 0 turns metrics off.
"""
import os
import threading
import time
import unittest

import ember_it as it

HZ = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGESIZE")
WORKLOAD = """
import sys, time
hold = bytearray(96 << 20)
for i in range(0, len(hold), 4096):
    hold[i] = 1
print("ready", flush=True)
end = time.time() + float(sys.argv[1])
while time.time() < end:
    pass
"""


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


class TickTracker:
    """(realtime ns, cpu ticks) of pid every 20 ms."""

    def __init__(self, pid):
        self.pid, self.snaps = pid, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.snaps.append((time.time_ns(), cpu_ticks(self.pid)))
            except OSError:
                return
            self._stop.wait(0.02)

    def stop(self):
        self._stop.set()
        self._thread.join()

    def at(self, t_ns):
        """Ticks at the snapshot nearest to t_ns, and how far it is (ns)."""
        best = min(self.snaps, key=lambda s: abs(s[0] - t_ns))
        return best[1], abs(best[0] - t_ns)


def metrics(doc):
    ember = doc.ember
    for key in ("host_metrics", "process_metrics"):
        if key not in ember:
            raise AssertionError(f"no ember.{key} in the speedscope file: keys {list(ember)}")
    host = [dict(zip(ember["host_metrics"]["fields"], s)) for s in ember["host_metrics"]["steps"]]
    procs = [dict(zip(ember["process_metrics"]["fields"], s))
             for s in ember["process_metrics"]["steps"]]
    return host, procs


def write_config(test, agent_keys):
    return it.config_file(test, "[runtime.native]\nenabled = true\n", agent=agent_keys)


class Metrics(unittest.TestCase):
    def record(self, duration, config=None):
        w = it.start(self, ["/usr/bin/python3", "-c", WORKLOAD, duration + 20])
        tracker = TickTracker(w.pid)
        out = os.path.join(it.scratch_dir(self), "m.speedscope.json")
        res = it.record(self, out, pids=[w.pid], duration=duration, config=config)
        tracker.stop()
        with open(f"/proc/{w.pid}/statm") as f:
            rss = int(f.read().split()[1]) * PAGE
        w.kill()
        return w.pid, it.Speedscope(out), tracker, rss, res

    def test_process_and_host_metrics_match_procfs(self):
        pid, doc, tracker, rss, res = self.record(4)
        host, procs = metrics(doc)
        mine = [p for p in procs if p["pid"] == pid]
        self.assertGreaterEqual(len(mine), 3, f"process steps {procs}\n" + res.describe())
        self.assertEqual({p["pid"] for p in procs}, {pid}, "metrics of processes not profiled")
        self.assertGreaterEqual(len(host), 3, f"host steps {host}")

        checked = 0
        for prev, cur in zip(mine, mine[1:]):
            seconds = (cur["time_ns"] - prev["time_ns"]) / 1e9
            t0, off0 = tracker.at(prev["time_ns"])
            t1, off1 = tracker.at(cur["time_ns"])
            if max(off0, off1) > 40e6 or seconds < 0.5:
                continue  # the truth has no snapshot close enough to this step
            truth = (t1 - t0) / HZ
            reported = cur["cpu_cores"] * seconds
            # A snapshot off by d ns misses at most d of one core (the
            # workload has one thread); both ends are read in whole ticks.
            slack = (off0 + off1) / 1e9 + 3.0 / HZ + 0.05 * truth
            self.assertAlmostEqual(reported, truth, delta=slack,
                                   msg=f"step ending {cur['time_ns']}: {reported:.3f} s CPU "
                                   f"reported, {truth:.3f} s in /proc/{pid}/stat")
            checked += 1
        self.assertGreaterEqual(checked, 2, f"too few steps to compare: {mine}")

        self.assertGreaterEqual(mine[-1]["rss_bytes"], 96 << 20)
        self.assertAlmostEqual(mine[-1]["rss_bytes"], rss, delta=0.1 * rss,
                               msg=f"RSS {mine[-1]['rss_bytes']} vs statm {rss}")

        with open("/proc/meminfo") as f:
            total = int(next(l for l in f if l.startswith("MemTotal:")).split()[1]) * 1024
        ncpu = os.cpu_count()
        for h in host:
            self.assertEqual(h["memory_total_bytes"], total)
            self.assertTrue(0 < h["memory_available_bytes"] <= total, h)
            self.assertTrue(0.0 <= h["cpu_utilization"] <= 1.0, h)
        busy = sum(h["cpu_utilization"] for h in host) / len(host)
        # Weighted by step length: a short step (the window's last) is noisier.
        spans = [(cur["time_ns"] - prev["time_ns"]) / 1e9 for prev, cur in zip(mine, mine[1:])]
        own = sum(p["cpu_cores"] * s for p, s in zip(mine[1:], spans)) / sum(spans)
        self.assertGreaterEqual(busy, own / ncpu - 0.1,
                                f"host {busy:.2f} busy while the workload alone used "
                                f"{own:.2f} of {ncpu} CPUs")
        self.assertTrue(doc.ember.get("host"), "no host name in the window")
        print(f"\nmetrics: {len(mine)} process steps, workload {own:.2f} cores, host "
              f"{busy:.2f} busy, rss {mine[-1]['rss_bytes'] >> 20} MiB, {checked} steps checked")

    def test_interval_is_configurable_and_zero_turns_metrics_off(self):
        _, doc, _, _, res = self.record(2, write_config(self, "metrics_interval_ms = 250"))
        host, procs = metrics(doc)
        gaps = [(b["time_ns"] - a["time_ns"]) / 1e9 for a, b in zip(host, host[1:])]
        self.assertGreaterEqual(len(host), 5, f"{len(host)} host steps in 2 s at 250 ms")
        self.assertLess(sorted(gaps)[len(gaps) // 2], 0.5, f"step gaps {gaps}")

        _, doc, _, _, res = self.record(2, write_config(self, "metrics_interval_ms = 0"))
        host, procs = metrics(doc)
        self.assertEqual((host, procs), ([], []), res.describe())


if __name__ == "__main__":
    it.main()
