#!/usr/bin/env python3
"""emberd in the foreground: JSON logs, SIGHUP reloads, SIGTERM (issue 5).

One emberd runs through four configs, 1 s windows, the files sink writing
folded files, profiling a spin workload (`[processes] pids`):
1. native runtime off, files -> A: A's windows hold the workload unnamed.
2. SIGHUP, native on and files -> B: windows now go to B with main;spin_outer;
   spin_leaf named, A gets no more; the BPF programs are the same ones (a
   runtime is swapped in place, the sampler runs on).
3. SIGHUP with a broken file: the error is logged with file and line, emberd
   keeps running on config 2 (B keeps growing). Then a valid file whose files
   sink cannot start (its directory under a regular file): logged, and the
   sink keeps writing to B.
4. SIGHUP with the files sink disabled and [agent] priority "normal": B stops
   growing; the BPF programs are the same ones (a sink change keeps the
   sampler); no thread keeps SCHED_FIFO or nice -10 (it had both before).
The store sink, in every config unchanged, keeps its file open throughout.
Then SIGTERM: exit status 0. Every stderr line must be one JSON object.

A second emberd samples two processes at 99 Hz, a Python process burning in
`reload_burn` and a spin workload keeping the other CPU busy; SIGHUPs turn
runtime.cpython on (files -> B) and off again (files -> C). The sampler's BPF
programs stay the same ones throughout, the CPython walker's program joins
them and leaves. No sample is lost (the ring buffer's count and every
window's), every sample the sampler submitted is in a window, and the sampler is
never restarted: its perf event links (BPF link ids, which a restart makes
anew) are the same ones throughout. The longest pause in the sample stream
(from the samples' own timestamps, logged per window) is printed, not
asserted: on a loaded host the profiled processes wait for a CPU longer.
Python frames are in B only.
"""
import json
import os
import re
import signal
import time
import unittest

import ember_it as it

PYTHON = "/usr/bin/python3.11"  # Debian's, always installed (scripts/install-deps.sh)
FREQUENCY = 99
BURNER = """
import sys


def reload_burn():
    total = 0
    for i in range(200000):
        total += i * i
    return total


print("ready", flush=True)
while True:
    reload_burn()
"""


def config(pid, directory, native, files=True, store=None, priority="realtime"):
    return f"""
[agent]
plugin_dirs = ["{it.PLUGIN_DIR}"]
window_seconds = 1
log_format = "json"
priority = "{priority}"
[processes]
pids = [{pid}]
[runtime.native]
enabled = {str(native).lower()}
[sink.files]
enabled = {str(files).lower()}
directory = "{directory}"
formats = ["folded"]
[sink.store]
enabled = true
path = "{store}"
"""


def bpf_prog_ids(pid):
    """Ids of the BPF programs the process holds fds of."""
    ids = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def bpf_link_ids(pid, link_type):
    """Ids of the BPF links of `link_type` (perf: the sampler's perf events)
    the process holds fds of."""
    ids = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        if info.get("link_type", "").strip() == link_type and "link_id" in info:
            ids.add(int(info["link_id"]))
    return ids


def thread_scheduling(pid):
    """{thread id: (policy, nice)} of the process' threads (policy 1: SCHED_FIFO)."""
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        threads[int(tid)] = (int(fields[38]), int(fields[16]))
    return threads


def open_fds(pid, path):
    """The process' fds open on `path` (a sink kept open keeps them)."""
    fds = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == path:
                fds.add(int(fd))
        except OSError:
            pass
    return fds


def folded_files(directory):
    try:
        return sorted(os.path.join(directory, n) for n in os.listdir(directory)
                      if n.endswith(".folded"))
    except FileNotFoundError:
        return []


def read_all(paths):
    text = ""
    for p in paths:
        with open(p) as f:
            text += f.read()
    return text


def cpython_config(directory, cpython, store, pids):
    # Only the test's processes: what it checks is that a reload loses none of
    # their samples, and a neighbour starting hundreds of processes (a build)
    # would otherwise keep the agent busy enough to fill the ring buffer.
    return f"""
[agent]
plugin_dirs = ["{it.PLUGIN_DIR}"]
window_seconds = 1
log_format = "json"
log_level = "debug"
[processes]
pids = [{", ".join(str(pid) for pid in pids)}]
[sampler]
frequency_hz = {FREQUENCY}
[runtime.native]
enabled = true
[runtime.cpython]
enabled = {str(cpython).lower()}
[sink.files]
enabled = true
directory = "{directory}"
formats = ["folded"]
[sink.store]
enabled = true
path = "{store}"
"""


WINDOW_CLOSED = re.compile(r"window closed: (\d+) samples, .* longest gap between samples "
                           r"([\d.]+) ms")
DONE = re.compile(r"done: (\d+) samples, (\d+) lost")


class Reload(unittest.TestCase):
    def setUp(self):
        self.tmp = it.scratch_dir(self)
        self.path = os.path.join(self.tmp, "ember.toml")
        self.log_path = os.path.join(self.tmp, "emberd.log")
        self.dir_a = os.path.join(self.tmp, "A")
        self.dir_b = os.path.join(self.tmp, "B")
        self.store = os.path.join(self.tmp, "store", "ember.db")

    def write(self, text):
        with open(self.path + ".new", "w") as f:
            f.write(text)
        os.replace(self.path + ".new", self.path)

    def log(self):
        with open(self.log_path) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"emberd log line is not JSON: {line!r}")
        return records

    def wait_for(self, what, check, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.emberd.poll() is not None:
                raise AssertionError(f"emberd exited ({self.emberd.returncode}) waiting for "
                                     f"{what}\n{self.dump()}")
            value = check()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"no {what} within {timeout} s\n{self.dump()}")

    def dump(self):
        try:
            with open(self.log_path) as f:
                return "--- emberd log ---\n" + f.read()[-5000:]
        except OSError:
            return ""

    def messages(self, fragment):
        return [r for r in self.log() if fragment in r.get("message", "")]

    def hup_and_wait(self, fragment):
        before = len(self.messages(fragment))
        os.kill(self.emberd.pid, signal.SIGHUP)
        return self.wait_for(f"log message {fragment!r}",
                             lambda: len(self.messages(fragment)) > before and
                             self.messages(fragment)[-1])

    def start_emberd(self):
        self.emberd = it.start_emberd(self, self.path, self.log_path, start_new_session=True)

    def test_sighup_reloads_runtimes_and_sinks_and_keeps_a_good_config(self):
        w = it.start(self, [it.copy_workload(self, "spin", "it_reload"), 90])
        self.write(config(w.pid, self.dir_a, native=False, store=self.store))
        self.start_emberd()

        # 1. Unnamed frames into A.
        self.wait_for("a window with it_reload in A",
                      lambda: "it_reload" in read_all(folded_files(self.dir_a)))
        self.assertNotIn("spin_leaf", read_all(folded_files(self.dir_a)),
                         "frames named with the native runtime disabled")
        progs_1 = bpf_prog_ids(self.emberd.pid)
        store_fds = open_fds(self.emberd.pid, self.store)
        self.assertTrue(store_fds, f"emberd has no fd on its store {self.store}")
        self.assertTrue(progs_1, "emberd holds no BPF programs")

        # 2. Native on, files -> B.
        self.write(config(w.pid, self.dir_b, native=True, store=self.store))
        self.hup_and_wait("config reloaded")
        self.wait_for("named frames in B",
                      lambda: "main;spin_outer;spin_leaf" in read_all(folded_files(self.dir_b)))
        files_a = folded_files(self.dir_a)
        progs_2 = bpf_prog_ids(self.emberd.pid)
        self.assertEqual(progs_2, progs_1,
                         "the sampler's BPF programs were replaced by a runtime change")
        self.assertEqual(open_fds(self.emberd.pid, self.store), store_fds,
                         "the unchanged store sink was reopened by the reload")

        # 3. A broken config is reported and changes nothing.
        with open(self.path, "a") as f:
            f.write("[sink.files\n")
        error = self.hup_and_wait("config reload failed")
        self.assertIn(f"{self.path}:", error["message"])
        self.assertEqual(error["level"], "error")
        self.assertEqual(error["component"], "agent")
        grown = len(folded_files(self.dir_b))
        self.wait_for("B still growing after the broken reload",
                      lambda: len(folded_files(self.dir_b)) >= grown + 2)
        self.assertEqual(folded_files(self.dir_a), files_a, "windows went to A after the switch")

        not_a_dir = os.path.join(self.tmp, "plain-file")
        open(not_a_dir, "w").close()
        self.write(config(w.pid, os.path.join(not_a_dir, "C"), native=True, store=self.store))
        self.hup_and_wait("keeps its previous settings")
        grown = len(folded_files(self.dir_b))
        self.wait_for("B still growing after a sink that cannot start",
                      lambda: len(folded_files(self.dir_b)) >= grown + 2)

        # The default priority: the reader real-time, the sinks' threads nice -10.
        scheduling = thread_scheduling(self.emberd.pid)
        self.assertIn(1, [policy for policy, _ in scheduling.values()],
                      f"no SCHED_FIFO thread at priority realtime: {scheduling}")
        self.assertIn(-10, [nice for _, nice in scheduling.values()],
                      f"no sink thread at nice -10: {scheduling}")

        # 4. Files sink disabled: nothing more is written; the sampler stays.
        # And priority "normal": the reader and the sink left run as any thread.
        self.write(config(w.pid, self.dir_b, native=True, files=False, store=self.store,
                          priority="normal"))
        self.hup_and_wait("config reloaded")
        scheduling = thread_scheduling(self.emberd.pid)
        self.assertEqual({(0, 0)}, set(scheduling.values()),
                         f"threads kept their priority after a reload to normal: {scheduling}")
        files_b = folded_files(self.dir_b)
        self.assertEqual(bpf_prog_ids(self.emberd.pid), progs_2,
                         "a sink-only change restarted the sampler")
        self.assertEqual(open_fds(self.emberd.pid, self.store), store_fds,
                         "the unchanged store sink was reopened by the reload")
        time.sleep(2.5)  # two more windows close, to no sink
        self.assertEqual(folded_files(self.dir_b), files_b, "windows written after the sink went")

        os.kill(self.emberd.pid, signal.SIGTERM)
        self.assertEqual(self.emberd.wait(timeout=20), 0, self.dump())
        records = self.log()
        self.assertTrue(all({"time", "level", "component", "message"} <= set(r) for r in records))
        self.assertTrue(any("done:" in r["message"] for r in records), self.dump())
        print(f"\nreload: A {len(files_a)} files, B {len(files_b)} files, "
              f"programs {sorted(progs_1)} -> {sorted(progs_2)}")

    def test_sighup_toggles_cpython_without_losing_samples(self):
        if not os.path.exists(PYTHON):
            self.fail(f"{PYTHON} is not installed (scripts/install-deps.sh installs it)")
        script = os.path.join(self.tmp, "reload_burner.py")
        with open(script, "w") as f:
            f.write(BURNER)
        py = it.start(self, [PYTHON, script])
        spin = it.start(self, [it.copy_workload(self, "spin", "it_reload_spin"), 90])
        pids = (py.pid, spin.pid)
        dir_c = os.path.join(self.tmp, "C")
        self.write(cpython_config(self.dir_a, cpython=False, store=self.store, pids=pids))
        self.start_emberd()

        def python_windows(directory):
            return [p for p in folded_files(directory)
                    if any(frames[0] == "python3.11" for frames, _ in it.parse_folded(p))]

        def burns(directory):
            return [frames for p in folded_files(directory) for frames, _ in it.parse_folded(p)
                    if "reload_burn" in frames]

        self.wait_for("2 windows of the Python process in A",
                      lambda: len(python_windows(self.dir_a)) >= 2)
        progs_off = bpf_prog_ids(self.emberd.pid)
        sampler_links = bpf_link_ids(self.emberd.pid, "perf")
        self.assertTrue(sampler_links, "emberd holds no perf event links")

        self.write(cpython_config(self.dir_b, cpython=True, store=self.store, pids=pids))
        swapped = self.hup_and_wait("config reloaded")
        self.assertIn("cpython swapped in place", swapped["message"])
        self.wait_for("reload_burn in B", lambda: burns(self.dir_b))
        self.wait_for("2 windows in B", lambda: len(folded_files(self.dir_b)) >= 2)
        progs_on = bpf_prog_ids(self.emberd.pid)
        self.assertTrue(progs_off < progs_on and len(progs_on - progs_off) == 1,
                        f"enabling cpython did not just add its program: {progs_off} -> {progs_on}")

        self.write(cpython_config(dir_c, cpython=False, store=self.store, pids=pids))
        self.hup_and_wait("config reloaded")
        self.wait_for("2 windows of the Python process in C",
                      lambda: len(python_windows(dir_c)) >= 2)
        self.assertEqual(bpf_prog_ids(self.emberd.pid), progs_off,
                         "disabling cpython did not just remove its program")
        self.assertEqual(bpf_link_ids(self.emberd.pid, "perf"), sampler_links,
                         "the sampler's perf events were attached anew by a reload")

        os.kill(self.emberd.pid, signal.SIGTERM)
        self.assertEqual(self.emberd.wait(timeout=20), 0, self.dump())
        py.kill()
        self.assertEqual(burns(self.dir_a), [], "Python frames before cpython was enabled")
        self.assertEqual(burns(dir_c), [], "Python frames after cpython was disabled")
        frames = burns(self.dir_b)[0]
        self.assertEqual(frames[0], "python3.11", frames)

        windows = [WINDOW_CLOSED.search(r["message"]) for r in self.log()]
        windows = [(int(m[1]), float(m[2])) for m in windows if m]
        done = [DONE.search(r["message"]) for r in self.log()]
        done = [m for m in done if m]
        self.assertEqual(len(done), 1, self.dump())
        submitted, lost = int(done[0][1]), int(done[0][2])
        in_windows = sum(count for count, _ in windows)
        interval_ms = 1000.0 / FREQUENCY
        longest = max(gap for _, gap in windows)
        print(f"\ncpython toggled: {len(windows)} windows, {in_windows} of {submitted} samples "
              f"in windows, {lost} lost, longest gap {longest:.1f} ms "
              f"({longest / interval_ms:.1f} intervals)")
        self.assertEqual(lost, 0, self.dump())
        self.assertEqual(self.messages("samples lost in this window"), [])
        # emberd stops sampling before it drains the ring buffer a last time.
        self.assertEqual(in_windows, submitted, "samples submitted but in no window")


if __name__ == "__main__":
    it.main()
