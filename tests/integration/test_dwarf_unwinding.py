#!/usr/bin/env python3
"""Issue 4: native stacks of code built without frame pointers, unwound by
CFI (libunwind) over the stack snapshot the sampler copies.

nofp_tree is C++ built -O2 -fomit-frame-pointer: main -> run -> parse ->
tokenize (~60% of CPU) and main -> run -> evaluate (~40%). A frame-pointer
walk cannot get past the leaf. Truth: run measures the CPU time of every
parse and evaluate call with CLOCK_THREAD_CPUTIME_ID (outside them) and
prints the totals at exit.
"""
import os
import re
import unittest

import ember_it as it

FREQUENCY = 1999
DURATION = 5
TOLERANCE = 3.0  # points

_NAME = re.compile(r"^(?:\(anonymous namespace\)::)?([A-Za-z_][\w:]*)")


def short(frame):
    """`(anonymous namespace)::parse(unsigned long)` -> `parse`."""
    m = _NAME.match(frame)
    return m.group(1) if m else frame


def user_frames(frames):
    return [short(f) for f in frames if not it.is_kernel(f)]


def truth_of(lines):
    values = dict(re.findall(r"(\w+_ns)=(\d+)", "\n".join(lines)))
    return {k: int(v) for k, v in values.items()}


class DwarfUnwinding(unittest.TestCase):
    def record_workload(self, name, argv, comm):
        out = os.path.join(it.scratch_dir(self), name + ".folded")
        w = it.start(self, [it.workload(name)] + [str(a) for a in argv])
        contention = it.Contention()
        contention.look()
        res = it.record(self, out, pids=[w.pid], duration=DURATION, frequency=FREQUENCY)
        contention.look()
        lines = w.stop()
        mine = it.folded_by_comm(it.parse_folded(out), comm)
        total = sum(c for _, c in mine)
        self.assertGreaterEqual(total, 1500, f"too few samples ({total}) at {FREQUENCY} Hz "
                                f"for {DURATION} s: is the machine overloaded?\n"
                                + it.summarize(mine) + "\n" + res.describe())
        return mine, lines, res, contention

    def test_no_frame_pointer_tree_reaches_main_with_true_shares(self):
        mine, lines, res, contention = self.record_workload("nofp_tree", [60], "nofp_tree")
        truth = truth_of(lines)
        self.assertIn("parse_ns", truth, f"nofp_tree printed {lines}")
        true_parse = it.share(truth["parse_ns"], truth["parse_ns"] + truth["evaluate_ns"])
        self.assertAlmostEqual(true_parse, 60.0, delta=3.0,
                               msg=f"nofp_tree's own split drifted: parse {true_parse:.1f}%")

        total = sum(c for _, c in mine)
        reach_main = sum(c for frames, c in mine if "main" in user_frames(frames))
        hot = {"tokenize": 0, "evaluate": 0}
        broken = []
        for frames, count in mine:
            user = user_frames(frames)
            if "tokenize" in user:
                hot["tokenize"] += count
                if not it.contains_run(user, ["main", "run", "parse", "tokenize"]):
                    broken.append((frames, count))
            elif "evaluate" in user:
                hot["evaluate"] += count
                if not it.contains_run(user, ["main", "run", "evaluate"]):
                    broken.append((frames, count))
        self.assertGreaterEqual(it.share(reach_main, total), 95.0,
                                f"only {reach_main} of {total} samples unwind to main:\n"
                                + it.summarize(mine))
        hot_total = hot["tokenize"] + hot["evaluate"]
        self.assertGreaterEqual(it.share(hot_total, total), 90.0,
                                f"only {hot_total} of {total} samples name tokenize/evaluate:\n"
                                + it.summarize(mine))
        self.assertLessEqual(it.share(sum(c for _, c in broken), hot_total), 5.0,
                             "hot samples without main;run;parse;tokenize or main;run;evaluate:\n"
                             + it.summarize(broken))
        got = it.share(hot["tokenize"], hot_total)
        lost = re.search(r"(\d+) lost", res.stderr + res.stdout)
        print(f"\ndwarf_shares: samples={total} reach_main={it.share(reach_main, total):.2f}% "
              f"tokenize ember={got:.2f}% truth={true_parse:.2f}% "
              f"lost={lost.group(1) if lost else '?'}")
        self.assertAlmostEqual(got, true_parse, delta=TOLERANCE,
                               msg=f"parse/tokenize: ember {got:.2f}% vs truth {true_parse:.2f}%"
                               + contention.note())


if __name__ == "__main__":
    it.main()
