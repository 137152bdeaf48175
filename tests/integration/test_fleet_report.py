#!/usr/bin/env python3
"""`ember report --server --diff` prints the fleet server's diff answer: its
rows, numbers, order and the frames' kinds as the server stores them (the
UI's), for stacks mixing Python, native and kernel frames.

bench/fleet's loader writes two synthetic hosts' windows straight into
ClickHouse as the server stores them (a Python process's functions are
`python`, libc `native`, the kernel's `kernel`, in the same stacks; the
Python frames' files do not end in .py, so a pprof reader cannot tell them
from their kind alone). The report's diff of two ranges, in the runtime and
the native view, fleet-wide and for one host, has every row of the API's
diff answer for the same ranges, formatted as `ember report --diff` prints
a row, in its order, with its kind; the Python functions are `python`.
(Through a pprof export, as before, they read `native`.)

No BPF: runs unprivileged. Truth: the loader's frames (their kinds in
ClickHouse) and the server's diff answer.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

from fleet_it import Servers, StartedOnce, api_get, clickhouse, require

EMBER = os.environ.get("EMBER_BIN", "")
LOADER = os.environ.get("EMBER_IT_FLEET_LOAD", "")
CLICKHOUSE_SCRIPT = os.environ.get("EMBER_IT_CLICKHOUSE_SCRIPT", "")
TOKEN = "it-report-token"
DATABASE = "report_it"
# Four windows an hour apart per host, off the minute: the first two are the
# baseline, the last two the second range.
START = int(time.time()) // 3600 * 3600 - 10 * 3600 + 437
HOUR = 3600
ROW = re.compile(r"^ *(-?[\d.]+)% +(-?[\d.]+)% +([+-][\d.]+) +([+-][\d.]+)  (\S+) +(.+)$")


def report_row(f):
    """A row of the API's diff answer as `ember report --diff` prints it."""
    label = f["name"] + (f"  ({f['file']})" if f["file"] else "")
    return "%7.2f%% %7.2f%% %+8.2f %+8.2f  %-7s %s" % (
        100 * f["before"], 100 * f["after"], 100 * (f["after"] - f["before"]),
        100 * (f["self_after"] - f["self_before"]), f["kind"], label)


class FleetReport(StartedOnce):
    TMP_PREFIX = "ember-it-report-"

    @classmethod
    def prepare(cls):
        cls.ch_dir = os.path.join(cls.tmp, "clickhouse")

    @classmethod
    def start_all(cls):
        require(EMBER_BIN=EMBER, EMBER_IT_FLEET_LOAD=LOADER,
                EMBER_IT_CLICKHOUSE_SCRIPT=CLICKHOUSE_SCRIPT)
        start = subprocess.run([CLICKHOUSE_SCRIPT, "start", cls.ch_dir], capture_output=True,
                               text=True, timeout=600)
        if start.returncode != 0:
            raise AssertionError("ClickHouse did not start (scripts/clickhouse.sh):\n"
                                 + start.stderr)
        cls.node = start.stdout.strip().splitlines()[-1]
        cls.tokens = os.path.join(cls.tmp, "tokens")
        with open(cls.tokens, "w") as f:
            f.write(TOKEN + "\n")
        cls.servers = Servers(EMBER, cls.tokens, cls.tmp)
        cls.url = cls.servers.start(DATABASE, ["--clickhouse", cls.node])
        deadline = time.monotonic() + 20
        while api_get(f"{cls.url}api/v1/summary", TOKEN)[0] != 200:  # the tables made
            if time.monotonic() > deadline:
                raise AssertionError("ember server did not serve within 20 s:\n"
                                     + cls.servers.logs())
            time.sleep(0.1)
        load = subprocess.run(
            [LOADER, "--clickhouse", cls.node, "--database", DATABASE, "--hosts", "2",
             "--hours", "4", "--every-minutes", "60", "--processes", "5", "--functions", "40",
             "--stacks", "60", "--busy-cpus", "0.5", "--frequency", "19",
             "--start-s", str(START)], capture_output=True, text=True, timeout=120)
        if load.returncode != 0:
            raise AssertionError(f"the loader failed ({load.returncode}):\n{load.stderr}")
        print(f"loaded: {load.stdout.strip()}", file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        if cls.servers:
            cls.servers.stop()
        subprocess.run([CLICKHOUSE_SCRIPT, "stop", cls.ch_dir], timeout=60)
        shutil.rmtree(cls.tmp, True)

    def test_1_stacks_mix_python_native_and_kernel_frames(self):
        """The premise: stored stacks hold Python frames beside native and
        kernel ones, and no Python frame's file tells its kind."""
        kinds = dict(line.split("\t") for line in clickhouse(
            self.node, f"SELECT toString(frame_id), kind FROM {DATABASE}.frames "
                       "FORMAT TSV").splitlines())
        files = clickhouse(self.node, f"SELECT DISTINCT file FROM {DATABASE}.frames "
                                      "WHERE kind = 'python' FORMAT TSV").splitlines()
        self.assertTrue(files and not any(f.endswith(".py") for f in files), files)
        mixed = 0
        for line in clickhouse(self.node, f"SELECT frame_ids FROM {DATABASE}.stacks "
                                          "FORMAT TSV").splitlines():
            stack = {kinds[str(i)] for i in json.loads(line)}
            mixed += {"python", "native", "kernel"} <= stack
        self.assertGreater(mixed, 0, "no stack mixes python, native and kernel frames")

    def test_2_report_diff_prints_the_servers_diff_rows_and_kinds(self):
        before = (START - 60, START + HOUR + 60)
        after = (START + 2 * HOUR - 60, START + 3 * HOUR + 60)
        python_rows = 0
        for extra, query in (([], ""), (["--native"], "&view=native"),
                             (["--host", "host-01"], "&host=host-01")):
            with self.subTest(extra=extra):
                done = subprocess.run(
                    [EMBER, "report", "--server", self.url, "--token-file", self.tokens,
                     "--from", str(before[0]), "--to", str(before[1]),
                     "--diff", f"{after[0]}..{after[1]}", "--limit", "0"] + extra,
                    capture_output=True, text=True, timeout=120)
                self.assertEqual(done.returncode, 0, done.stderr)
                rows = [line for line in done.stdout.splitlines() if ROW.match(line)]
                status, body = api_get(
                    f"{self.url}api/v1/diff?base_from={before[0]}&base_to={before[1]}"
                    f"&from={after[0]}&to={after[1]}&limit=100000&max_nodes=1{query}", TOKEN)
                self.assertEqual(status, 200, body[:300])
                answer = json.loads(body)
                expected = [report_row(f) for f in answer["functions"]]
                self.assertGreater(len(expected), 20)
                self.assertEqual(rows, expected, done.stdout[:1500])
                self.assertIn(f"before: {answer['before']['samples']} samples", done.stdout)
                self.assertIn(f"after:  {answer['after']['samples']} samples", done.stdout)
                kinds = {ROW.match(line).group(5) for line in rows}
                self.assertLessEqual({"python", "native", "kernel"}, kinds, done.stdout[:1500])
                for line in rows:
                    name = ROW.match(line).group(6)
                    if name.startswith("handle_request_"):
                        python_rows += 1
                        self.assertEqual(ROW.match(line).group(5), "python", line)
        self.assertGreater(python_rows, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
