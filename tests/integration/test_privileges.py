#!/usr/bin/env python3
"""Acceptance (CLI): without root or CAP_BPF + CAP_PERFMON, `ember record`
exits non-zero and says what is missing; with just those two capabilities,
as a non-root user, it records. A user who may read the agent's store but
not write to its directory runs `ember report` on it after the agent stopped.

Truth: ember is started through setpriv as nobody:nogroup with no
supplementary groups and exactly the capabilities each case names (inherited
and ambient, so they survive the exec of a file without file capabilities).
"""
import os
import signal
import time
import unittest

import ember_it as it


def as_nobody(caps=()):
    prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    if caps:
        spec = ",".join("+" + c for c in caps)
        return prefix + [f"--inh-caps={spec}", f"--ambient-caps={spec}"]
    return prefix + ["--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"]


class Privileges(unittest.TestCase):
    def run_as(self, caps, duration=1):
        tmp = it.scratch_dir(self, mode=0o777)
        out = os.path.join(tmp, "nobody.folded")
        res = it.run_ember(it.record_args(output=out, duration=duration), timeout=30,
                           prefix=as_nobody(caps), output=out)
        self.assertNotIn("Segmentation", res.stderr)
        return res

    def test_no_capabilities_names_both(self):
        res = self.run_as(())
        self.assertNotEqual(res.returncode, 0, res.describe())
        for cap in ("CAP_BPF", "CAP_PERFMON"):
            self.assertIn(cap, res.stderr, res.describe())
        self.assertFalse(os.path.exists(res.output) and os.path.getsize(res.output) > 0,
                         "an unprivileged run wrote a profile")
        print(f"\nprivileges: exit {res.returncode}: {res.stderr.strip().splitlines()[-1:]}")

    def test_perfmon_alone_is_not_enough(self):
        res = self.run_as(("perfmon",))
        self.assertNotEqual(res.returncode, 0, res.describe())
        self.assertIn("CAP_BPF", res.stderr, res.describe())

    def test_bpf_and_perfmon_are_enough(self):
        # Something to sample: an idle machine gives no samples at 99 Hz.
        it.start(self, [it.copy_workload(self, "spin", "priv_spin"), 30])
        res = self.run_as(("bpf", "perfmon"), duration=2)
        self.assertEqual(res.returncode, 0, "CAP_BPF + CAP_PERFMON should be enough\n"
                         + res.describe())
        mine = it.folded_by_comm(it.parse_folded(res.output), "priv_spin")
        self.assertGreater(sum(c for _, c in mine), 50, res.describe())

    def test_report_reads_a_stopped_agents_store_without_write_access(self):
        w = it.start(self, [it.copy_workload(self, "spin", "priv_store"), 30])
        tmp = it.scratch_dir(self, mode=0o755)  # root's: nobody may read, not write
        store = os.path.join(tmp, "ember.db")
        config = it.config_file(self, f"[processes]\npids = [{w.pid}]\n"
                                "[runtime.native]\nenabled = true\n"
                                f'[sink.store]\nenabled = true\npath = "{store}"\n')
        agent = it.Background(["agent", "--config", config, "--window", "1"])
        self.addCleanup(agent.kill)
        time.sleep(3.5)
        agent.proc.send_signal(signal.SIGTERM)
        stopped = agent.finish(timeout=30)
        self.assertEqual(stopped.returncode, 0, stopped.describe())
        self.assertFalse(os.path.exists(store + "-wal"),
                         "the agent left its WAL: not the case under test\n" + stopped.describe())
        res = it.run_ember(["report", "--store", store, "--format", "top"], timeout=30,
                           prefix=as_nobody())
        self.assertEqual(res.returncode, 0, res.describe())
        self.assertIn("spin_leaf", res.stdout, res.describe())
        self.assertEqual(os.listdir(tmp), ["ember.db"],
                         "the reader wrote beside the store")


if __name__ == "__main__":
    it.main()
