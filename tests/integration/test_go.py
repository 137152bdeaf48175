#!/usr/bin/env python3
"""Stripped Go binaries named by the Go runtime plugin, under real BPF.

go_hot (workloads/go_hot, built with -ldflags="-s -w": no .symtab, no
DWARF) runs main.main -> main.work -> main.hotA (7 units per round) and
main.hotB (3 units) on its first thread. Truth: the CPU time of every hotA
and hotB call, measured by the program with CLOCK_THREAD_CPUTIME_ID outside
the hot functions and printed at exit.

At 999 Hz: at least 98% of the thread's samples reach main.main, every
main.* frame is of kind go, hotA's and hotB's shares are within 2 points of
the truth, and hotA's samples sit at its loop's line of main.go. Again with
hotB inlined into work (go_hot_inlined): hotB is still a frame of its own,
marked inlined, at its loop's line of hotb_inlined.go, below work at the
line of the call.

A Go c-shared library (libgo_cshared.so, stripped) called from Python
(Debian's python3, through ctypes): Python and Go frames in one stack,
py_caller above main.hot, for at least 95% of main.hot's samples, and no
runtime.goexit between them (cgocallback is stepped by its frame pointer).

With no --config, `ember record` names go_hot's Go code all the same.

go_clock (stripped) loops on time.Since: Go reads the clock through the
vDSO on the g0 stack, so those samples' caller chain crosses stacks. At
least 95% of its samples must reach main.spin (the frames past
runtime.nanotime1 used to be whatever g0's stack held), and at least a
fifth must be in the clock read.

Two Go objects in one process: go_plugin_host (stripped) loads go_plug.so,
a stripped Go plugin, and spends about half its time in each. The plugin's
hot function must be a go frame of the plugin's module, below main.main and
runtime.main, in at least 95% of its samples, and main.hostHot must hold
at least a quarter of the samples. The same recording checks the paths of a
cgo program: main.hostHot runs in a Go -> C -> Go callback, which must be
one stack from runtime.main through main.main and runtime.cgocallback, with
no runtime.goexit but the root, in at least 95% of its samples outside
signal handlers; and a second thread sends the first SIGUSR1 ~10,000 times
a second: samples in Go's signal handler (runtime.sigtramp) must either
reach main.main through the interrupted function or start with
[truncated], never another root, and some must reach it.

Goroutine labels: go_labels (stripped) runs its work under pprof.Do with
phase=alpha (~70%) and phase=beta (~30%), each split 3:1 between main.hotA
and main.hotB. The agent at 999 Hz writes to a store; `ember report --label
phase=X` must give each label's share of the labelled samples within 3
points of the program's own per-call thread CPU time, and within each label
hotA's share within 4 points of 75%. The store's pprof export, read by `go
tool pprof -tags`, must carry the same phase labels on the same samples.
"""
import os
import re
import signal
import subprocess
import time
import unittest

import ember_it as it

FREQUENCY = 999
DURATION = 5
MIN_SAMPLES = 3000  # of the main thread: sd of a 70% share under 0.9 points
# Recorded until the whole profile has this many: the runtime's other
# threads (sysmon, GC) take a few of them.
RECORD_SAMPLES = MIN_SAMPLES + 300
TOLERANCE = 2.0  # points
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads", "go_hot")


def marker_lines():
    """{marker: (file name, line)} of the `// line-...` comments of go_hot."""
    lines = {}
    for name in os.listdir(SOURCE):
        with open(os.path.join(SOURCE, name)) as f:
            for number, text in enumerate(f, 1):
                m = re.search(r"// (line-[\w-]+)", text)
                if m:
                    lines.setdefault(m.group(1), {})[name] = number
    return lines


class GoShares(unittest.TestCase):
    def record_go_hot(self, name):
        """(truth hotA share, [(frames root first, weight)] of the main
        thread, where a frame is (name, kind, file, line, inlined), result)."""
        config = it.config_file(self, "[runtime.native]\nenabled = true\n"
                                "[runtime.go]\nenabled = true\nrequired = true\n")
        out = os.path.join(it.scratch_dir(self), name + ".speedscope.json")
        w = it.start(self, [it.workload(name), 60])
        contention = it.Contention()
        contention.look()
        res = it.record(self, out, pids=[w.pid], duration=DURATION, frequency=FREQUENCY,
                        config=config, min_samples=RECORD_SAMPLES)
        contention.look()
        self.contention = contention
        lines = w.stop()
        truth = dict(re.findall(r"(hot[AB]_ns)=(\d+)", "\n".join(lines)))
        self.assertEqual(set(truth), {"hotA_ns", "hotB_ns"}, f"{name} printed {lines}")
        a_ns, b_ns = int(truth["hotA_ns"]), int(truth["hotB_ns"])
        true_a = it.share(a_ns, a_ns + b_ns)
        self.assertAlmostEqual(true_a, 70.0, delta=3.0,
                               msg=f"{name}'s own split drifted: hotA {true_a:.1f}%")

        sp = it.Speedscope(out)
        inlined = set(sp.doc["ember"].get("inlined_frames", []))
        frames = [(fr["name"], kind, fr.get("file", ""), fr.get("line", 0), i in inlined)
                  for i, (fr, kind) in enumerate(zip(sp.frames, sp.kinds))]
        stacks = []
        for doc_profile, profile in zip(sp.doc["profiles"], sp.profiles):
            self.assertEqual(profile.pid, w.pid, "--pid recorded another process")
            if profile.tid == w.pid:  # the locked main thread
                stacks += [([frames[i] for i in sample], weight) for sample, weight
                           in zip(doc_profile["samples"], doc_profile["weights"])]
        total = sum(weight for _, weight in stacks)
        self.assertGreaterEqual(total, MIN_SAMPLES, f"too few samples of {name}'s main "
                                f"thread ({total})\n" + res.describe())
        return true_a, stacks, total, res

    def describe(self, stacks, limit=8):
        top = sorted(stacks, key=lambda s: -s[1])[:limit]
        return "\n".join(f"  {weight:6d}  " + ";".join(
            f"{n}{' [inlined]' if inl else ''}@{os.path.basename(f)}:{line}"
            for n, kind, f, line, inl in frames if kind != "kernel") for frames, weight in top)

    def check(self, name, hot_b_inlined):
        true_a, stacks, total, res = self.record_go_hot(name)
        markers = marker_lines()
        b_file = "hotb_inlined.go" if hot_b_inlined else "hotb_call.go"

        reach_main = 0
        hot = {"main.hotA": 0, "main.hotB": 0}
        a_at_loop = b_at_loop = 0
        broken = []
        for frames, weight in stacks:
            user = [f for f in frames if f[1] != "kernel"]
            names = [f[0] for f in user]
            for n, kind, _, _, _ in user:
                if n.startswith("main."):
                    self.assertEqual(kind, "go", f"{n} is of kind {kind}")
            if "main.main" in names:
                reach_main += weight
            leaf = user[-1] if user else None
            if not leaf or leaf[0] not in hot:
                continue
            hot[leaf[0]] += weight
            if not it.contains_run(names, ["main.main", "main.work", leaf[0]]):
                broken.append((frames, weight))
                continue
            caller = user[-2]
            if leaf[0] == "main.hotA":
                ok = (leaf[2].endswith("/go_hot/main.go") and not leaf[4]
                      and caller[3] == markers["line-hotA-call"]["main.go"])
                if leaf[3] == markers["line-hotA-loop"]["main.go"]:
                    a_at_loop += weight
            else:
                # Like hotA's, a sample may sit outside the loop (a call's
                # prologue is at the func line): 95% must be on the loop.
                ok = (leaf[2].endswith("/go_hot/" + b_file) and leaf[4] == hot_b_inlined
                      and caller[3] == markers["line-hotB-call"]["main.go"] and not caller[4])
                if leaf[3] == markers["line-hotB-loop"][b_file]:
                    b_at_loop += weight
            if not ok:
                broken.append((frames, weight))

        hot_total = hot["main.hotA"] + hot["main.hotB"]
        got_a = it.share(hot["main.hotA"], hot_total)
        got_b = it.share(hot["main.hotB"], hot_total)
        print(f"\n{name}: samples={total} reach main.main={it.share(reach_main, total):.2f}% "
              f"hot={hot_total} hotA ember={got_a:.2f}% truth={true_a:.2f}% | hotB "
              f"ember={got_b:.2f}% truth={100 - true_a:.2f}% | hotA at its loop line "
              f"{it.share(a_at_loop, hot['main.hotA']):.1f}%")
        self.assertGreaterEqual(it.share(reach_main, total), 98.0,
                                f"only {reach_main} of {total} samples reach main.main:\n"
                                + self.describe([s for s in stacks if "main.main" not in
                                                 [f[0] for f in s[0]]]))
        self.assertGreaterEqual(it.share(hot_total, total), 90.0,
                                f"only {hot_total} of {total} samples in hotA/hotB:\n"
                                + self.describe(stacks))
        self.assertEqual(broken, [], "hot samples with wrong frames, files, lines or marks "
                         f"(markers {markers}):\n" + self.describe(broken))
        self.assertGreaterEqual(it.share(a_at_loop, hot["main.hotA"]), 95.0,
                                "hotA's samples are not at its loop's line:\n"
                                + self.describe(stacks))
        self.assertGreaterEqual(it.share(b_at_loop, hot["main.hotB"]), 95.0,
                                "hotB's samples are not at its loop's line:\n"
                                + self.describe(stacks))
        self.assertAlmostEqual(got_a, true_a, delta=TOLERANCE,
                               msg=f"hotA: ember {got_a:.2f}% vs truth {true_a:.2f}%"
                               + self.contention.note())
        self.assertAlmostEqual(got_b, 100 - true_a, delta=TOLERANCE,
                               msg=f"hotB: ember {got_b:.2f}% vs truth {100 - true_a:.2f}%"
                               + self.contention.note())

    def test_python_calls_go_cshared(self):
        config = it.config_file(self, "[runtime.native]\nenabled = true\n"
                                "[runtime.go]\nenabled = true\nrequired = true\n"
                                "[runtime.cpython]\nenabled = true\nrequired = true\n")
        out = os.path.join(it.scratch_dir(self), "cshared.speedscope.json")
        script = os.path.join(SOURCE, "..", "go_cshared", "call_go.py")
        w = it.start(self, ["/usr/bin/python3", script, it.workload("libgo_cshared.so"), 60])
        # Recorded until the whole profile has 1,700 samples: the Go
        # runtime's own threads take a few of them.
        res = it.record(self, out, pids=[w.pid], duration=3, frequency=FREQUENCY,
                        config=config, min_samples=1700)
        w.stop()
        sp = it.Speedscope(out)
        stacks = [(list(zip(names, kinds)), weight) for p in sp.for_pid(w.pid)
                  if p.tid == w.pid for names, kinds, weight in p.stacks]
        total = sum(weight for _, weight in stacks)
        self.assertGreaterEqual(total, 1500, f"too few samples ({total})\n" + res.describe())
        hot = connected = 0
        for frames, weight in stacks:
            user = [f for f in frames if f[1] != "kernel"]
            names = [n for n, _ in user]
            if "main.hot" not in names:
                continue
            hot += weight
            self.assertEqual(dict(user)["main.hot"], "go")
            # cgocallback's frame on the goroutine stack holds goexit's
            # address, not its caller's: no goexit between Python and Go.
            self.assertNotIn("runtime.goexit", names, "a stray goexit at the stack switch")
            if ("py_caller", "python") in user[:names.index("main.hot")]:
                connected += weight
        print(f"\ngo_cshared: samples={total} in main.hot={it.share(hot, total):.1f}% "
              f"of which under Python's py_caller={it.share(connected, hot):.1f}%")
        describe = "\n".join(f"  {w:6d}  " + ";".join(n for n, k in f if k != "kernel")
                             for f, w in sorted(stacks, key=lambda s: -s[1])[:8])
        self.assertGreaterEqual(it.share(hot, total), 80.0,
                                "main.hot is not where the thread spends its time:\n" + describe)
        self.assertGreaterEqual(it.share(connected, hot), 95.0,
                                "Go frames not connected to the Python caller:\n" + describe)

    def record_folded(self, workload):
        """([(frames, count)], total, result) of 2 s of `workload`, no config."""
        out = os.path.join(it.scratch_dir(self), workload + ".folded")
        w = it.start(self, [it.workload(workload), 60])
        res = it.record(self, out, pids=[w.pid], duration=2, frequency=FREQUENCY)
        w.stop()
        stacks = it.parse_folded(out)
        return stacks, sum(count for _, count in stacks), res

    def test_no_config_names_go(self):
        stacks, total, res = self.record_folded("go_hot")
        named = sum(count for frames, count in stacks
                    if "main.hotA" in frames or "main.hotB" in frames)
        print(f"\nno config: {it.share(named, total):.1f}% of {total} samples in main.hotA/B")
        self.assertGreaterEqual(it.share(named, total), 80.0,
                                "Go code unnamed without a config:\n"
                                + it.summarize(stacks) + res.describe())

    def test_clock_reads_reach_their_caller(self):
        stacks, total, res = self.record_folded("go_clock")
        in_vdso = sum(count for frames, count in stacks
                      if "runtime.nanotime1" in frames and "main.spin" in frames)
        spin = sum(count for frames, count in stacks if "main.spin" in frames)
        print(f"\ngo_clock: {it.share(spin, total):.1f}% of {total} samples in main.spin, "
              f"{it.share(in_vdso, total):.1f}% through runtime.nanotime1")
        self.assertGreaterEqual(it.share(spin, total), 95.0,
                                "clock reads not tied to main.spin:\n"
                                + it.summarize(stacks) + res.describe())
        self.assertGreaterEqual(it.share(in_vdso, total), 20.0,
                                "the workload no longer reads the clock much:\n"
                                + it.summarize(stacks))

    def test_two_go_objects_in_one_process(self):
        config = it.config_file(self, "[runtime.native]\nenabled = true\n"
                                "[runtime.go]\nenabled = true\nrequired = true\n")
        w = it.start(self, [it.workload("go_plugin_host"), it.workload("go_plug.so"), 60])
        # The signal handler runs a few % of the time, less when a busy host
        # delays the signalling thread: record again (at most 3 times) until
        # it has enough samples to judge, rather than judge on too few.
        stacks = []
        for attempt in range(3):
            out = os.path.join(it.scratch_dir(self), f"plugin{attempt}.speedscope.json")
            res = it.record(self, out, pids=[w.pid], duration=2, frequency=FREQUENCY,
                            config=config, min_samples=1500)
            sp = it.Speedscope(out)
            stacks += [(list(zip(names, kinds)), weight) for p in sp.for_pid(w.pid)
                       if p.tid == w.pid for names, kinds, weight in p.stacks]
            if sum(weight for frames, weight in stacks
                   if any(n in ("runtime.sigtramp", "runtime.cgoSigtramp")
                          for n, _ in frames)) >= 10:
                break
        w.stop()
        total = sum(weight for _, weight in stacks)
        in_plugin = connected = in_host = 0
        callback = callback_connected = 0
        in_handler = handler_connected = 0
        bad_roots = []
        for frames, weight in stacks:
            user = [f for f in frames if f[1] != "kernel"]
            names = [n for n, _ in user]
            handler = next((i for i, n in enumerate(names)
                            if n in ("runtime.sigtramp", "runtime.cgoSigtramp")), None)
            if handler is not None:
                in_handler += weight
                if names[0] == "runtime.goexit" and "main.main" in names[:handler]:
                    handler_connected += weight
                elif names[0] != "[truncated]":
                    bad_roots.append((frames, weight))
                continue
            if names and names[-1] == "main.hostHot":
                in_host += weight
                callback += weight
                if (names[0] == "runtime.goexit" and "runtime.goexit" not in names[1:]
                        and it.contains_run(names, ["runtime.main", "main.main"])
                        and "runtime.cgocallback" in names[names.index("main.main"):]):
                    callback_connected += weight
            if not names or not names[-1].endswith("hot.pluginHot"):
                continue
            in_plugin += weight
            if user[-1][1] == "go" and it.contains_run(names, ["runtime.main", "main.main"]):
                connected += weight

        def describe(chosen):
            return "\n".join(f"  {w:6d}  " + ";".join(f"{n}({k})" for n, k in f if k != "kernel")
                             for f, w in sorted(chosen, key=lambda s: -s[1])[:8])
        print(f"\ngo_plugin: samples={total} main.hostHot={it.share(in_host, total):.1f}% "
              f"pluginHot={it.share(in_plugin, total):.1f}%, of which under main.main "
              f"{it.share(connected, in_plugin):.1f}%; callback connected "
              f"{it.share(callback_connected, callback):.1f}%; in the signal handler "
              f"{in_handler}, reaching main.main {handler_connected}, other roots "
              f"{sum(w for _, w in bad_roots)}")
        self.assertGreaterEqual(it.share(in_host, total), 25.0, describe(stacks) + res.describe())
        self.assertGreaterEqual(it.share(in_plugin, total), 25.0,
                                "the plugin's code is not named:\n" + describe(stacks))
        self.assertGreaterEqual(it.share(connected, in_plugin), 95.0,
                                "the plugin's frames are not go frames under main.main:\n"
                                + describe(stacks))
        self.assertGreaterEqual(it.share(callback_connected, callback), 95.0,
                                "the Go -> C -> Go callback is not one stack:\n"
                                + describe(stacks))
        self.assertGreaterEqual(in_handler, 10, "too few samples in Go's signal handler "
                                "to judge its stacks:\n" + describe(stacks))
        self.assertEqual(bad_roots, [], "signal handler stacks with a root that is neither "
                         "runtime.goexit under main.main nor [truncated]:\n" + describe(bad_roots))
        self.assertGreater(handler_connected, 0, "no signal handler stack reaches main.main "
                           "through the interrupted function:\n"
                           + describe([s for s in stacks if "runtime.sigtramp" in
                                       [n for n, _ in s[0]]]))

    def test_stripped_shares_and_lines(self):
        self.check("go_hot", hot_b_inlined=False)

    def test_inlined_call_is_a_frame_of_its_own(self):
        self.check("go_hot_inlined", hot_b_inlined=True)


class GoLabels(unittest.TestCase):
    LABEL_TOLERANCE = 3.0  # points, the labels' split (~3,700 samples: sd 0.75 points)
    # hotA's share within beta rests on ~1,100 samples: sd 1.3 points.
    FUNCTION_TOLERANCE = 4.0
    RECORD_SECONDS = 6

    def report_folded(self, store, pid, label):
        """{leaf function: samples} of the report filtered by `label`."""
        out = os.path.join(it.scratch_dir(self), label.replace("=", "_") + ".folded")
        res = it.run_ember(["report", "--store", store, "--pid", str(pid), "--label", label,
                            "--output", out], timeout=30)
        self.assertEqual(res.returncode, 0, res.describe())
        leaves = {}
        for frames, count in it.parse_folded(out):
            user = [f for f in frames if not it.is_kernel(f)]
            leaf = user[-1] if user else "?"
            leaves[leaf] = leaves.get(leaf, 0) + count
        return leaves

    def pprof_label_counts(self, store, pid):
        """{phase value: samples} of the store's pprof export, as Go's own pprof
        reads its labels (`go tool pprof -tags`, offline)."""
        tmp = it.scratch_dir(self)
        out = os.path.join(tmp, "labels.pb.gz")
        res = it.run_ember(["report", "--store", store, "--pid", str(pid), "--output", out],
                           timeout=30)
        self.assertEqual(res.returncode, 0, res.describe())
        env = dict(os.environ, GOFLAGS="", GOPROXY="off", GOTOOLCHAIN="local", HOME=tmp,
                   GOCACHE=os.path.join(tmp, "gocache"), PPROF_TMPDIR=tmp)
        tags = subprocess.run(["go", "tool", "pprof", "-tags", "-sample_index=samples", out],
                              env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(tags.returncode, 0, tags.stderr)
        # " phase: Total 1956.0\n        1380.0 (70.55%): alpha\n ..."
        section = re.search(r"^ *phase: Total [\d.]+\n((?: +[\d.]+ \( *[\d.]+%\): .+\n?)+)",
                            tags.stdout, re.M)
        self.assertIsNotNone(section, "no phase label in the pprof export:\n" + tags.stdout)
        return {m[2]: int(float(m[1])) for m in re.finditer(r"([\d.]+) \( *[\d.]+%\): (\S+)",
                                                              section.group(1))}

    def test_labels_split_the_profile(self):
        tmp = it.scratch_dir(self)
        store = os.path.join(tmp, "ember.db")
        w = it.start(self, [it.workload("go_labels"), 60])
        config = it.config_file(self, f"[processes]\npids = [{w.pid}]\n"
                                "[runtime.native]\nenabled = true\nrequired = true\n"
                                "[runtime.go]\nenabled = true\nrequired = true\n"
                                f'[sink.store]\nenabled = true\nrequired = true\npath = "{store}"\n')
        agent = it.Background(["agent", "--config", config, "--window", "2",
                               "--frequency", str(FREQUENCY)])
        self.addCleanup(agent.kill)
        agent.wait_sampling()
        contention = it.Contention()
        contention.look()
        time.sleep(self.RECORD_SECONDS)
        contention.look()
        agent.proc.send_signal(signal.SIGTERM)
        res = agent.finish(timeout=30)
        self.assertEqual(res.returncode, 0, res.describe())
        lines = w.stop()
        truth = dict(re.findall(r"(alpha_ns|beta_ns)=(\d+)", "\n".join(lines)))
        self.assertEqual(set(truth), {"alpha_ns", "beta_ns"}, f"go_labels printed {lines}")
        # The truth covers the program's whole run; its split is the same
        # in every round.
        true_alpha = it.share(int(truth["alpha_ns"]),
                              int(truth["alpha_ns"]) + int(truth["beta_ns"]))

        alpha = self.report_folded(store, w.pid, "phase=alpha")
        beta = self.report_folded(store, w.pid, "phase=beta")
        pprof_split = self.pprof_label_counts(store, w.pid)
        res = it.run_ember(["report", "--store", store, "--pid", str(w.pid), "--label",
                            "phase=gamma"], timeout=30)
        self.assertIn("no samples match", res.stderr,
                      "a label value no goroutine had matched samples\n" + res.describe())
        n_alpha, n_beta = sum(alpha.values()), sum(beta.values())
        got_alpha = it.share(n_alpha, n_alpha + n_beta)
        a_in_alpha = it.share(alpha.get("main.hotA", 0), n_alpha)
        a_in_beta = it.share(beta.get("main.hotA", 0), n_beta)
        print(f"\ngo_labels: alpha={n_alpha} beta={n_beta} samples; alpha ember={got_alpha:.2f}% "
              f"truth={true_alpha:.2f}%; hotA within alpha {a_in_alpha:.2f}%, "
              f"within beta {a_in_beta:.2f}% (program: 75%)")
        self.assertGreaterEqual(n_alpha + n_beta, 3000,
                                f"too few labelled samples: {alpha} {beta}\n" + res.describe())
        for leaves in (alpha, beta):
            in_hot = leaves.get("main.hotA", 0) + leaves.get("main.hotB", 0)
            self.assertGreaterEqual(it.share(in_hot, sum(leaves.values())), 90.0, str(leaves))
        self.assertAlmostEqual(got_alpha, true_alpha, delta=self.LABEL_TOLERANCE,
                               msg=f"alpha: ember {got_alpha:.2f}% vs truth {true_alpha:.2f}%"
                               + contention.note())
        self.assertEqual(pprof_split, {"alpha": n_alpha, "beta": n_beta},
                         "the pprof export's phase labels, as go tool pprof reads them, differ "
                         "from what ember report --label counts")
        self.assertAlmostEqual(a_in_alpha, 75.0, delta=self.FUNCTION_TOLERANCE, msg=str(alpha))
        self.assertAlmostEqual(a_in_beta, 75.0, delta=self.FUNCTION_TOLERANCE, msg=str(beta))


if __name__ == "__main__":
    it.main()
