"""`ember record` as a py-spy or perf user first types it, with no --config:
Python frames by default, the end of the recording when the profiled process
exits, `-- COMMAND` with its descendants and exit status, `-o -`, and a pid
that does not exist."""

import os
import subprocess
import sys
import time

from cpython_it import FREQUENCY, WORKLOAD, CpythonTestCase, pyenv_python
import ember_it as it


def python_share(profiles):
    total = sum(w for p in profiles for _, _, w in p.stacks)
    python = sum(w for p in profiles for _, kinds, w in p.stacks if "python" in kinds)
    return it.share(python, total), total


class RecordDefaults(CpythonTestCase):
    def test_pid_gets_python_frames_and_ends_with_the_process(self):
        for label, python in (("pyenv 3.12", pyenv_python("3.12")),
                              ("debian 3.11", "/usr/bin/python3.11")):
            with self.subTest(label):
                self.require(python, label)
                output = os.path.join(it.scratch_dir(self), "pid.json")
                proc = it.start(self, [python, WORKLOAD, "4"])
                began = time.monotonic()
                res = it.run_ember(it.record_args(output, pids=[proc.pid], duration=60,
                                                  frequency=FREQUENCY), timeout=90)
                elapsed = time.monotonic() - began
                self.assertEqual(res.returncode, 0, res.describe())
                # The workload lives ~4 s: the recording ends with it, not at 60 s.
                self.assertLess(elapsed, 30, f"{label}: still recording {elapsed:.1f} s after "
                                "a 4 s process started\n" + res.describe())
                self.assertIn("every profiled process has exited", res.stderr)
                share, total = python_share(it.Speedscope(output).for_pid(proc.pid))
                self.assertGreater(total, 500, res.describe())
                self.assertGreaterEqual(share, 95.0, f"{label}: {share:.1f}% of {total} "
                                        "samples with Python frames\n" + res.describe())

    def test_command_with_its_children_and_exit_status(self):
        python = pyenv_python("3.11")
        self.require(python, "pyenv 3.11")
        output = os.path.join(it.scratch_dir(self), "command.json")
        script = (f"{python} {WORKLOAD} 2; "
                  "head -c 400000000 /dev/zero | gzip -1 > /dev/null; exit 3")
        res = it.run_ember(["record", "-F", str(FREQUENCY), "-o", output, "--", "sh", "-c",
                            script], timeout=90)
        self.assertEqual(res.returncode, 3, "the command's exit status\n" + res.describe())
        profile = it.Speedscope(output)
        comms = {p.comm for p in profile.profiles}
        share, total = python_share(profile.for_comm(os.path.basename(python)))
        self.assertGreater(total, 500, f"the Python child: {comms}\n" + res.describe())
        # Its start-up (loader, imports before main) is native code.
        self.assertGreaterEqual(share, 60.0, res.describe())
        gzip = sum(p.total for p in profile.for_comm("gzip"))
        self.assertGreater(gzip, 20, f"the native child gzip: {comms}\n" + res.describe())
        # "ember": the command's own pid between ember's fork and its exec of
        # sh (ember's code, kept apart from sh; a loaded host samples it).
        others = comms - {os.path.basename(python), "gzip", "head", "sh", "ember"}
        self.assertFalse(others, "processes outside the command's tree")

    def test_output_dash_writes_folded_stacks_to_stdout(self):
        python = pyenv_python("3.11")
        self.require(python, "pyenv 3.11")
        res = it.run_ember(["record", "-F", str(FREQUENCY), "-o", "-", "--", python, WORKLOAD,
                            "1"], timeout=60)
        self.assertEqual(res.returncode, 0, res.describe())
        lines = res.stdout.splitlines()
        self.assertTrue(lines and all(line.rsplit(" ", 1)[-1].isdigit() for line in lines),
                        res.describe())
        python_name = os.path.basename(python)
        self.assertGreater(sum(int(line.rsplit(" ", 1)[1]) for line in lines
                               if line.startswith(python_name + ";")), 100, res.describe())
        self.assertIn("ready", res.stderr, "the command's own stdout, moved to stderr")

    def test_a_pid_with_no_process_is_an_error(self):
        gone = subprocess.Popen(["true"])
        gone.wait()
        res = it.run_ember(["record", "-p", str(gone.pid), "-d", "1s"], timeout=30)
        self.assertEqual(res.returncode, 2, res.describe())
        self.assertIn(f"no process has pid {gone.pid}", res.stderr)


if __name__ == "__main__":
    it.main()
