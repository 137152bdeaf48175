"""CPython frames merged with native frames, with real BPF, on every
supported interpreter (pyenv 2.7, 3.6-3.13 and Debian's static
/usr/bin/python3.11): a pure-Python workload with a known call tree
(workload.py) under `ember record` with the CPython plugin enabled, one
version after another; and two named threads burning CPU in different
functions (threads.py)."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import ember_it as it  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "workload.py")
THREADS = os.path.join(HERE, "threads.py")
DEEP = os.path.join(HERE, "deep.py")
PYENV_ROOT = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
# Each version: 4 s at 999 Hz, about 4,000 samples of one busy thread.
DURATION = 4
FREQUENCY = 999
EVAL_FUNCTIONS = ("_PyEval_EvalFrameDefault", "PyEval_EvalFrameEx")
PYENV_MINORS = ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13")


def pyenv_python(minor):
    versions = os.path.join(PYENV_ROOT, "versions")
    found = sorted(v for v in (os.listdir(versions) if os.path.isdir(versions) else [])
                   if v.startswith(minor + "."))
    return os.path.join(versions, found[-1], "bin", "python" + minor) if found else None


def interpreters():
    """(label, path or None) of every interpreter the plugin supports."""
    out = [("pyenv " + minor, pyenv_python(minor)) for minor in PYENV_MINORS]
    out.append(("debian 3.11", "/usr/bin/python3.11"))
    only = os.environ.get("EMBER_IT_PYTHONS")  # e.g. "3.9,3.10" while iterating
    if only:
        out = [(label, path) for label, path in out if label.split()[-1] in only.split(",")]
    return out


def marker_lines(path):
    lines = {}
    with open(path) as f:
        for number, text in enumerate(f, 1):
            m = re.search(r"# (line-[\w-]+)", text)
            if m:
                lines[m.group(1)] = number
    return lines


def python_frames(profile, name):
    return [fr for fr, kind in zip(profile.frames, profile.kinds)
            if fr["name"] == name and kind == "python"]


class CpythonTest(unittest.TestCase):
    def config(self, extra=""):
        config = os.path.join(it.scratch_dir(self), "cpython.toml")
        with open(config, "w") as f:
            f.write(f'[agent]\nplugin_dirs = ["{it.PLUGIN_DIR}"]\n'
                    '[runtime.native]\nenabled = true\n'
                    '[runtime.cpython]\nenabled = true\nrequired = true\n' + extra)
        return config

    def require(self, python):
        if not python or not os.path.exists(python):
            reason = f"{python or 'the interpreter'} is not installed"
            if os.environ.get("CI"):
                self.fail(reason)
            self.skipTest(reason)

    def test_every_version(self):
        config = self.config()
        for label, python in interpreters():
            with self.subTest(label):
                self.require(python)
                self.check_workload(label, python, config)

    def check_workload(self, label, python, config):
        output = os.path.join(it.scratch_dir(self), label.replace(" ", "-") + ".json")
        proc = it.start(self, [python, WORKLOAD, "30"])
        res = it.record(self, output, pids=[proc.pid], duration=DURATION, frequency=FREQUENCY,
                        config=config)
        lines = proc.stop()
        truth = next((ln for ln in lines if ln.startswith("truth ")), None)
        self.assertIsNotNone(truth, f"{label}: the workload printed no truth: {lines}")
        truth_a = float(re.search(r"hot_a=([\d.]+)", truth).group(1))

        profile = it.Speedscope(output)
        stacks = [s for p in profile.for_pid(proc.pid) for s in p.stacks]
        total = sum(w for _, _, w in stacks)
        self.assertGreater(total, 500, res.describe())
        detail = f"\n{label}:\n" + it.summarize(stacks)

        python_samples = sum(w for _, kinds, w in stacks if "python" in kinds)
        self.assertGreaterEqual(it.share(python_samples, total), 98.0,
                                "samples without Python frames:" + detail + res.describe())
        a = sum(w for names, _, w in stacks
                if it.contains_run(names, ["main", "work", "hot_a"]))
        b = sum(w for names, _, w in stacks
                if it.contains_run(names, ["main", "work", "hot_b"]))
        self.assertGreater(a + b, 0.95 * total, "stacks without main → work → hot_*:" + detail)
        share_a = it.share(a, a + b)
        self.assertLess(abs(share_a - truth_a), 3.0,
                        f"hot_a: {share_a:.1f} % sampled, {truth_a:.1f} % measured" + detail)

        print(f"\n{label}: {total} samples, {it.share(python_samples, total):.2f} % with "
              f"Python frames, hot_a {share_a:.1f} % sampled vs {truth_a:.1f} % measured",
              file=sys.stderr)
        if os.environ.get("EMBER_IT_VERBOSE"):
            print(it.summarize(stacks, 4), file=sys.stderr)
        with_eval = sum(w for names, _, w in stacks if set(EVAL_FUNCTIONS) & set(names))
        self.assertLess(it.share(with_eval, total), 1.0,
                        "the eval loop was not replaced by Python frames:" + detail)
        # Python frames sit where the eval frames were: below them only native
        # frames of the interpreter (the leaf), above them the process' roots.
        for names, kinds, w in stacks:
            if "python" in kinds:
                first = kinds.index("python")
                last = len(kinds) - 1 - kinds[::-1].index("python")
                self.assertTrue(all(k == "python" for k in kinds[first:last + 1]),
                                f"interleaved stack: {names}")

        marks = marker_lines(WORKLOAD)
        expect = {"hot_a": marks["line-hot_a"], "hot_b": marks["line-hot_b"],
                  "work": (marks["line-work-a"], marks["line-work-b"]),
                  "main": marks["line-main"]}
        for name, line in expect.items():
            found = python_frames(profile, name)
            self.assertTrue(found, f"{label}: no Python frame {name}")
            for fr in found:
                self.assertEqual(os.path.realpath(fr.get("file", "")), WORKLOAD, fr)
            got = {fr.get("line") for fr in found}
            want = set(line) if isinstance(line, tuple) else {line}
            self.assertTrue(got & want, f"{label}: {name}: lines {got}, expected {want}")
            if name.startswith("hot_"):
                # A hot function's samples fall on its own lines: def (the
                # RESUME at entry), `total = 0`, `for`, the body, `return`.
                self.assertTrue(got <= set(range(line - 3, line + 2)),
                                f"{label}: {name}: lines {got}")

    def test_depth_bound_is_marked(self):
        """A stack deeper than max_frames keeps its leaf-most frames and says
        [truncated] at its root, for both frame models (PyFrameObject chain,
        _PyInterpreterFrame chain)."""
        for minor, max_frames in (("3.10", 16), ("3.12", None)):
            with self.subTest(minor):
                python = pyenv_python(minor)
                self.require(python)
                bound = max_frames or 128
                extra = f"max_frames = {max_frames}\n" if max_frames else ""
                output = os.path.join(it.scratch_dir(self), "deep.json")
                proc = it.start(self, [python, DEEP, "30"])
                res = it.record(self, output, pids=[proc.pid], duration=2,
                                frequency=FREQUENCY, config=self.config(extra))
                proc.stop()
                stacks = [s for p in it.Speedscope(output).for_pid(proc.pid) for s in p.stacks]
                leaf = [(names, kinds, w) for names, kinds, w in stacks if "leaf" in names]
                self.assertGreater(sum(w for _, _, w in leaf), 100, res.describe())
                for names, kinds, w in leaf:
                    self.assertEqual(names[0], "[truncated]", f"{minor}: {names}")
                    self.assertEqual(kinds.count("python"), bound, f"{minor}: {names}")
                    python_names = [n for n, k in zip(names, kinds) if k == "python"]
                    self.assertEqual(python_names, ["descend"] * (bound - 1) + ["leaf"])

    def test_unsupported_version_is_reported_per_process(self):
        """A CPython the walker has no table for (a copy of 3.9's libpython
        whose version string says 3.5) is named once per process, with its
        pid and version, and profiled as native code."""
        python = pyenv_python("3.9")
        self.require(python)
        prefix = os.path.dirname(os.path.dirname(python))
        version = os.path.basename(prefix)  # "3.9.18"
        with open(os.path.join(prefix, "lib", "libpython3.9.so.1.0"), "rb") as f:
            image = f.read()
        fake = "3.5" + version[3:]
        self.assertEqual(len(fake), len(version))
        patched = image.replace(version.encode() + b"\0", fake.encode() + b"\0")
        self.assertNotEqual(patched, image, "no version string to patch")
        lib = it.scratch_dir(self)
        with open(os.path.join(lib, "libpython3.9.so.1.0"), "wb") as f:
            f.write(patched)
        env = dict(os.environ, LD_LIBRARY_PATH=lib)
        procs = [it.start(self, [python, WORKLOAD, "30"], env=env) for _ in range(2)]
        output = os.path.join(it.scratch_dir(self), "unsupported.json")
        res = it.record(self, output, pids=[p.pid for p in procs], duration=2,
                        frequency=FREQUENCY, config=self.config())
        for proc in procs:
            proc.stop()
            reports = [ln for ln in res.stderr.splitlines()
                       if f"pid {proc.pid}:" in ln and f"CPython {fake}" in ln]
            self.assertEqual(len(reports), 1, res.describe())
            self.assertIn("profiled as native", reports[0])
            stacks = [s for p in it.Speedscope(output).for_pid(proc.pid) for s in p.stacks]
            self.assertGreater(sum(w for _, _, w in stacks), 100, res.describe())
            self.assertFalse([names for names, kinds, _ in stacks if "python" in kinds])

    def test_threads(self):
        """Each thread's samples carry its own function, under its own tid and name."""
        python = pyenv_python("3.9")
        self.require(python)
        output = os.path.join(it.scratch_dir(self), "threads.json")
        proc = it.start(self, [python, THREADS, "30"])
        tids = {}
        res = it.record(self, output, pids=[proc.pid], duration=3, frequency=FREQUENCY,
                        config=self.config())
        lines = proc.stop()
        for line in lines:
            m = re.match(r"tid (\w+)=(\d+)", line)
            if m:
                tids[m.group(1)] = int(m.group(2))
        self.assertEqual(set(tids), {"left", "right"}, f"workload output: {lines}")
        marks = marker_lines(THREADS)
        profile = it.Speedscope(output)
        by_tid = {p.tid: p for p in profile.for_pid(proc.pid)}
        for name, function, other in (("left", "spin_left", "spin_right"),
                                      ("right", "spin_right", "spin_left")):
            self.assertIn(tids[name], by_tid, f"no profile for thread {name}\n" + res.describe())
            thread = by_tid[tids[name]]
            self.assertEqual(thread.thread, name)
            mine = sum(w for names, _, w in thread.stacks if function in names)
            theirs = sum(w for names, _, w in thread.stacks if other in names)
            self.assertGreater(thread.total, 200, f"{name}: too few samples")
            self.assertGreaterEqual(it.share(mine, thread.total), 95.0,
                                    f"{name}:\n" + it.summarize(thread.stacks))
            self.assertEqual(theirs, 0, f"{name} has {other}:\n" + it.summarize(thread.stacks))
            lines_seen = {fr.get("line") for fr in python_frames(profile, function)}
            self.assertIn(marks["line-" + name], lines_seen)


if __name__ == "__main__":
    it.main()
