"""CPython frames merged with native frames, with real BPF: a pure-Python
workload with a known call tree (workload.py) under `ember record` with the
CPython plugin enabled, on each supported interpreter."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import ember_it as it  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "workload.py")
PYENV_ROOT = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
EVAL = "_PyEval_EvalFrameDefault"


def pyenv_python(minor):
    versions = os.path.join(PYENV_ROOT, "versions")
    found = sorted(v for v in (os.listdir(versions) if os.path.isdir(versions) else [])
                   if v.startswith(minor + "."))
    return os.path.join(versions, found[-1], "bin", "python" + minor) if found else None


def marker_lines():
    lines = {}
    with open(WORKLOAD) as f:
        for number, text in enumerate(f, 1):
            m = re.search(r"# (line-[\w-]+)", text)
            if m:
                lines[m.group(1)] = number
    return lines


class CpythonTest(unittest.TestCase):
    def run_workload(self, python):
        if not python or not os.path.exists(python):
            reason = f"{python or 'the interpreter'} is not installed"
            if os.environ.get("CI"):
                self.fail(reason)
            self.skipTest(reason)
        scratch = it.scratch_dir(self)
        config = os.path.join(scratch, "cpython.toml")
        with open(config, "w") as f:
            f.write(f'[agent]\nplugin_dirs = ["{it.PLUGIN_DIR}"]\n'
                    '[runtime.native]\nenabled = true\n'
                    '[runtime.cpython]\nenabled = true\nrequired = true\n')
        output = os.path.join(scratch, "cpython.speedscope.json")
        proc = it.start(self, [python, WORKLOAD, "30"])
        res = it.record(self, output, pids=[proc.pid], duration=6, frequency=499,
                        config=config)
        lines = proc.stop()
        truth = next((ln for ln in lines if ln.startswith("truth ")), None)
        self.assertIsNotNone(truth, f"the workload printed no truth: {lines}")
        truth_a = float(re.search(r"hot_a=([\d.]+)", truth).group(1))

        profile = it.Speedscope(output)
        stacks = [s for p in profile.for_pid(proc.pid) for s in p.stacks]
        total = sum(w for _, _, w in stacks)
        self.assertGreater(total, 500, res.describe())
        detail = "\n" + it.summarize(stacks)

        python_samples = sum(w for _, kinds, w in stacks if "python" in kinds)
        self.assertGreaterEqual(it.share(python_samples, total), 98.0,
                                "samples without Python frames:" + detail)
        a = sum(w for names, _, w in stacks
                if it.contains_run(names, ["main", "work", "hot_a"]))
        b = sum(w for names, _, w in stacks
                if it.contains_run(names, ["main", "work", "hot_b"]))
        self.assertGreater(a + b, 0.95 * total, "stacks without main → work → hot_*:" + detail)
        share_a = it.share(a, a + b)
        self.assertLess(abs(share_a - truth_a), 3.0,
                        f"hot_a: {share_a:.1f} % sampled, {truth_a:.1f} % measured" + detail)
        self.assertLess(abs(share_a - 70.0), 6.0, f"hot_a: {share_a:.1f} %")

        print(f"\n{python}: {total} samples, {it.share(python_samples, total):.2f} % with "
              f"Python frames, hot_a {share_a:.1f} % sampled vs {truth_a:.1f} % measured",
              file=sys.stderr)
        if os.environ.get("EMBER_IT_VERBOSE"):
            print(it.summarize(stacks, 4), file=sys.stderr)
        with_eval = sum(w for names, _, w in stacks if EVAL in names)
        self.assertLess(it.share(with_eval, total), 1.0,
                        f"{EVAL} was not replaced by Python frames:" + detail)
        # Python frames sit where the eval frame was: below them only native
        # frames of the interpreter (the leaf), above them the process' roots.
        for names, kinds, w in stacks:
            if "python" in kinds:
                first = kinds.index("python")
                last = len(kinds) - 1 - kinds[::-1].index("python")
                self.assertTrue(all(k == "python" for k in kinds[first:last + 1]),
                                f"interleaved stack: {names}")

        frames = profile.frames
        kinds = profile.kinds
        marks = marker_lines()
        expect = {"hot_a": marks["line-hot_a"], "hot_b": marks["line-hot_b"],
                  "work": (marks["line-work-a"], marks["line-work-b"]),
                  "main": marks["line-main"]}
        for name, line in expect.items():
            found = [fr for fr, kind in zip(frames, kinds)
                     if fr["name"] == name and kind == "python"]
            self.assertTrue(found, f"no Python frame {name}")
            for fr in found:
                self.assertEqual(os.path.realpath(fr.get("file", "")), WORKLOAD, fr)
            got = {fr.get("line") for fr in found}
            want = set(line) if isinstance(line, tuple) else {line}
            self.assertTrue(got & want, f"{name}: lines {got}, expected {want}")
            if name.startswith("hot_"):
                # A hot function's samples fall on its own lines: def (the
                # RESUME at entry), `total = 0`, `for`, the body, `return`.
                self.assertTrue(got <= set(range(line - 3, line + 2)), f"{name}: lines {got}")

    def test_pyenv_311(self):
        self.run_workload(pyenv_python("3.11"))

    def test_pyenv_312(self):
        self.run_workload(pyenv_python("3.12"))

    def test_debian_311(self):
        self.run_workload("/usr/bin/python3.11")


if __name__ == "__main__":
    it.main()
