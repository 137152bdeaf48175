#!/usr/bin/env python3
"""Windows on time under load: beside 500 threads spinning at normal priority,
emberd sampling every process at 999 Hz with 2 s windows (its reader thread
at the default [agent] priority, "realtime") writes windows to its store
that each span their length within 10%, and its last log line counts what
was lost by cause (the ring buffer, the agent's queue, the stop), each
sample lost counted in a window.

The spinners run in emberd's session: with autogroup scheduling (Debian's
default) a process in a session of its own shares the CPU with emberd as one
group, and emberd would not feel the load.

Under process churn, with [agent] max_window_mb = 1 and 60 s windows, the
agent closes a window early each time its bookkeeping reaches the cap (most
stacks of a churning host are new ones), the next starting where it ended:
the windows in the store tile the recording and hold every sample counted.

Truth: the windows' start and end times the agent wrote in the store (read
back through StoreReader, tools/store_dump), not the test's own clock. The
last window is cut short by SIGTERM and is not judged.
"""
import json
import os
import re
import signal
import subprocess
import time
import unittest

import ember_it as it

STORE_DUMP = os.environ.get("EMBER_IT_STORE_DUMP", "")
CHURN = os.environ.get("EMBER_IT_CHURN", "")  # bench/soak/churn.c
WINDOW_S = 2
EARLY = re.compile(r"window closed early: its bookkeeping took ([\d.]+) MiB")
DONE = re.compile(r"done: (\d+) samples, (\d+) lost to a full ring buffer, (\d+) malformed "
                  r"records, (\d+) process events lost to a full ring buffer, (\d+) samples and "
                  r"\d+ process events lost to a full queue .*?, (\d+) samples still unnamed")


def store_config(tmp, agent_keys):
    """emberd at 999 Hz, native frames, windows into a store in `tmp`;
    `agent_keys` go into [agent]. Returns the config's and the store's paths."""
    store = os.path.join(tmp, "ember.db")
    config = os.path.join(tmp, "ember.toml")
    with open(config, "w") as f:
        f.write(f"""
[agent]
plugin_dirs = ["{it.PLUGIN_DIR}"]
{agent_keys}
[sampler]
frequency_hz = 999
[runtime.native]
enabled = true
[sink.store]
enabled = true
path = "{store}"
""")
    return config, store


def start_sampling(test, config, log_path):
    """emberd started, once its log says it samples (or within 60 s)."""
    agent = it.start_emberd(test, config, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and agent.poll() is None:
        with open(log_path) as f:
            if "] sampling " in f.read():
                break
        time.sleep(0.2)
    return agent


def stored_windows(test, store, log_text):
    """The windows emberd wrote, as tools/store_dump reads them back."""
    proc = subprocess.run([STORE_DUMP, store], capture_output=True, text=True, timeout=30)
    test.assertEqual(proc.returncode, 0, proc.stderr + "\n" + log_text)
    return json.loads(proc.stdout)["windows"]


class WindowsUnderLoad(unittest.TestCase):
    def test_500_spinning_threads_at_999_hz(self):
        tmp = it.scratch_dir(self)
        config, store = store_config(tmp, f"window_seconds = {WINDOW_S}")
        # In the test's session, as emberd: with autogroup scheduling, a
        # process in a session of its own would share the CPU with emberd as
        # one group, not as 500 threads.
        spinners = subprocess.Popen([it.workload("spinners"), "500", "60"],
                                    stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.addCleanup(lambda: (spinners.kill(), spinners.wait()))
        self.assertEqual(spinners.stdout.readline().strip(), b"ready")
        log_path = os.path.join(tmp, "emberd.log")
        agent = start_sampling(self, config, log_path)
        time.sleep(6 * WINDOW_S + 1)
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=60)
        with open(log_path) as f:
            log_text = f.read()
        self.assertEqual(agent.returncode, 0, log_text)
        # The worker at SCHED_FIFO 1, the ring's reader one level above it.
        self.assertIn("reader thread priority: real-time (SCHED_FIFO 1; the ring's reader 2)",
                      log_text)

        spinners.kill()  # the reading below runs at normal priority
        spinners.wait()
        windows = stored_windows(self, store, log_text)
        lengths = [(w["end_ns"] - w["start_ns"]) / 1e9 for w in windows]
        judged = lengths[:-1]  # the last one ends at SIGTERM
        self.assertGreaterEqual(len(judged), 4, f"windows: {lengths}\n{log_text}")
        for length in judged:
            self.assertLessEqual(abs(length - WINDOW_S), 0.1 * WINDOW_S,
                                 f"a window of {length:.3f} s, not {WINDOW_S} s: {lengths}\n"
                                 + log_text)

        done = DONE.search(log_text)
        self.assertTrue(done, "no losses by cause in the last log line\n" + log_text)
        samples, ring_full, malformed, events, queue_full, unnamed = (int(g) for g in done.groups())
        lost_in_windows = sum(w["lost_samples"] for w in windows)
        self.assertEqual(lost_in_windows, ring_full + queue_full + unnamed, log_text)
        print(f"\nunder load: windows {', '.join(f'{l:.3f}' for l in lengths)} s; "
              f"{samples} samples, lost: {ring_full} ring buffer full, {queue_full} queue full, "
              f"{unnamed} unnamed at stop, {malformed} malformed, {events} process events")

    def test_a_window_closes_early_at_its_memory_cap(self):
        tmp = it.scratch_dir(self)
        config, store = store_config(
            tmp, 'log_level = "debug"\nwindow_seconds = 60\nmax_window_mb = 1')
        log_path = os.path.join(tmp, "emberd.log")
        agent = start_sampling(self, config, log_path)
        # Each start-up of a Python brings new stacks: the cap is reached
        # every second or two.
        churns = [subprocess.Popen([CHURN, "300", "/bin/true"], stdout=subprocess.DEVNULL,
                                   stdin=subprocess.DEVNULL),
                  subprocess.Popen([CHURN, "20", "/usr/bin/python3", "-c", "pass"],
                                   stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)]
        for churn in churns:
            self.addCleanup(lambda c=churn: c.poll() is None and (c.kill(), c.wait()))
        time.sleep(10)
        for churn in churns:
            churn.terminate()
            churn.wait(timeout=30)
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=60)
        with open(log_path) as f:
            log_text = f.read()
        self.assertEqual(agent.returncode, 0, log_text)

        early = [float(x) for x in EARLY.findall(log_text)]
        self.assertGreaterEqual(len(early), 2, "fewer than two early closes in 10 s of churn\n"
                                + log_text[-4000:])
        for mib in early:
            # The cap, past by at most the last chunk mapped.
            self.assertLessEqual(mib, 2.0, f"a window closed at {mib} MiB, cap 1 MiB")

        windows = stored_windows(self, store, log_text)
        spans = [(w["start_ns"], w["end_ns"]) for w in windows]
        self.assertEqual(len(windows), len(early) + 1, f"windows {spans}, early closes {early}")
        for before, after in zip(spans, spans[1:]):
            self.assertEqual(after[0], before[1], f"windows do not tile the recording: {spans}")
        done = DONE.search(log_text)
        self.assertTrue(done, "no losses by cause in the last log line\n" + log_text[-4000:])
        samples, ring_full, _, _, queue_full, unnamed = (int(g) for g in done.groups())
        stored = sum(p["samples"] for w in windows for p in w["processes"])
        self.assertEqual(stored, samples - queue_full - unnamed,
                         f"{stored} samples in the store, {samples} taken\n" + log_text[-4000:])
        print(f"\nmax_window_mb = 1: {len(windows)} windows of "
              f"{', '.join(f'{(e - s) / 1e9:.2f}' for s, e in spans)} s, early closes at "
              f"{', '.join(f'{m:.1f}' for m in early)} MiB; {stored} samples stored")


if __name__ == "__main__":
    it.main()
