"""CPython frames merged with native frames, with real BPF, on every
supported interpreter, one after another: a pure-Python workload with a known
call tree (workload.py) under `ember record` with the CPython plugin enabled.
EMBER_IT_PYTHONS (e.g. "2.7,3.6") picks the interpreters; CMake registers
the file twice (before and from 3.11) so each run stays near 30 s."""

import os
import re
import sys

from cpython_it import (EVAL_FUNCTIONS, FREQUENCY, WORKLOAD, CpythonTestCase, interpreters,
                        marker_lines, python_frames)
import ember_it as it

# Each version: 4 s at 999 Hz, about 4,000 samples of one busy thread.
DURATION = 4
MIN_SAMPLES = 3000


class CpythonVersionsTest(CpythonTestCase):
    def test_every_version(self):
        config = self.config()
        for label, python in interpreters():
            with self.subTest(label):
                self.require(python)
                self.check_workload(label, python, config)

    def check_workload(self, label, python, config):
        output = os.path.join(it.scratch_dir(self), label.replace(" ", "-") + ".json")
        proc = it.start(self, [python, WORKLOAD, "30"])
        # 3,000 samples keep the sampling error's sd under 0.9 points (3 points
        # allowed below) however busy the machine is.
        res = it.record(self, output, pids=[proc.pid], duration=DURATION, frequency=FREQUENCY,
                        config=config, min_samples=MIN_SAMPLES)
        lines = proc.stop()
        truth = next((ln for ln in lines if ln.startswith("truth ")), None)
        self.assertIsNotNone(truth, f"{label}: the workload printed no truth: {lines}")
        truth_a = float(re.search(r"hot_a=([\d.]+)", truth).group(1))

        profile = it.Speedscope(output)
        stacks = [s for p in profile.for_pid(proc.pid) for s in p.stacks]
        total = sum(w for _, _, w in stacks)
        self.assertGreaterEqual(total, MIN_SAMPLES, res.describe())
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

        # Spliced in place, not appended at the root: the interpreter's native
        # entry (PyEval_EvalCode ...) sits right above <module> (the native
        # walk is DWARF: these interpreters have no frame pointers).
        in_place = sum(w for names, kinds, w in stacks if "<module>" in names
                       and kinds[names.index("<module>") - 1:names.index("<module>")] == ["native"])
        self.assertGreaterEqual(it.share(in_place, total), 90.0,
                                "Python frames not under the native entry:" + detail)

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



if __name__ == "__main__":
    it.main()
