#!/usr/bin/env python3
"""JavaScript functions named by the Node.js runtime plugin, under real BPF.

Debian's node runs workloads/node_hot/hot.js with no flags: drive() calls
fibRecurse (~85% of the work) and hashLoop (~12%) in turn, for the whole
run, from their first interpreted calls to their optimized code. Truth:
process.cpuUsage() around every call, summed by the script and printed at
its end; ember records from before the first call to after the last.

At 999 Hz: the shares of samples with fibRecurse, and with hashLoop, in
their stack are within 3 points of the truth; every frame named so is of
kind node, names hot.js and the line its function starts on; at least 95%
of fibRecurse's and hashLoop's samples have drive() and node::Start()
rootward of them (one stack: node -> libuv -> JavaScript) and no V8
builtin or JIT frame between drive() and them (each replaced by the
function that ran in it).

shapes.js: a class method and an anonymous arrow function are named (spin,
<anonymous>) with their lines, and every frame naming shapes.js names one
of its functions at that function's line.
"""
import os
import re
import signal
import unittest

import ember_it as it

FREQUENCY = 999
SECONDS = 6          # of work
MIN_SAMPLES = 4000   # sd of an 85% share under 0.6 points
TOLERANCE = 3.0      # points
WORKLOADS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads", "node_hot")
SCRIPT = os.path.join(WORKLOADS, "hot.js")
SHAPES = os.path.join(WORKLOADS, "shapes.js")
NODE = "/usr/bin/node"


def marker_lines(script):
    """{function: line} of the `// line-<function>` comments of a script."""
    lines = {}
    with open(script) as f:
        for number, text in enumerate(f, 1):
            m = re.search(r"// line-(\S+)", text)
            if m:
                lines[m.group(1)] = number
    return lines


def describe(stacks, limit=8):
    top = sorted(stacks, key=lambda s: -s[1])[:limit]
    return "\n".join(f"  {weight:6d}  " + ";".join(
        f"{n}@{os.path.basename(f)}:{line}" if f else n
        for n, kind, f, line in stack if kind != "kernel") for stack, weight in top)


class NodeShares(unittest.TestCase):
    def record(self, argv, seconds, min_samples):
        """Runs node `argv` (a script that waits for SIGUSR2, works `seconds`
        and exits) under ember; ([(frames root first, weight)], its stdout),
        where a frame is (name, kind, file, line)."""
        config = it.config_file(self, "[runtime.native]\nenabled = true\n"
                                "[runtime.node]\nenabled = true\nrequired = true\n")
        out = os.path.join(it.scratch_dir(self), "node.speedscope.json")
        w = it.start(self, [NODE] + argv)
        self.contention = it.Contention()
        self.contention.look()
        # Until the workload exits (--pid ends the recording then), so the
        # profile covers the whole run the truth measures, not its first
        # seconds only (a recording cut at a fixed length on a loaded
        # machine). The work takes CPU seconds: as many samples whatever
        # the load.
        ember = it.Background(it.record_args(out, pids=[w.pid], duration=4 * seconds + 20,
                                             frequency=FREQUENCY, config=config), output=out)
        self.addCleanup(ember.kill)
        ember.wait_sampling()
        w.proc.send_signal(signal.SIGUSR2)
        res = ember.finish(timeout=4 * seconds + 40)
        w.proc.wait(timeout=4 * seconds + 20)
        lines = w.stop()
        self.contention.look()
        self.assertEqual(res.returncode, 0, res.describe())
        sp = it.Speedscope(out)
        frames = [(fr["name"], kind, fr.get("file", ""), fr.get("line", 0))
                  for fr, kind in zip(sp.frames, sp.kinds)]
        stacks = []
        for doc_profile, profile in zip(sp.doc["profiles"], sp.profiles):
            self.assertEqual(profile.pid, w.pid, "--pid recorded another process")
            stacks += [([frames[i] for i in sample], weight) for sample, weight
                       in zip(doc_profile["samples"], doc_profile["weights"])]
        total = sum(weight for _, weight in stacks)
        self.assertGreaterEqual(total, min_samples, f"too few samples ({total})\n"
                                + res.describe())
        return stacks, lines

    def test_hot_functions_named_with_shares_lines_and_callers(self):
        stacks, lines = self.record([SCRIPT, SECONDS], SECONDS, MIN_SAMPLES)
        truth = dict((k, int(v)) for k, v in re.findall(r"(\w+_us)=(\d+)", "\n".join(lines)))
        self.assertEqual(set(truth), {"fib_us", "hash_us", "total_us"}, f"hot.js printed {lines}")
        true_fib = it.share(truth["fib_us"], truth["total_us"])
        true_hash = it.share(truth["hash_us"], truth["total_us"])
        total = sum(weight for _, weight in stacks)
        contention = self.contention

        markers = marker_lines(SCRIPT)
        hot = {"fibRecurse": 0, "hashLoop": 0}
        connected = {"fibRecurse": 0, "hashLoop": 0}
        wrong = []
        for stack, weight in stacks:
            names = [f[0] for f in stack]
            for name, kind, file, line in stack:
                if name in markers and (kind != "node" or not file.endswith("/node_hot/hot.js")
                                        or line != markers[name]):
                    wrong.append(((name, kind, file, line), weight))
            for function in hot:
                if function not in names:
                    continue
                hot[function] += weight
                below = names[:names.index(function)]
                # The interpreter's and JIT's own frames are replaced by the
                # JavaScript functions that ran in them, not left between.
                between = below[below.index("drive") + 1:] if "drive" in below else []
                if ("drive" in below and any(n.startswith("node::Start(") for n in below)
                        and not any(n.startswith("Builtins_") or n == "[v8 code]"
                                    for n in between)):
                    connected[function] += weight

        got_fib = it.share(hot["fibRecurse"], total)
        got_hash = it.share(hot["hashLoop"], total)
        print(f"\nnode: samples={total} fibRecurse ember={got_fib:.2f}% truth={true_fib:.2f}% | "
              f"hashLoop ember={got_hash:.2f}% truth={true_hash:.2f}% | connected to drive and "
              f"main: fibRecurse {it.share(connected['fibRecurse'], hot['fibRecurse']):.1f}% "
              f"hashLoop {it.share(connected['hashLoop'], hot['hashLoop']):.1f}%")
        self.assertEqual(wrong[:10], [], "JavaScript frames with a wrong kind, file or line "
                         f"(markers {markers})")
        self.assertAlmostEqual(got_fib, true_fib, delta=TOLERANCE,
                               msg=f"fibRecurse: ember {got_fib:.2f}% vs truth {true_fib:.2f}%\n"
                               + describe(stacks) + contention.note())
        self.assertAlmostEqual(got_hash, true_hash, delta=TOLERANCE,
                               msg=f"hashLoop: ember {got_hash:.2f}% vs truth {true_hash:.2f}%\n"
                               + describe(stacks) + contention.note())
        for function in hot:
            self.assertGreaterEqual(it.share(connected[function], hot[function]), 95.0,
                                    f"{function}'s samples without drive() and node::Start() "
                                    "rootward, or with V8's frames between drive() and "
                                    "it:\n" + describe(stacks))

    def shape_frames(self, stacks):
        """{(name, line): samples} of shapes.js's frames, and the frames of
        kind node that name shapes.js wrongly (a function it has not, or
        another line: a stale or misread name)."""
        markers = marker_lines(SHAPES)
        seen, wrong = {}, []
        for stack, weight in stacks:
            for name, kind, file, line in set(stack):
                if not file.endswith("/node_hot/shapes.js"):
                    continue
                if kind != "node" or markers.get(name) != line:
                    wrong.append(((name, kind, file, line), weight,
                                  ";".join(f"{f[0]}:{f[3]}" for f in stack if f[1] != "kernel")))
                else:
                    seen[(name, line)] = seen.get((name, line), 0) + weight
        return markers, seen, wrong

    def test_class_method_and_anonymous_arrow_named_with_lines(self):
        stacks, _ = self.record([SHAPES, "shapes", 3], 3, 2000)
        markers, seen, wrong = self.shape_frames(stacks)
        total = sum(weight for _, weight in stacks)
        print(f"\nnode shapes: samples={total} named {seen}")
        self.assertEqual(wrong[:10], [], f"wrong names, kinds or lines (markers {markers})")
        for name in ("spin", "<anonymous>"):
            self.assertGreaterEqual(it.share(seen.get((name, markers[name]), 0), total), 20.0,
                                    f"{name} at line {markers[name]} missing:\n"
                                    + describe(stacks))


if __name__ == "__main__":
    it.main()
