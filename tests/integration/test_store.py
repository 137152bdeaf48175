#!/usr/bin/env python3
"""Issue 5, the local store: the agent writes each closed window to the
SQLite store, and the store answers per process and per window.

- Three windows (2 s each) of `ember agent` against two workloads: fp_hot
  (main -> work -> hot_a / hot_b, 70/30) and spin (main -> spin_outer ->
  spin_leaf). Read back through StoreReader (tools/store_dump), every window
  has both processes, each with its own hot functions and none of the other's.
- A damaged store, a store from a newer ember and an unwritable store path:
  the agent keeps profiling, says where the windows go (a new store after
  moving the damaged one aside, a sibling file, memory) and keeps them.
- kill -9 of the agent while it writes (1 s windows, killed at varying
  points of a window), three times: after each kill the store opens, holds
  every window seen before the kill, and the restarted agent appends after
  them.

Truth: the workloads' code (which functions burn CPU in which process) and
the windows listed before each kill.
"""
import json
import os
import signal
import subprocess
import time
import unittest

import ember_it as it

STORE_DUMP = os.environ.get("EMBER_IT_STORE_DUMP", "")
FREQUENCY = 199


def dump(path):
    proc = subprocess.run([STORE_DUMP, path], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise AssertionError(f"store_dump {path} failed ({proc.returncode}): {proc.stderr}")
    return json.loads(proc.stdout)


def write_config(test, tmp, store, pids):
    path = os.path.join(tmp, "ember.toml")
    with open(path, "w") as f:
        f.write(f'[agent]\nplugin_dirs = ["{it.PLUGIN_DIR}"]\n\n'
                f"[processes]\npids = [{', '.join(str(p) for p in pids)}]\n\n"
                "[runtime.native]\nenabled = true\nrequired = true\n\n"
                f'[sink.store]\nenabled = true\nrequired = true\npath = "{store}"\n')
    return path


def start_agent(test, config, window=1):
    agent = it.Background(["agent", "--config", config, "--window", str(window),
                           "--frequency", str(FREQUENCY)])
    test.addCleanup(agent.kill)
    return agent


def wait_windows(test, store, count, agent, timeout=20.0):
    """Polls the store (read while the agent writes) until it has `count` windows."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        if agent.proc.poll() is not None:
            res = agent.finish()
            raise AssertionError("the agent exited early\n" + res.describe())
        if os.path.exists(store):
            try:
                seen = dump(store)
            except AssertionError:
                seen = None  # the first transaction may not be committed yet
            if seen and seen["summary"]["windows"] >= count:
                return seen
        time.sleep(0.2)
    raise AssertionError(f"the store has {seen and seen['summary']['windows']} windows, "
                         f"not {count}, after {timeout} s")


class Store(unittest.TestCase):
    def setUp(self):
        if not STORE_DUMP or not os.path.exists(STORE_DUMP):
            self.fail(f"EMBER_IT_STORE_DUMP={STORE_DUMP!r} does not exist; build first")

    def test_three_windows_answer_per_process_and_per_window(self):
        tmp = it.scratch_dir(self)
        store = os.path.join(tmp, "ember.db")
        hot = it.start(self, [it.workload("fp_hot"), 60], ready=None)
        spin = it.start(self, [it.copy_workload(self, "spin", "st_spin", tmp), 60])
        agent = start_agent(self, write_config(self, tmp, store, [hot.pid, spin.pid]), window=2)
        wait_windows(self, store, 3, agent)
        agent.proc.send_signal(signal.SIGTERM)
        res = agent.finish(timeout=30)
        self.assertEqual(res.returncode, 0, res.describe())

        doc = dump(store)
        windows = doc["windows"]
        self.assertGreaterEqual(len(windows), 3, json.dumps(doc["summary"]))
        self.assertEqual(doc["summary"]["windows"], len(windows))
        self.assertIn("fp_hot", doc["summary"]["processes"])
        self.assertIn("st_spin", doc["summary"]["processes"])
        starts = [w["start_ns"] for w in windows]
        self.assertEqual(starts, sorted(starts))
        for earlier, later in zip(windows, windows[1:]):
            self.assertLessEqual(earlier["end_ns"], later["start_ns"], "windows overlap")
        # The first three windows: both busy for the whole window.
        for n, w in enumerate(windows[:3]):
            procs = {p["pid"]: p for p in w["processes"]}
            where = f"window {n} ({w['start_ns']}..{w['end_ns']})"
            self.assertEqual(w["frequency_hz"], FREQUENCY, where)
            self.assertTrue(w["host"], f"{where}: no hostname")
            for pid, comm in ((hot.pid, "fp_hot"), (spin.pid, "st_spin")):
                self.assertIn(pid, procs, f"{where}: {comm} (pid {pid}) missing: "
                              f"{sorted(procs)}")
                self.assertEqual(procs[pid]["comm"], comm, where)
                # ~400 samples per window on an idle machine; 20 (5% of a
                # CPU on a loaded one) are no accident.
                self.assertGreater(procs[pid]["samples"], 20,
                                   f"{where}: {comm} has {procs[pid]['samples']} samples")
            h, s = procs[hot.pid], procs[spin.pid]
            hot_self = h["self"].get("hot_a", 0) + h["self"].get("hot_b", 0)
            self.assertGreater(it.share(hot_self, h["samples"]), 80.0,
                               f"{where}: fp_hot self {h['self']}")
            self.assertGreater(h["self"].get("hot_a", 0), h["self"].get("hot_b", 0),
                               f"{where}: hot_a (70%) under hot_b (30%): {h['self']}")
            self.assertGreater(it.share(h["total"].get("work", 0), h["samples"]), 80.0,
                               f"{where}: fp_hot total {h['total']}")
            self.assertGreater(it.share(s["self"].get("spin_leaf", 0), s["samples"]), 80.0,
                               f"{where}: st_spin self {s['self']}")
            self.assertGreater(it.share(s["total"].get("spin_outer", 0), s["samples"]), 80.0,
                               f"{where}: st_spin total {s['total']}")
            self.assertNotIn("spin_leaf", h["total"], f"{where}: spin's frames under fp_hot")
            self.assertNotIn("hot_a", s["total"], f"{where}: fp_hot's frames under spin")
        print(f"\nstore: {len(windows)} windows, file {os.path.getsize(store)} bytes")

    def test_kill_9_while_writing_keeps_every_closed_window(self):
        tmp = it.scratch_dir(self)
        store = os.path.join(tmp, "ember.db")
        spin = it.start(self, [it.copy_workload(self, "spin", "st_kill", tmp), 60])
        config = write_config(self, tmp, store, [spin.pid])
        before = set()
        # Killed 0.1, 0.5 and 0.9 s into a window: before, during, after a write.
        for round_, offset in enumerate((0.1, 0.5, 0.9)):
            agent = start_agent(self, config)
            doc = wait_windows(self, store, len(before) + 2, agent)
            # The next window closes about 1 s after the newest one ended.
            newest_end = max(w["end_ns"] for w in doc["windows"])
            delay = (newest_end - time.time_ns()) / 1e9 + 1.0 + offset
            time.sleep(max(0.0, min(delay, 1.5)))
            seen = {(w["start_ns"], w["end_ns"]) for w in dump(store)["windows"]}
            os.killpg(agent.proc.pid, signal.SIGKILL)
            agent.proc.wait()

            after = dump(store)  # opens: the store survived
            kept = {(w["start_ns"], w["end_ns"]) for w in after["windows"]}
            self.assertLessEqual(seen, kept, f"round {round_}: windows lost by kill -9: "
                                 f"{sorted(seen - kept)}")
            self.assertLessEqual(before, kept, f"round {round_}: earlier windows lost")
            self.assertGreater(len(kept), len(before), f"round {round_}: nothing appended")
            if before:
                self.assertGreater(min(s for s, _ in kept - before), max(e for _, e in before) - 1,
                                   f"round {round_}: new windows not after the old ones")
            for w in after["windows"]:
                if w["processes"]:
                    self.assertEqual([p["comm"] for p in w["processes"]], ["st_kill"])
            before = kept
        print(f"\nstore after 3 kills: {len(before)} windows")

    def run_briefly(self, config, windows=2):
        """The agent for `windows` 1 s windows, then SIGTERM; its result."""
        agent = start_agent(self, config)
        agent.wait_sampling()
        time.sleep(windows + 0.8)
        if agent.proc.poll() is not None:
            self.fail("the agent died:\n" + agent.finish().describe())
        agent.proc.send_signal(signal.SIGTERM)
        return agent.finish(timeout=30)

    def test_damaged_newer_and_unwritable_stores_lose_no_window(self):
        import sqlite3
        tmp = it.scratch_dir(self)
        spin = it.start(self, [it.copy_workload(self, "spin", "st_trouble", tmp), 60])

        # Damaged: moved aside, a new store at the same path.
        store = os.path.join(tmp, "damaged", "ember.db")
        os.makedirs(os.path.dirname(store))
        with open(store, "wb") as f:
            f.write(b"SQLite format 3\x00" + os.urandom(8192))
        res = self.run_briefly(write_config(self, tmp, store, [spin.pid]))
        self.assertEqual(res.returncode, 0, res.describe())
        self.assertRegex(res.stderr, r"moved it to .*ember\.db\.damaged-", res.describe())
        self.assertTrue(any(n.startswith("ember.db.damaged-")
                            for n in os.listdir(os.path.dirname(store))))
        self.assertGreaterEqual(dump(store)["summary"]["windows"], 1, res.describe())

        # Newer schema: untouched, windows in ember-schema<N>.db beside it.
        newer = os.path.join(tmp, "newer", "ember.db")
        os.makedirs(os.path.dirname(newer))
        db = sqlite3.connect(newer)
        db.execute("PRAGMA application_id = 1701667442")  # "embr"
        db.execute("CREATE TABLE windows_v99 (x)")
        db.execute("PRAGMA user_version = 99")
        db.commit()
        db.close()
        with open(newer, "rb") as f:
            before = f.read()
        res = self.run_briefly(write_config(self, tmp, newer, [spin.pid]))
        self.assertEqual(res.returncode, 0, res.describe())
        self.assertIn("newer", res.stderr, res.describe())
        siblings = [n for n in os.listdir(os.path.dirname(newer)) if n.startswith("ember-schema")
                    and n.endswith(".db")]
        self.assertEqual(len(siblings), 1, f"{os.listdir(os.path.dirname(newer))}\n"
                         + res.describe())
        self.assertIn(siblings[0], res.stderr)
        with open(newer, "rb") as f:
            self.assertTrue(f.read() == before, "the newer store was modified")
        sibling = os.path.join(os.path.dirname(newer), siblings[0])
        self.assertGreaterEqual(dump(sibling)["summary"]["windows"], 1)

        # Unwritable (a file where its directory should be, which stops root
        # too): held in memory, said so, written once the path is usable.
        blocker = os.path.join(tmp, "blocked")
        with open(blocker, "w") as f:
            f.write("not a directory")
        held = os.path.join(blocker, "ember.db")
        agent = start_agent(self, write_config(self, tmp, held, [spin.pid]))
        agent.wait_sampling()
        time.sleep(2.8)
        if agent.proc.poll() is not None:
            self.fail("the agent died with an unwritable store:\n" + agent.finish().describe())
        os.unlink(blocker)  # the disk is back
        time.sleep(1.5)
        agent.proc.send_signal(signal.SIGTERM)
        res = agent.finish(timeout=30)
        self.assertEqual(res.returncode, 0, res.describe())
        self.assertIn("holding windows in memory", res.stderr, res.describe())
        self.assertRegex(res.stderr, r"wrote \d+ windows held in memory", res.describe())
        self.assertGreaterEqual(dump(held)["summary"]["windows"], 3, res.describe())


if __name__ == "__main__":
    it.main()
