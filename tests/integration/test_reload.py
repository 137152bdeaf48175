#!/usr/bin/env python3
"""emberd in the foreground: JSON logs, SIGHUP reloads, SIGTERM (issue 5).

One emberd runs through four configs, 1 s windows, the files sink writing
folded files, profiling a spin workload (`[processes] pids`):
1. native runtime off, files -> A: A's windows hold the workload unnamed.
2. SIGHUP, native on and files -> B: windows now go to B with main;spin_outer;
   spin_leaf named, A gets no more; the BPF programs are new (a runtime change
   restarts the sampler).
3. SIGHUP with a broken file: the error is logged with file and line, emberd
   keeps running on config 2 (B keeps growing). Then a valid file whose files
   sink cannot start (its directory under a regular file): logged, and the
   sink keeps writing to B.
4. SIGHUP with the files sink disabled: B stops growing; the BPF programs are
   the same ones (a sink change keeps the sampler).
The store sink, in every config unchanged, keeps its file open throughout.
Then SIGTERM: exit status 0. Every stderr line must be one JSON object.
"""
import json
import os
import signal
import subprocess
import time
import unittest

import ember_it as it

EMBERD = os.path.join(os.path.dirname(it.EMBER), "emberd")


def config(pid, directory, native, files=True, store=None):
    return f"""
[agent]
plugin_dirs = ["{it.PLUGIN_DIR}"]
window_seconds = 1
log_format = "json"
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

    def test_sighup_reloads_runtimes_and_sinks_and_keeps_a_good_config(self):
        w = it.start(self, [it.copy_workload(self, "spin", "it_reload"), 90])
        self.write(config(w.pid, self.dir_a, native=False, store=self.store))
        log = open(self.log_path, "w")
        self.emberd = subprocess.Popen([EMBERD, "--config", self.path], stdout=subprocess.DEVNULL,
                                       stderr=log, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        log.close()
        self.addCleanup(lambda: self.emberd.poll() is None and self.emberd.kill())

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
        self.assertTrue(progs_2 and not progs_2 & progs_1,
                        f"BPF programs not replaced by the runtime change: {progs_1} -> {progs_2}")
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

        # 4. Files sink disabled: nothing more is written; the sampler stays.
        self.write(config(w.pid, self.dir_b, native=True, files=False, store=self.store))
        self.hup_and_wait("config reloaded")
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


if __name__ == "__main__":
    it.main()
