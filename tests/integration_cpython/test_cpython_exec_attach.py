"""Exec'd programs no runtime plugin claims are attached at their first
sample, not at exec (most exit before one: compilers, shell tools), with
real BPF, whole host, the CPython plugin on: 200 `/bin/sh -c` children of a
shell loop must not be attached at exec. A Python whose executable only
links libpython (pyenv's shared 3.12, not claimed itself) runs when ember
starts, which teaches ember that; a second one started later is attached at
its first sample, and its samples still carry Python frames (the loader maps
libpython after exec; the reader attaches it at the first samples, which
wake it).
Static interpreters (Debian's python3.11) are claimed and attached at exec
(test_cpython_lifecycle)."""

import os
import re
import signal
import sys

from cpython_it import WORKLOAD, CpythonTestCase, pyenv_python
import ember_it as it

CHILDREN = 200


class ExecAttachTest(CpythonTestCase):
    def test_unclaimed_programs_attach_at_first_sample(self):
        python = pyenv_python("3.12")
        self.require(python, "pyenv 3.12")
        scratch = it.scratch_dir(self)
        config = os.path.join(scratch, "exec.toml")
        with open(config, "w") as f:
            # Only this test's programs are symbolized (the reader keeps up
            # on a busy machine); every exec still goes through the attach.
            f.write(f'[agent]\nplugin_dirs = ["{it.PLUGIN_DIR}"]\n'
                    '[processes]\ninclude = ["^sh$", "^dash$", "python3\\\\.12"]\n'
                    '[sampler]\nring_buffer_kib = 16384\n'
                    '[runtime.native]\nenabled = true\nlines = false\n'
                    '[runtime.cpython]\nenabled = true\nrequired = true\n')
        output = os.path.join(scratch, "exec.speedscope.json")
        # Started by a shell, not by this (walked) Python: children a walked
        # process forks are known before their exec and attached then.
        def run_python(seconds):
            shell = it.start(self, ["/bin/sh", "-c", '"$0" "$@"; true', python, WORKLOAD,
                                    seconds])
            with open(f"/proc/{shell.pid}/task/{shell.pid}/children") as f:
                return shell, int(f.read().split()[0])

        # Running when ember starts: attached then, which teaches ember that
        # pyenv's python3.12 executable is not claimed (libpython is).
        taught, taught_pid = run_python(60)
        ember = it.Background(it.record_args(output=output, duration=14, frequency=199,
                                             config=config, extra=["--log-level", "trace"]),
                              output)
        self.addCleanup(ember.kill)
        ember.wait_sampling()

        loop = f'for i in $(seq {CHILDREN}); do /bin/sh -c "echo \\$\\$"; done'
        children = it.start(self, ["/bin/sh", "-c", loop], ready=None)
        pids = {int(line) for line in children.proc.communicate(timeout=60)[0].split()}
        self.assertEqual(len(pids), CHILDREN)

        # Alive until ember is done: a reader lagging behind still finds it.
        shell, pid = run_python(60)
        res = ember.finish(timeout=60)
        for process, shell_of in ((pid, shell), (taught_pid, taught)):
            os.kill(process, signal.SIGTERM)
            shell_of.proc.communicate(timeout=30)
        self.assertEqual(res.returncode, 0, res.describe())

        how = {}
        for m in re.finditer(r"pid (\d+) exec: (.+)", res.stderr):
            how.setdefault(int(m.group(1)), []).append(m.group(2).strip())
        at_once = [pid for pid in pids if "attached at once" in how.get(pid, [])]
        unseen = [pid for pid in pids if pid not in how]
        self.assertLessEqual(len(unseen), CHILDREN // 20,
                             f"{len(unseen)} of {CHILDREN} execs not in the log")
        self.assertLessEqual(len(at_once), CHILDREN // 20,
                             f"{len(at_once)} of {CHILDREN} /bin/sh execs attached at exec")
        # Attached at its first sample, as ember knows the executable is not
        # claimed; or at once when a sample of the forked shell came before
        # its exec (the agent knew the pid then: a few percent of execs, as
        # for the /bin/sh children above). Either way its samples must carry
        # Python frames (below).
        self.assertIn(how.get(pid), (["attached at its first sample"], ["attached at once"]),
                         f"pyenv 3.12 exec'd again: {how.get(pid)} (the first time: "
                         f"{how.get(taught_pid)})\n" + "\n".join(
                             line for line in res.stderr.splitlines()
                             if f"pid {pid}" in line or f"pid {taught_pid}" in line))

        stacks = [s for p in it.Speedscope(output).for_pid(pid) for s in p.stacks]
        total = sum(w for _, _, w in stacks)
        python_samples = sum(w for _, kinds, w in stacks if "python" in kinds)
        self.assertGreater(total, 100, res.describe())
        # The reader may lag on a busy machine (seconds, building a binary's
        # tables): samples before it attaches have no Python frames.
        self.assertGreater(python_samples, 100,
                           "samples without Python frames:\n" + it.summarize(stacks))
        print(f"\n{CHILDREN} /bin/sh execs: {len(at_once)} attached at exec; pyenv 3.12: "
              f"{it.share(python_samples, total):.1f} % of {total} samples with Python frames",
              file=sys.stderr)


if __name__ == "__main__":
    it.main()
