"""Pythons exec'd while the agent runs, among a storm of other execs, have
Python frames, and no sample is lost. Real BPF, whole host, the CPython
plugin on.

How a process is attached after its exec depends on what ember knows of its
program and on timing the test cannot control (whether the reader sees a
sample of a forked shell before its exec record): a static interpreter
(Debian's python3.11) is claimed by its executable, a pyenv python3.12 only
through the libpython its loader maps after the exec, and the 200 `/bin/sh
-c` children of a shell loop by nobody. Whichever way each went, what a user
sees must hold: every Python started after ember has Python frames in most of
its samples, and the storm of execs costs no sample. (How often each path is
taken is a figure of the machine's speed and load: ember logs it at debug,
`execs: N attached at once, M at their first sample`.)

A pyenv Python running when ember starts is there too: attaching it teaches
ember that its executable is not claimed, so a later one takes the deferred
path (attached at its first sample)."""

import os
import re
import signal
import sys

from cpython_it import WORKLOAD, CpythonTestCase, pyenv_python
import ember_it as it

CHILDREN = 200
DONE = re.compile(r"done: (\d+) samples, (\d+) lost")


class ExecAttachTest(CpythonTestCase):
    def test_pythons_execd_among_other_execs_have_python_frames(self):
        pyenv = pyenv_python("3.12")
        self.require(pyenv, "pyenv 3.12")
        static = "/usr/bin/python3.11"
        self.require(static, "Debian's python3.11")
        scratch = it.scratch_dir(self)
        # Only this test's programs are symbolized (the reader keeps up on a
        # busy machine); every exec still goes through the attach.
        config = it.config_file(self, '[processes]\ninclude = ["^sh$", "^dash$", "python3\\\\.1[12]"]\n'
                                '[sampler]\nring_buffer_kib = 16384\n'
                                '[runtime.native]\nenabled = true\nlines = false\n'
                                '[runtime.cpython]\nenabled = true\nrequired = true\n')
        output = os.path.join(scratch, "exec.speedscope.json")

        # Started by a shell, not by this (walked) Python: children a walked
        # process forks are known before their exec and attached then.
        def run_python(python, seconds):
            shell = it.start(self, ["/bin/sh", "-c", '"$0" "$@"; true', python, WORKLOAD,
                                    seconds])
            with open(f"/proc/{shell.pid}/task/{shell.pid}/children") as f:
                return shell, int(f.read().split()[0])

        taught = run_python(pyenv, 60)
        ember = it.Background(it.record_args(output=output, duration=14, frequency=199,
                                             config=config, extra=["--log-level", "debug"]),
                              output)
        self.addCleanup(ember.kill)
        ember.wait_sampling()

        loop = f'for i in $(seq {CHILDREN}); do /bin/sh -c "echo \\$\\$"; done'
        children = it.start(self, ["/bin/sh", "-c", loop], ready=None)
        # Alive until ember is done: a reader lagging behind still finds them.
        later = {"pyenv 3.12": run_python(pyenv, 60), "debian 3.11": run_python(static, 60)}
        pids = {int(line) for line in children.proc.communicate(timeout=60)[0].split()}
        self.assertEqual(len(pids), CHILDREN)
        res = ember.finish(timeout=60)
        for shell, pid in [taught] + list(later.values()):
            os.kill(pid, signal.SIGTERM)
            shell.proc.communicate(timeout=30)
        self.assertEqual(res.returncode, 0, res.describe())

        done = DONE.search(res.stderr)
        self.assertIsNotNone(done, res.describe())
        self.assertEqual(int(done[2]), 0, "samples lost\n" + res.describe())

        profile = it.Speedscope(output)
        figures = []
        for label, (_, pid) in later.items():
            stacks = [s for p in profile.for_pid(pid) for s in p.stacks]
            total = sum(w for _, _, w in stacks)
            python_samples = sum(w for _, kinds, w in stacks if "python" in kinds)
            self.assertGreater(total, 100, f"{label}: {total} samples\n" + res.describe())
            # Before the reader attaches (it may lag on a busy machine while
            # it builds a binary's tables) samples have no Python frames.
            self.assertGreaterEqual(it.share(python_samples, total), 50.0,
                                    f"{label} exec'd after ember started: samples without "
                                    "Python frames:\n" + it.summarize(stacks))
            figures.append(f"{label} {it.share(python_samples, total):.1f} % of {total}")
        execs = re.search(r"execs: .*", res.stderr)
        print(f"\n{CHILDREN} /bin/sh execs, 0 samples lost; Python frames: "
              f"{'; '.join(figures)} ({execs[0] if execs else 'no exec figures'})",
              file=sys.stderr)


if __name__ == "__main__":
    it.main()
