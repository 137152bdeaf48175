#!/usr/bin/env python3
"""Acceptance: a stripped binary gets names and lines through debuginfod.

Debian's debuginfod server, on a loopback port with a database of its own,
serves the debug file of inlined_hot (built -O2 -g, its debug info split off
by objcopy --only-keep-debug and the binary stripped). The agent has no local
debug file for it (debug_dirs = []): without debuginfod its frames are
inlined_hot+0x...; with DEBUGINFOD_URLS pointing at the server they are
main -> outer_work -> mix_inlined with file and line, after the fetch, which
runs beside sampling (frames sampled before the file arrives may stay
unnamed, so a share is asked, not every sample).

The same for inlined_dwz, whose debug file dwz compressed as Debian's
-dbgsym packages are (workloads/dwz_debug.sh): it names mix_inlined only in
the alt file it shares with its twin's, linked as a path the host does not
have. The server holds both; the agent fetches the alt file by the build id
the debug file's .gnu_debugaltlink records.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import ember_it as it

DEBUG_ROOT = os.path.join(it.WORKLOADS, "debug")
NAMED = {"main", "outer_work", "mix_inlined"}


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    if not m:
        raise AssertionError(f"{path} has no build id:\n{out}")
    return m.group(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(test, directory, scratch):
    """Debian's debuginfod indexing `directory`; its URL once it serves."""
    binary = shutil.which("debuginfod")
    if not binary:
        raise AssertionError("Debian's debuginfod server is not installed: "
                             "apt-get install debuginfod (scripts/install-deps.sh)")
    port = free_port()
    log_path = os.path.join(scratch, "debuginfod.log")
    log = open(log_path, "w")
    test.addCleanup(log.close)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEBUGINFOD_")}
    server = subprocess.Popen([binary, "-d", os.path.join(scratch, "debuginfod.sqlite"),
                               "-p", str(port), "-F", directory],
                              stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              env=env, cwd=scratch)

    def stop():
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    test.addCleanup(stop)
    return server, f"http://127.0.0.1:{port}", log_path


def wait_indexed(test, server, url, build, log_path, timeout=30.0):
    """Polls the server until its scan has indexed `build`: a fetch before
    that would be a miss (which libdebuginfod caches)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/buildid/{build}/debuginfo", timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)
    with open(log_path) as f:
        test.fail(f"debuginfod did not serve build id {build} within {timeout} s "
                  f"(exit status {server.poll()})\n{f.read()[-3000:]}")


def pid_samples(doc, pid):
    """(frame indices root first, weight) of `pid`'s samples."""
    stacks = []
    for prof in doc["profiles"]:
        if f"(pid {pid})" in prof["name"]:
            stacks += list(zip(prof["samples"], prof["weights"]))
    return stacks


class Debuginfod(unittest.TestCase):
    def record(self, pid, config, env, duration, min_samples):
        out = os.path.join(it.scratch_dir(self), "profile.speedscope.json")
        res = it.record(self, out, pids=[pid], duration=duration, frequency=499, config=config,
                        min_samples=min_samples, prefix=["env", "-u", "DEBUGINFOD_URLS"] + env)
        with open(out) as f:
            doc = json.load(f)
        return doc, res

    def serve_and_start(self, scratch, files, stripped, builds):
        """Debian's debuginfod serving `files` (name: path), the agent's
        config (no local debug file, cache_dir in `scratch`) and `stripped`
        running, once the server has indexed `builds`."""
        served = os.path.join(scratch, "served")
        os.mkdir(served)
        for name, path in files.items():
            shutil.copy(path, os.path.join(served, name))
        server, url, log_path = start_server(self, served, scratch)
        cache_dir = os.path.join(scratch, "cache")
        config = it.config_file(self, "[runtime.native]\nenabled = true\nlines = true\n"
                                f"debug_dirs = []\ncache_dir = \"{cache_dir}\"\n")
        w = it.start(self, [stripped, 60])
        for build in builds:
            wait_indexed(self, server, url, build, log_path)
        return url, config, cache_dir, w

    def named_share(self, doc, pid, binary):
        """(samples main -> outer_work -> mix_inlined [inlined] with files and
        lines, all samples); fails on a named sample with wrong frames."""
        stacks = pid_samples(doc, pid)
        frames = doc["shared"]["frames"]
        inlined = set(doc["ember"]["inlined_frames"])
        total = sum(weight for _, weight in stacks)
        kinds = doc["ember"]["frame_kinds"]
        good, wrong = 0, []
        for stack, weight in stacks:
            stack = [i for i in stack if kinds[i] != "kernel"]  # a syscall or interrupt's
            names = [frames[i]["name"] for i in stack]
            if not NAMED & set(names):
                continue  # sampled before the debug file arrived
            if "outer_work" not in names:
                continue  # in main's own loop, between two calls
            last = max(k for k, name in enumerate(names) if name in NAMED)
            if last < len(stack) - 1 and not any(
                    frames[i].get("file", "").endswith("/inlined_hot.c") for i in stack[last + 1:]):
                continue  # in a call out of the program (main's clock_gettime in the vDSO)
            if names[-2:] == ["main", "outer_work"] and all(
                    frames[i].get("file", "").endswith("/inlined_hot.c")
                    and frames[i].get("line", 0) > 0 for i in stack[-2:]):
                continue  # in outer_work's own code, outside the inlined loop
            ok = (names[-3:] == ["main", "outer_work", "mix_inlined"]
                  and stack[-1] in inlined
                  and all(frames[i].get("file", "").endswith("/inlined_hot.c")
                          and frames[i].get("line", 0) > 0 for i in stack[-3:]))
            if ok:
                good += weight
            else:
                wrong.append((" <- ".join(f"{frames[i]['name']} {frames[i].get('file', '')}:"
                                          f"{frames[i].get('line', 0)}"
                                          for i in reversed(stack[-3:])), weight))
        print(f"debuginfod: {binary}: {good} of {total} samples are "
              "main -> outer_work -> mix_inlined [inlined] with files and lines")
        self.assertEqual(wrong, [], "named samples with wrong frames, files or lines")
        return good, total

    def expect_named_through(self, url, config, w, binary):
        """Records `w` with DEBUGINFOD_URLS=`url`, then stops it: most samples
        named, none wrongly, no warning about debuginfod."""
        doc, res = self.record(w.pid, config, [f"DEBUGINFOD_URLS={url}"], duration=2,
                               min_samples=300)
        w.stop()
        good, total = self.named_share(doc, w.pid, binary)
        self.assertGreaterEqual(total, 300, f"too few samples ({total})\n" + res.describe())
        self.assertGreaterEqual(it.share(good, total), 50.0,
                                f"only {good} of {total} samples named through debuginfod\n"
                                + res.describe())
        self.assertNotRegex(res.stderr, r"(?i)warn.*debuginfod",
                            "a warning about debuginfod\n" + res.describe())

    def test_stripped_binary_named_with_lines_through_debuginfod(self):
        scratch = it.scratch_dir(self)
        stripped = it.workload("inlined_hot")
        build = build_id(stripped)
        debug_file = os.path.join(DEBUG_ROOT, ".build-id", build[:2], build[2:] + ".debug")
        self.assertTrue(os.path.exists(debug_file), f"no split debug file {debug_file}")
        url, config, cache_dir, w = self.serve_and_start(
            scratch, {"inlined_hot.debug": debug_file}, stripped, [build])

        # Without debuginfod: nothing names the stripped binary's functions.
        doc, res = self.record(w.pid, config, [], duration=1, min_samples=100)
        stacks = pid_samples(doc, w.pid)
        frames = doc["shared"]["frames"]
        total = sum(weight for _, weight in stacks)
        self.assertGreaterEqual(total, 100, f"too few samples ({total})\n" + res.describe())
        named = sum(weight for stack, weight in stacks
                    if any(frames[i]["name"] in NAMED for i in stack))
        print(f"\ndebuginfod: without it {named} of {total} samples name inlined_hot's functions")
        self.assertEqual(named, 0, "named without debuginfod: the test would prove nothing")

        # With DEBUGINFOD_URLS pointing at the server.
        self.expect_named_through(url, config, w, "inlined_hot")
        self.assertTrue(os.path.exists(os.path.join(cache_dir, "debuginfod", build, "debuginfo")),
                        "the fetched file is not in cache_dir/debuginfod")

    def test_dwz_debug_file_named_through_its_fetched_alt_file(self):
        scratch = it.scratch_dir(self)
        stripped = it.workload("inlined_dwz")
        build = build_id(stripped)
        dwz_dir = os.path.join(it.WORKLOADS, "dwz")
        debug_file = os.path.join(dwz_dir, "debug", ".build-id", build[:2], build[2:] + ".debug")
        alt_file = os.path.join(dwz_dir, "alt.debug")
        alt_build = build_id(alt_file)
        # The path, then the alt file's build id as raw bytes.
        links = subprocess.run(["readelf", "--string-dump=.gnu_debugaltlink", debug_file],
                               capture_output=True, text=True, errors="replace",
                               check=True).stdout
        alt_name = re.search(r"\]\s+(/\S+)", links).group(1)
        self.assertFalse(os.path.exists(alt_name),
                         f"the host has the alt file {alt_name}: libdw would find it itself")
        url, config, cache_dir, w = self.serve_and_start(
            scratch, {"inlined_dwz.debug": debug_file, "inlined_dwz.dwz": alt_file}, stripped,
            [build, alt_build])
        self.expect_named_through(url, config, w, "inlined_dwz")
        for fetched in (build, alt_build):
            self.assertTrue(
                os.path.exists(os.path.join(cache_dir, "debuginfod", fetched, "debuginfo")),
                f"build id {fetched} is not in cache_dir/debuginfod")


if __name__ == "__main__":
    it.main()
