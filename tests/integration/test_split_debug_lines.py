#!/usr/bin/env python3
"""Acceptance: a binary whose debug info is split into a .build-id debug file
(inlined_hot: built -O2 -g, debug info moved to workloads/debug/.build-id/,
binary stripped). Under `ember record`, its frames carry file and line, and
the function inlined into the hot loop shows as its own frame, marked inlined.

Truth: the LINE: markers of workloads/inlined_hot.c. mix_inlined is
always_inline and is where the program spends its time, so nearly every
sample is main -> outer_work -> mix_inlined (inlined).
"""
import json
import os
import re
import unittest

import ember_it as it

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads", "inlined_hot.c")
DEBUG_ROOT = os.path.join(it.WORKLOADS, "debug")


def marker_lines():
    lines = {}
    with open(SOURCE) as f:
        for number, text in enumerate(f, 1):
            m = re.search(r"LINE:(\w+)", text)
            if m:
                lines[m.group(1)] = number
    return lines


class SplitDebugLines(unittest.TestCase):
    def test_frames_carry_file_line_and_inlined_function(self):
        tmp = it.scratch_dir(self)
        config = it.config_file(self, "[runtime.native]\nenabled = true\nlines = true\n"
                                f"debug_dirs = [{json.dumps(DEBUG_ROOT)}]\n")
        out = os.path.join(tmp, "lines.speedscope.json")
        w = it.start(self, [it.workload("inlined_hot"), 60])
        res = it.record(self, out, pids=[w.pid], duration=3, frequency=499, config=config,
                        min_samples=300)
        w.stop()

        with open(out) as f:
            doc = json.load(f)
        frames = doc["shared"]["frames"]
        inlined = set(doc["ember"]["inlined_frames"])
        stacks = []  # (frame indices root first, weight)
        for prof in doc["profiles"]:
            if f"(pid {w.pid})" in prof["name"]:
                stacks += list(zip(prof["samples"], prof["weights"]))
        total = sum(weight for _, weight in stacks)
        self.assertGreaterEqual(total, 300, f"too few samples ({total})\n" + res.describe())

        lines = marker_lines()
        describe = lambda i: (f"{frames[i]['name']} {frames[i].get('file', '')}:"
                              f"{frames[i].get('line', 0)}{' [inlined]' if i in inlined else ''}")
        good = 0
        bad = []
        for stack, weight in stacks:
            leaf, caller, outer = stack[-1], stack[-2] if len(stack) > 1 else None, \
                stack[-3] if len(stack) > 2 else None
            if frames[leaf]["name"] != "mix_inlined":
                continue
            leaf_frame, caller_frame = frames[leaf], frames[caller] if caller is not None else {}
            ok = (leaf in inlined
                  and leaf_frame.get("file", "").endswith("/inlined_hot.c")
                  and lines["mix_first"] <= leaf_frame.get("line", 0) <= lines["mix_last"]
                  and caller_frame.get("name") == "outer_work" and caller not in inlined
                  and caller_frame.get("file", "").endswith("/inlined_hot.c")
                  and caller_frame.get("line") == lines["inlined_call"]
                  and outer is not None and frames[outer]["name"] == "main"
                  and frames[outer].get("line") == lines["outer_call"])
            if ok:
                good += weight
            else:
                bad.append((" <- ".join(describe(i) for i in reversed(stack[-3:])), weight))
        print(f"\nsplit_debug_lines: {good} of {total} samples are "
              "main:outer_call -> outer_work:inlined_call -> mix_inlined [inlined] at its lines")
        self.assertEqual(bad, [], "mix_inlined samples with wrong frames, files or lines "
                         f"(expected lines {lines})")
        self.assertGreaterEqual(it.share(good, total), 80.0,
                                f"only {good} of {total} samples in the inlined loop:\n"
                                + "\n".join(f"{weight:6d} " + " <- ".join(
                                    describe(i) for i in reversed(s[-4:]))
                                    for s, weight in sorted(stacks, key=lambda x: -x[1])[:8]))


if __name__ == "__main__":
    it.main()
