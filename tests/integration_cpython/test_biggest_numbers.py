"""The biggest-numbers story (examples/biggest-numbers) end to end with real
BPF: its run.py starts the Flask app twice on Debian's /usr/bin/python3.11,
naive and heapq, each under a load loop, and records both with ember.

The profile must show the request handler over Payments.__get_biggest_five_of,
which takes most of the naive app's CPU; with heapq.nlargest its share must
drop by more than half. The shares are computed here from the profile, and
run.py's printed summary must agree with them.
"""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import ember_it as it  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = os.path.join(REPO, "examples", "biggest-numbers")
APP = os.path.join(EXAMPLE, "app.py")
PYTHON = "/usr/bin/python3.11"
HOT = "Payments.__get_biggest_five_of"
HANDLER_PATH = ["top_five_payments", "Payments.biggest_five", HOT]
DISPATCH = "Flask.dispatch_request"


def function_lines(path, name):
    """Line numbers of `def name` through the line before the next def."""
    with open(path) as f:
        lines = f.read().splitlines()
    start = next(n for n, text in enumerate(lines, 1) if text.strip().startswith(f"def {name}("))
    end = next((n for n, text in enumerate(lines[start:], start + 1)
                if text.strip().startswith(("def ", "class ", "@"))), len(lines) + 1)
    return set(range(start, end))


class BiggestNumbersTest(unittest.TestCase):
    def test_story(self):
        has_flask = subprocess.run([PYTHON, "-c", "import flask"], capture_output=True)
        if has_flask.returncode != 0:
            reason = f"{PYTHON} with Flask (python3-flask) is not installed"
            if os.environ.get("CI"):
                self.fail(reason)
            self.skipTest(reason)
        out = it.scratch_dir(self)
        summary_path = os.path.join(out, "summary.json")
        cmd = [sys.executable, os.path.join(EXAMPLE, "run.py"), "--duration", "6",
               "--frequency", "499", "--output-dir", out, "--summary", summary_path,
               "--ember", it.EMBER, "--plugin-dir", it.PLUGIN_DIR]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL)
        ember_log = os.path.join(out, "ember.log")
        log = open(ember_log).read() if os.path.exists(ember_log) else "(no ember.log)"
        detail = f"\n--- run.py stdout ---\n{run.stdout}\n--- stderr ---\n{run.stderr}" \
                 f"\n--- ember.log ---\n{log[-3000:]}"
        self.assertEqual(run.returncode, 0, "run.py failed" + detail)
        for marker in it.SANITIZER_REPORTS:
            self.assertNotIn(marker, log, "sanitizer report from ember" + detail)
        with open(summary_path) as f:
            summary = json.load(f)

        profile = it.Speedscope(summary["profile"])
        shares = {}
        for impl in ("naive", "heapq"):
            version = summary["versions"][impl]
            stacks = [s for p in profile.for_pid(version["pid"]) for s in p.stacks]
            total = sum(w for _, _, w in stacks)
            self.assertGreater(total, 300, f"{impl}: too few samples" + detail)
            why = f"\n{impl}, heaviest stacks:\n" + it.summarize(stacks) + detail

            python = sum(w for _, kinds, w in stacks if "python" in kinds)
            self.assertGreaterEqual(it.share(python, total), 98.0,
                                    f"{impl}: samples without Python frames" + why)
            hot = [(names, w) for names, kinds, w in stacks
                   if any(n == HOT and k == "python" for n, k in zip(names, kinds))]
            hot_samples = sum(w for _, w in hot)
            shares[impl] = it.share(hot_samples, total)
            # The request handler over the function, in the caller's order,
            # under Flask's dispatch (3.11 runs them in one eval call).
            in_order = sum(w for names, w in hot if it.contains_run(names, HANDLER_PATH) and
                           DISPATCH in names and names.index(DISPATCH) < names.index(HOT))
            self.assertGreaterEqual(it.share(in_order, hot_samples), 98.0,
                                    f"{impl}: {HOT} not under {HANDLER_PATH[0]}" + why)
            self.assertAlmostEqual(version["hot_share"], shares[impl], delta=0.05,
                                   msg=f"{impl}: run.py printed another share" + detail)
            if impl == "heapq":
                below = sum(w for names, w in hot if "nlargest" in names[names.index(HOT):])
                self.assertGreater(it.share(below, hot_samples), 80.0,
                                   f"heapq: nlargest not under {HOT}" + why)

        # Names a user recognizes: the qualified name, not the mangled
        # _Payments__get_biggest_five_of; the app's file and the function's lines.
        frames = [fr for fr, kind in zip(profile.frames, profile.kinds)
                  if kind == "python" and "biggest_five_of" in fr["name"]]
        self.assertEqual({fr["name"] for fr in frames}, {HOT})
        self.assertEqual({os.path.realpath(fr.get("file", "")) for fr in frames},
                         {os.path.realpath(APP)})
        lines = {fr.get("line") for fr in frames}
        self.assertTrue(lines <= function_lines(APP, "__get_biggest_five_of"),
                        f"lines {sorted(lines)} outside the function")

        print(f"\n{HOT}: naive {shares['naive']:.1f} %, heapq {shares['heapq']:.1f} % "
              "of each app's samples", file=sys.stderr)
        self.assertGreater(shares["naive"], 50.0,
                           f"{HOT} should take most of the naive app's CPU" + detail)
        self.assertLess(shares["heapq"], shares["naive"] / 2,
                        "with heapq the share should drop by more than half" + detail)


if __name__ == "__main__":
    it.main()
