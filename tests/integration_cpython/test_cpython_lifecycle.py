"""Python processes whose lives start after ember's, with real BPF: one started
while ember records (Debian's static python3.11 and pyenv's shared 3.12), one
that execs another Python (3.11 static -> 3.12 shared, same pid), and a
multiprocessing pool whose workers are forked (pyenv 3.11).

Thresholds, from what each process measures of itself (lifecycle.py): the
CPU time its interpreter took to start (init: loader, C initialisation, first
imports) and the CPU time of its burning functions (burn) out of its total.

- Samples without Python frames: at most init + 8 ms of CPU. Before the
  interpreter has a thread state there is nothing to walk, and init bounds
  that from above (its imports already run Python code); 8 ms covers the
  interpreter's shutdown (a last GC: 3-6 ms measured). Measured: 0-25 ms
  against inits of 1-66 ms, in release and sanitizer builds. Attaching at a
  process' first sample, as ember did before, loses everything until the
  reader next wakes: up to 100 ms (its poll interval; the large ring buffer
  below keeps unrelated traffic from waking it sooner). That measured
  30-67 ms, init or more.
- Samples in the burning functions: within 4 points of the share the process
  measured. cpu-clock samples every 1/199 s of CPU, so counts are right to a
  sample or two; the interpreter's shutdown is not in the process' figure.
  Measured: 0.4-1.9 points below.
"""

import collections
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import ember_it as it  # noqa: E402
from cpython_it import CpythonTestCase, pyenv_python  # noqa: E402

WORKLOAD = os.path.join(HERE, "lifecycle.py")
FREQUENCY = 199
BURN = 0.8  # CPU seconds per process
TOLERANCE = 4.0  # points
SHUTDOWN_MS = 8.0
DEBIAN = "/usr/bin/python3.11"


class LifecycleTest(CpythonTestCase):
    def interpreter(self, path, label):
        self.require(path, label)
        return path

    def test_started_exec_and_forked_processes(self):
        py311 = self.interpreter(pyenv_python("3.11"), "pyenv 3.11")
        py312 = self.interpreter(pyenv_python("3.12"), "pyenv 3.12")
        debian = self.interpreter(DEBIAN, DEBIAN)
        scratch = it.scratch_dir(self)
        # Symlinks give each process its own comm, which the config's
        # include filter selects (the rest of the host is not profiled).
        names = {"emb-late-deb": debian, "emb-late-312": py312, "emb-exec-deb": debian,
                 "emb-exec-312": py312, "emb-pool-311": py311}
        links = {}
        for name, target in names.items():
            links[name] = os.path.join(scratch, name)
            os.symlink(target, links[name])
        config = os.path.join(scratch, "lifecycle.toml")
        with open(config, "w") as f:
            f.write(f'[agent]\nplugin_dirs = ["{it.PLUGIN_DIR}"]\n'
                    # Wakes the reader only at 4 MiB of pending samples, so
                    # nothing but ember's own wake-ups attaches in time.
                    '[sampler]\nring_buffer_kib = 16384\n'
                    '[processes]\ninclude = ["^emb-"]\n'
                    '[runtime.native]\nenabled = true\n'
                    '[runtime.cpython]\nenabled = true\nrequired = true\n')
        output = os.path.join(scratch, "lifecycle.speedscope.json")
        ember = it.Background(it.record_args(output=output, duration=90, frequency=FREQUENCY,
                                             config=config), output=output)
        self.addCleanup(ember.kill)
        ember.wait_sampling()
        # A running agent has seen these interpreters before: probe results and
        # unwind tables are cached per binary. Warm them, and give the agent
        # time to build them, so what is measured is the attach of a new
        # process, not the first look at a binary (which took ~250 ms in a
        # sanitizer build, during which the next process went unattached).
        # They live 0.5 s: the agent reads a binary through the process' root.
        warm = [subprocess.Popen([links[name], WORKLOAD, "burn", "0.5"],
                                 stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
                for name in ("emb-late-deb", "emb-late-312", "emb-pool-311")]
        for proc in warm:
            self.assertEqual(proc.wait(timeout=60), 0)
        time.sleep(1)

        runs = [("late static", [links["emb-late-deb"], WORKLOAD, "burn", BURN]),
                ("late shared", [links["emb-late-312"], WORKLOAD, "burn", BURN]),
                ("exec", [links["emb-exec-deb"], WORKLOAD, "exec", BURN / 2,
                          links["emb-exec-312"]]),
                ("pool", [links["emb-pool-311"], WORKLOAD, "pool", 2, BURN])]
        truth = {}  # pid -> (label, init s, burn s, total s)
        for label, argv in runs:
            done = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                                  timeout=60, stdin=subprocess.DEVNULL)
            self.assertEqual(done.returncode, 0, f"{label}: {done.stderr}")
            for m in re.finditer(r"cpu pid=(\d+) init=([\d.]+) burn=([\d.]+) total=([\d.]+)",
                                 done.stdout):
                pid = int(m.group(1))
                init, burn, total = (float(m.group(i)) for i in (2, 3, 4))
                if pid in truth:  # a worker that ran both tasks
                    _, init0, burn0, total0 = truth[pid]
                    init, burn, total = min(init, init0), burn + burn0, max(total, total0)
                truth[pid] = (label, init, burn, total)
        ember.proc.send_signal(signal.SIGTERM)
        res = ember.finish()
        self.assertEqual(res.returncode, 0, res.describe())
        labels = collections.Counter(label for label, *_ in truth.values())
        self.assertEqual(set(labels), {"late static", "late shared", "exec", "pool"},
                         f"processes that reported their CPU time: {truth}")

        profile = it.Speedscope(output)
        burners = {"late static": ["late_burn"], "late shared": ["late_burn"],
                   "exec": ["before_exec", "after_exec"], "pool": ["pool_task"]}
        report = []
        for pid, (label, init, burn, total) in sorted(truth.items()):
            stacks = [s for p in profile.for_pid(pid) for s in p.stacks]
            samples = sum(w for _, _, w in stacks)
            detail = f"\n{label} (pid {pid}):\n" + it.summarize(stacks)
            self.assertGreater(samples, 0.5 * BURN * FREQUENCY, "too few samples" + detail)
            in_burn = collections.Counter()
            for names, kinds, w in stacks:
                for function in burners[label]:
                    if any(n == function and k == "python" for n, k in zip(names, kinds)):
                        in_burn[function] += w
            for function in burners[label]:
                self.assertGreater(in_burn[function], 0, f"no samples in {function}" + detail)
            sampled = it.share(sum(in_burn.values()), samples)
            measured = 100.0 * burn / total
            without = sum(w for _, k, w in stacks if "python" not in k)
            without_ms, init_ms = 1000.0 * without / FREQUENCY, 1000.0 * init
            report.append(f"{label:12} pid {pid}: {samples} samples, {without_ms:.0f} ms without "
                          f"Python frames (start-up {init_ms:.0f} ms), in "
                          f"{'+'.join(burners[label])} {sampled:.1f} % sampled vs "
                          f"{measured:.1f} % measured")
            self.assertLessEqual(without_ms, init_ms + SHUTDOWN_MS,
                                 f"{label}: {without} samples ({without_ms:.0f} ms) without "
                                 f"Python frames, start-up took {init_ms:.0f} ms" + detail)
            self.assertGreater(sampled, measured - TOLERANCE,
                               f"{label}: samples in {burners[label]} {sampled:.1f} %, "
                               f"the process measured {measured:.1f} %" + detail)
        print("\n" + "\n".join(report), file=sys.stderr)


if __name__ == "__main__":
    it.main()
