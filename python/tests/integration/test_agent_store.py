"""The Python API over a store written by the real agent (real BPF, root):
rp_deploy's request loop, slow (biggest_five ~80%) and then fast (~33%) after
SIGUSR1 "deploys" it (tests/integration/workloads/deploy.c).

- profile().top() equals `ember report --format top` for the same range and
  filters (same totals and rows);
- diff(slow -> fast) lists biggest_five first with a negative delta;
- python/examples/regression_gate.py exits 1 for slow-after-fast and 0 the
  other way.

Helpers are the integration tests' own (tests/integration/ember_it.py).
"""
import os
import signal
import subprocess
import sys
import time
import unittest

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "integration"))

import ember  # noqa: E402
import ember_it as it  # noqa: E402
from report_text import heading_samples, label, top_rows  # noqa: E402
from test_store import dump, start_agent, wait_windows, write_config  # noqa: E402

GATE = os.path.join(HERE, "..", "..", "examples", "regression_gate.py")

if os.geteuid() != 0:
    reason = "needs root: the agent loads BPF programs"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)",
                    pytrace=False)
    pytest.exit(f"SKIP: {reason}", returncode=it.SKIP)


class ClassCleanups:
    """The helpers' `test` for a store made once per class."""

    def __init__(self, cls):
        self.cls = cls

    def addCleanup(self, function, *args):
        self.cls.addClassCleanup(function, *args)


def ns_text(ns):
    return str(ns)


class AgentStore(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        test = ClassCleanups(cls)
        tmp = it.scratch_dir(test)
        cls.store = os.path.join(tmp, "ember.db")
        deploy = it.start(test, [it.copy_workload(test, "deploy", "rp_deploy", tmp), 60])
        cls.pid = deploy.pid
        agent = start_agent(test, write_config(test, tmp, cls.store, [deploy.pid]), window=2)
        wait_windows(test, cls.store, 2, agent)
        deployed_ns = time.time_ns()
        deploy.proc.send_signal(signal.SIGUSR1)
        deploy.wait_line("fast")
        deadline = time.monotonic() + 20
        while True:
            doc = wait_windows(test, cls.store, 1, agent)
            if len([w for w in doc["windows"] if w["start_ns"] >= deployed_ns]) >= 2 or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.3)
        agent.proc.send_signal(signal.SIGTERM)
        assert agent.finish(timeout=30).returncode == 0
        windows = dump(cls.store)["windows"]
        slow = [w for w in windows if w["end_ns"] <= deployed_ns]
        fast = [w for w in windows if w["start_ns"] >= deployed_ns]
        assert len(slow) >= 2 and len(fast) >= 2, windows
        cls.slow = (slow[0]["start_ns"], slow[-1]["end_ns"])
        cls.fast = (fast[0]["start_ns"], fast[-1]["end_ns"])

    def report(self, *args):
        res = it.run_ember(["report", "--store", self.store, "--limit", "0", *map(str, args)])
        self.assertEqual(res.returncode, 0, res.describe())
        return res.stdout

    def assert_same_top(self, profile, text):
        rows = top_rows(text)
        self.assertEqual(heading_samples(text), profile.total, text)
        ours = profile.top(0)
        self.assertEqual(len(ours), len(rows), text)
        for row, (self_pct, self_n, total_pct, total_n, kind, function) in zip(ours, rows):
            self.assertEqual((label(row.name, row.file), row.kind, row.self_samples,
                              row.total_samples), (function, kind, self_n, total_n), text)
            self.assertAlmostEqual(row.self * 100, self_pct, delta=0.006)
            self.assertAlmostEqual(row.total * 100, total_pct, delta=0.006)

    def test_top_equals_ember_report(self):
        store = ember.open_store(self.store)
        self.assert_same_top(store.profile(), self.report("--format", "top"))
        first, last = self.slow
        profile = store.profile(ns_text(first), ns_text(last), pid=self.pid)
        self.assert_same_top(profile, self.report("--format", "top", "--from", first,
                                                  "--to", last, "--pid", self.pid))
        self.assertEqual(profile.top(1)[0].name, "biggest_five")
        profile = store.profile(ns_text(self.fast[0]), ns_text(self.fast[1]),
                                process="rp_deploy", kind="native")
        self.assert_same_top(profile, self.report(
            "--format", "top", "--from", self.fast[0], "--to", self.fast[1],
            "--process", "rp_deploy", "--kind", "native"))

    def test_diff_lists_the_changed_function_first(self):
        store = ember.open_store(self.store)
        slow = store.profile(ns_text(self.slow[0]), ns_text(self.slow[1]), process="rp_deploy")
        fast = store.profile(ns_text(self.fast[0]), ns_text(self.fast[1]), process="rp_deploy")
        rows = slow.diff(fast)
        self.assertEqual(rows[0].name, "biggest_five", rows[:3])
        self.assertLess(rows[0].delta, -0.2, rows[0])
        self.assertAlmostEqual(rows[0].delta, rows[0].after - rows[0].before, places=9)

    def gate(self, before, after):
        return subprocess.run(
            [sys.executable, GATE, "--store", self.store,
             "--before", f"{before[0]}..{before[1]}", "--after", f"{after[0]}..{after[1]}",
             "--max-growth", "35"],
            capture_output=True, text=True, timeout=60, env=os.environ)

    def test_regression_gate(self):
        # Shares: biggest_five goes ~33% -> ~80% (+47 points) when the slow
        # version follows the fast one; the other way parse_input and render
        # gain ~23 points each as biggest_five shrinks. 35 points parts them.
        bad = self.gate(self.fast, self.slow)  # slow after fast: biggest_five grew
        self.assertEqual(bad.returncode, 1, bad.stdout + bad.stderr)
        self.assertIn("biggest_five", bad.stdout)
        good = self.gate(self.slow, self.fast)
        self.assertEqual(good.returncode, 0, good.stdout + good.stderr)
        self.assertIn("ok: no function grew past the limit", good.stdout)


class Record(unittest.TestCase):
    def test_record_a_pid(self):
        hot = it.start(self, [it.workload("fp_hot"), 30], ready=None)
        profile = ember.record(pid=hot.pid, seconds=2, frequency=199)
        self.assertGreater(profile.total, 100)
        self.assertEqual({p.pid for p in profile.processes()}, {hot.pid})
        names = [r.name for r in profile.top(2)]
        self.assertEqual(sorted(names), ["hot_a", "hot_b"], profile.top(5))

    def test_record_without_capabilities_names_them(self):
        done = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "--inh-caps=-all", sys.executable, "-c",
             "import ember\ntry:\n    ember.record(seconds=1)\n"
             "except PermissionError as e:\n    print('PermissionError:', e)\n"],
            capture_output=True, text=True, timeout=30, env=os.environ)
        self.assertIn("PermissionError:", done.stdout, done.stderr)
        self.assertIn("CAP_BPF and CAP_PERFMON", done.stdout)
