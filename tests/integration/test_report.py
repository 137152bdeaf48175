#!/usr/bin/env python3
"""Issue 5, `ember report` over the agent's store (acceptance).

The agent (2 s windows, 199 Hz) profiles two workloads into a SQLite store:
fp_hot (main -> work -> hot_a / hot_b, 70/30) and rp_deploy, a request loop
whose biggest_five takes ~80% of it in the slow version and ~33% after
SIGUSR1 "deploys" the fast one (tests/integration/workloads/deploy.c). Then
`ember report` must answer:
- per process: each workload's own hot functions first, none of the other's;
- per time range: biggest_five's share before the deploy well above after;
- `--diff` of the slow windows against the fast ones: biggest_five first,
  with a negative delta;
- an unknown service and an empty range: errors that say what the store holds.

Truth: the workloads' code, and the store's window spans (read through
StoreReader by tools/store_dump) split at the moment of the deploy.
"""
import os
import signal
import time
import unittest

import ember_it as it
from test_store import dump, start_agent, wait_windows, write_config


def report(test, store, *args, expect_ok=True):
    res = it.run_ember(["report", "--store", store, "--limit", "0", *map(str, args)],
                       timeout=30)
    if expect_ok:
        test.assertEqual(res.returncode, 0, res.describe())
    return res


def top_rows(text):
    """[(function, self%, total%)] of a top table, in its order."""
    rows, in_table = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("SELF%"):
            in_table = True
            continue
        fields = line.split()
        if in_table and len(fields) >= 6 and fields[0].endswith("%"):
            rows.append((fields[5], float(fields[0][:-1]), float(fields[2][:-1])))
    return rows


def diff_rows(text):
    """[(function, total before, total after, total delta)] of a --diff table."""
    rows = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[0].endswith("%") and fields[2][0] in "+-":
            rows.append((fields[5], float(fields[0][:-1]), float(fields[1][:-1]),
                         float(fields[2])))
    return rows


class Report(unittest.TestCase):
    def test_per_process_per_range_and_diff(self):
        tmp = it.scratch_dir(self)
        store = os.path.join(tmp, "ember.db")
        hot = it.start(self, [it.workload("fp_hot"), 60], ready=None)
        deploy = it.start(self, [it.copy_workload(self, "deploy", "rp_deploy", tmp), 60])
        agent = start_agent(self, write_config(self, tmp, store, [hot.pid, deploy.pid]),
                            window=2)
        # Two closed windows of the slow version, then the deploy.
        wait_windows(self, store, 2, agent)
        deployed_ns = time.time_ns()
        deploy.proc.send_signal(signal.SIGUSR1)
        deploy.wait_line("fast")
        # Two windows that start after the deploy.
        deadline = time.monotonic() + 20
        while True:
            doc = wait_windows(self, store, 1, agent)
            after = [w for w in doc["windows"] if w["start_ns"] >= deployed_ns]
            if len(after) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        agent.proc.send_signal(signal.SIGTERM)
        self.assertEqual(agent.finish(timeout=30).returncode, 0)
        windows = dump(store)["windows"]
        slow = [w for w in windows if w["end_ns"] <= deployed_ns]
        fast = [w for w in windows if w["start_ns"] >= deployed_ns]
        self.assertGreaterEqual(len(slow), 2, "windows before the deploy")
        self.assertGreaterEqual(len(fast), 2, "windows after the deploy")
        self.assertGreaterEqual(len(windows), 4)
        slow_from, slow_to = slow[0]["start_ns"], slow[-1]["end_ns"]
        fast_from, fast_to = fast[0]["start_ns"], fast[-1]["end_ns"]

        # Per process, over everything.
        res = report(self, store, "--process", "fp_hot", "--format", "top")
        rows = top_rows(res.stdout)
        self.assertEqual([r[0] for r in rows[:2]], ["hot_a", "hot_b"], res.stdout)
        self.assertGreater(rows[0][1] + rows[1][1], 80.0, res.stdout)
        self.assertNotIn("biggest_five", res.stdout)
        res = report(self, store, "--pid", deploy.pid, "--format", "top",
                     "--from", slow_from, "--to", slow_to)
        rows = top_rows(res.stdout)
        self.assertEqual(rows[0][0], "biggest_five", res.stdout)
        slow_share = rows[0][1]
        self.assertGreater(slow_share, 60.0, res.stdout)
        self.assertNotIn("hot_a", res.stdout)

        # Per time range: the fast windows alone.
        res = report(self, store, "--process", "rp_deploy", "--format", "top",
                     "--from", fast_from, "--to", fast_to)
        fast_rows = {r[0]: r for r in top_rows(res.stdout)}
        self.assertLess(fast_rows["biggest_five"][1], slow_share - 20.0, res.stdout)
        self.assertGreater(fast_rows["parse_input"][1], 15.0, res.stdout)

        # The before/after comparison.
        res = report(self, store, "--process", "rp_deploy", "--from", slow_from, "--to", slow_to,
                     "--diff", f"{fast_from}..{fast_to}")
        rows = diff_rows(res.stdout)
        self.assertTrue(rows, res.stdout)
        name, before, after, delta = rows[0]
        self.assertEqual(name, "biggest_five", res.stdout)
        self.assertLess(delta, -20.0, res.stdout)
        self.assertAlmostEqual(delta, after - before, delta=0.02)
        for other in ("parse_input", "render"):
            self.assertGreater(next(r[3] for r in rows if r[0] == other), 0, res.stdout)

        # A profile file of a range, for the tools people already have.
        out = os.path.join(tmp, "fast.svg")
        report(self, store, "--pid", deploy.pid, "--from", fast_from, "--to", fast_to,
               "--output", out)
        with open(out) as f:
            self.assertIn('data-n="biggest_five"', f.read())

        # Errors say what exists.
        res = report(self, store, "--service", "NoSuchService", expect_ok=False)
        self.assertEqual(res.returncode, 1, res.describe())
        self.assertIn("no service 'NoSuchService'", res.stderr)
        res = report(self, store, "--from", "2001-01-01T00:00Z", "--to", "2001-01-02T00:00Z",
                     expect_ok=False)
        self.assertEqual(res.returncode, 1, res.describe())
        self.assertIn(f"the store holds {len(windows)} windows", res.stderr)
        self.assertIn("rp_deploy", res.stderr)
        print(f"\nreport: {len(slow)} slow and {len(fast)} fast windows; biggest_five "
              f"{before:.1f}% -> {after:.1f}% ({delta:+.1f} points)")


if __name__ == "__main__":
    it.main()
