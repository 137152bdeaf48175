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
DURATION = 4
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
    def record_workload(self, name, argv, comm, config=None, duration=DURATION, min_samples=0):
        out = os.path.join(it.scratch_dir(self), name + ".folded")
        w = it.start(self, [it.workload(name)] + [str(a) for a in argv])
        contention = it.Contention()
        contention.look()
        res = it.record(self, out, pids=[w.pid], duration=duration, frequency=FREQUENCY,
                        config=config, min_samples=max(min_samples, 300 * duration))
        contention.look()
        lines = w.stop()
        mine = it.folded_by_comm(it.parse_folded(out), comm)
        total = sum(c for _, c in mine)
        self.assertGreaterEqual(total, 300 * duration,
                                f"too few samples ({total}) at {FREQUENCY} Hz "
                                f"for {duration} s: is the machine overloaded?\n"
                                + it.summarize(mine) + "\n" + res.describe())
        return mine, lines, res, contention

    def test_no_frame_pointer_tree_reaches_main_with_true_shares(self):
        mine, lines, res, contention = self.record_workload("nofp_tree", [60], "nofp_tree",
                                                            duration=5, min_samples=2000)
        # 2,000 samples keep the sampling error's sd under 1.1 points.
        self.assertGreaterEqual(sum(c for _, c in mine), 2000,
                                "too few samples: is the machine overloaded?\n" + res.describe())
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

    def test_qsort_comparator_and_memcpy_under_their_callers(self):
        """Debian's libc has no frame pointers: the comparator is called by
        qsort's msort, memcpy is a libc leaf; both must hang under the right
        caller, with the time shares of the workload's own measurement."""
        mine, lines, res, contention = self.record_workload(
            "nofp_tree", [60, "--libc"], "nofp_tree")
        truth = truth_of(lines)
        self.assertIn("copy_ns", truth, f"nofp_tree printed {lines}")
        all_ns = sum(truth[k] for k in ("parse_ns", "evaluate_ns", "sort_ns", "copy_ns"))
        total = sum(c for _, c in mine)

        compare = [(f, c) for f, c in mine if "compare_records" in user_frames(f)]
        compare_total = sum(c for _, c in compare)
        self.assertGreaterEqual(compare_total, 20, "too few comparator samples:\n"
                                + it.summarize(mine))
        wrong = []
        for frames, count in compare:
            user = user_frames(frames)
            at = user.index("sort_records") if "sort_records" in user else -1
            qsort = at + 1 < len(user) and at >= 0 and user[at + 1].startswith("qsort")
            if not (qsort and it.contains_run(user, ["main", "run", "sort_records"])
                    and user.index("compare_records") > at + 1):
                wrong.append((frames, count))
        self.assertLessEqual(it.share(sum(c for _, c in wrong), compare_total), 5.0,
                             "comparator samples not under main;run;sort_records;qsort*:\n"
                             + it.summarize(wrong))

        # Everything copy_buffers calls is libc's memcpy; its samples must reach
        # copy_buffers (and main) in the share the workload measured.
        for caller, key in (("copy_buffers", "copy_ns"), ("sort_records", "sort_ns")):
            got = it.share(sum(c for f, c in mine
                               if it.contains_run(user_frames(f), ["main", "run", caller])),
                           total)
            want = it.share(truth[key], all_ns)
            print(f"\ndwarf_libc: {caller} ember={got:.2f}% truth={want:.2f}%")
            self.assertAlmostEqual(got, want, delta=TOLERANCE,
                                   msg=f"{caller}: ember {got:.2f}% vs truth {want:.2f}%\n"
                                   + it.summarize(mine) + contention.note())

    def test_leaf_without_frame_pointer_keeps_its_caller(self):
        """fp_leaf is built with frame pointers but without the leaf flag: the
        frame-pointer walk skips dispatch, the leaf snapshot's CFI keeps it.
        The control run without leaf snapshots shows the walk alone loses it."""
        def dispatch_share(mine):
            leaf = [(user_frames(f), c) for f, c in mine
                    if any(x in user_frames(f) for x in ("leaf_a", "leaf_b"))]
            leaf_total = sum(c for _, c in leaf)
            self.assertGreaterEqual(leaf_total, 300, "too few leaf samples:\n"
                                    + it.summarize(mine))
            kept = sum(c for user, c in leaf
                       if it.contains_run(user, ["main", "dispatch"])
                       and user[-1] in ("leaf_a", "leaf_b") and user[-2] == "dispatch")
            return it.share(kept, leaf_total)

        mine, _, _, _ = self.record_workload("fp_leaf", [60], "fp_leaf")
        with_leaf = dispatch_share(mine)
        config = os.path.join(it.scratch_dir(self), "no_leaf.toml")
        with open(config, "w") as f:
            f.write(f'[agent]\nplugin_dirs = ["{it.PLUGIN_DIR}"]\n'
                    "[sampler]\nleaf_snapshot_bytes = 0\n"
                    "[runtime.native]\nenabled = true\n"
                    "[sink.files]\nenabled = true\n")
        mine, _, _, _ = self.record_workload("fp_leaf", [60], "fp_leaf", config=config, duration=2)
        without = dispatch_share(mine)
        print(f"\ndwarf_leaf: dispatch kept in {with_leaf:.2f}% of leaf samples "
              f"(frame-pointer walk alone: {without:.2f}%)")
        self.assertLess(without, 50.0, "the control run (no leaf snapshot) kept dispatch: "
                        "is fp_leaf still built without leaf frames?")
        self.assertGreaterEqual(with_leaf, 95.0, "dispatch missing under leaf_a/leaf_b")

    def test_stack_deeper_than_the_snapshot_is_marked_truncated(self):
        """deep_stack recurses 2000 x 112-byte frames under a 16 KiB snapshot:
        the stack ends in [truncated] after the frames CFI reached, which are
        spin and then only descend, as many as fit in the snapshot."""
        mine, _, _, _ = self.record_workload("deep_stack", [60, 2000], "deep_stack")
        spin = [(f, c) for f, c in mine if "spin" in user_frames(f)]
        spin_total = sum(c for _, c in spin)
        self.assertGreaterEqual(spin_total, 500, "too few spin samples:\n" + it.summarize(mine))
        frame_bytes, snapshot = 112, 16384
        wrong, depths = [], []
        for frames, count in spin:
            user = [f for f in frames if not it.is_kernel(f)]
            names = user_frames(user)
            depth = len(names) - 2
            ok = (names[0] == "[truncated]" and names[-1] == "spin"
                  and all(n == "descend" for n in names[1:-1])
                  and snapshot // frame_bytes - 8 <= depth <= snapshot // frame_bytes + 1)
            depths.append(depth)
            if not ok:
                wrong.append((frames, count))
        print(f"\ndwarf_deep: descend frames reached {min(depths)}..{max(depths)}")
        self.assertLessEqual(it.share(sum(c for _, c in wrong), spin_total), 5.0,
                             "spin samples not [truncated];descend x ~146;spin:\n"
                             + it.summarize(wrong))

    def test_frame_pointer_binary_with_deep_code_without_them_moves_to_full_snapshots(self):
        """mixed_fp's .eh_frame says "frame pointers" but descend has none and
        recurses past the leaf snapshot: the truncated cheap-path samples move
        the process to full snapshots, after which stacks are complete."""
        mine, _, res, _ = self.record_workload("mixed_fp", [60], "mixed_fp")
        spin = [(user_frames(f), c) for f, c in mine if "spin" in user_frames(f)]
        spin_total = sum(c for _, c in spin)
        self.assertGreaterEqual(spin_total, 500, "too few spin samples:\n" + it.summarize(mine))
        complete = sum(c for user, c in spin
                       if it.contains_run(user, ["main", "walk", "descend"])
                       and user.count("descend") == 41 and user[-1] == "spin")
        print(f"\ndwarf_mixed: {it.share(complete, spin_total):.2f}% of spin samples complete")
        self.assertGreaterEqual(it.share(complete, spin_total), 90.0,
                                "mixed_fp stacks not main;walk;descend x 41;spin:\n"
                                + it.summarize([(f, c) for f, c in mine]) + "\n" + res.describe())


if __name__ == "__main__":
    it.main()
