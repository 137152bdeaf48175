"""ember's pprof file read back by `go tool pprof -top` (the Go toolchain's
own pprof reader, offline): the hot functions, their flat and cumulative
values and the total must be what story_profile.json says."""
import json
import os
import re
import subprocess
import unittest

PROFILES = os.environ["EMBER_E2E_PROFILES"]
FIXTURE = os.environ["EMBER_E2E_FIXTURE"]
WORK = os.environ["EMBER_E2E_WORK"]


def go_env():
    env = dict(os.environ)
    env.update(GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local",
               GOCACHE=os.path.join(WORK, "gocache"), GOPATH=os.path.join(WORK, "gopath"),
               HOME=WORK, PPROF_TMPDIR=os.path.join(WORK, "pprof"))
    return env


def pprof(*args):
    result = subprocess.run(["go", "tool", "pprof", *args], env=go_env(), capture_output=True,
                            text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError("go tool pprof %s failed:\n%s" % (" ".join(args), result.stderr))
    return result.stdout


def top_table(text):
    """{function: (flat, cum)} from `-top -raw`-less text output, values as printed."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\s*(\d+)\s+[\d.]+%\s+[\d.]+%\s+(\d+)\s+[\d.]+%\s+(.+?)\s*$", line)
        if m:
            rows[m.group(3)] = (int(m.group(1)), int(m.group(2)))
    return rows


class PprofReadByGo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(FIXTURE) as f:
            cls.fixture = json.load(f)
        cls.path = os.path.join(PROFILES, "story.pb.gz")
        frames = cls.fixture["frames"]
        cls.flat, cls.cum, cls.total = {}, {}, 0
        for s in cls.fixture["samples"]:
            names = [frames[i]["name"] for i in s["stack"]]
            cls.total += s["count"]
            cls.flat[names[-1]] = cls.flat.get(names[-1], 0) + s["count"]
            for name in set(names):
                cls.cum[name] = cls.cum.get(name, 0) + s["count"]

    def test_top_by_sample_count(self):
        out = pprof("-top", "-nodecount=100", "-sample_index=samples", self.path)
        self.assertIn("Type: samples", out)
        m = re.search(r"of (\d+) total", out)
        self.assertIsNotNone(m, out)
        self.assertEqual(int(m.group(1)), self.total, out)
        rows = top_table(out)
        for name, flat in self.flat.items():
            self.assertIn(name, rows, out)
            self.assertEqual(rows[name], (flat, self.cum[name]), name)
        # The hottest function is listed first.
        hottest = max(self.flat, key=self.flat.get)
        first = next(iter(rows))
        self.assertEqual(first, hottest, out)

    def test_cpu_time_from_frequency(self):
        out = pprof("-top", "-unit=ms", self.path)
        self.assertIn("Type: cpu", out)
        period_ms = 1000.0 / self.fixture["frequency_hz"]
        m = re.search(r"of ([\d.]+)ms total", out)
        self.assertIsNotNone(m, out)
        self.assertAlmostEqual(float(m.group(1)), self.total * period_ms, delta=self.total * 0.01)

    def test_labels_select_processes_and_kinds(self):
        def kept(tag):
            out = pprof("-top", "-sample_index=samples", "-tagfocus=" + tag, self.path)
            m = re.search(r"Showing nodes accounting for (\d+), [\d.]+%% of %d total" % self.total,
                          out)
            self.assertIsNotNone(m, out)
            return int(m.group(1))

        python_total = sum(s["count"] for s in self.fixture["samples"] if s["pid"] == 4242)
        self.assertEqual(kept("service=BiggestNumbers"), python_total)
        self.assertEqual(kept("container=web-1"), self.total - python_total)
        kernel = sum(s["count"] for s in self.fixture["samples"]
                     if any(self.fixture["frames"][i]["kind"] == "kernel" for i in s["stack"]))
        self.assertEqual(kept("kind=kernel"), kernel)
        out = pprof("-tags", self.path)
        self.assertIn("worker-1", out)
        self.assertRegex(out, r"pid: Total[^\n]*\n\s+[\d.]+s \(\s*90.91%\): 4242\n")

    def test_files_and_lines(self):
        out = pprof("-list=list_remove", "-sample_index=samples", self.path)
        # No source on this machine, but pprof names the file and the line.
        self.assertIn("listobject.c", out)


if __name__ == "__main__":
    unittest.main()
