"""A thread that waits (on a socket, then for the GIL) while another holds
the GIL, with real BPF: its few on-CPU samples, under its own tid and name,
show its Python frame and below it the native frames where it waits
(sock_recv, PyEval_RestoreThread / take_gil, or the kernel's poll/futex).
pyenv 3.12: its interpreter keeps the symbols that name the wait."""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import ember_it as it  # noqa: E402
from cpython_it import CpythonTestCase, pyenv_python  # noqa: E402

WORKLOAD = os.path.join(HERE, "waits.py")
WAIT_FRAMES = ("sock_recv", "sock_call", "PyEval_RestoreThread", "take_gil",
               "pthread_cond_timedwait", "__x64_sys_poll", "__x64_sys_ppoll", "futex_wait")


class WaitsTest(CpythonTestCase):
    def test_waiting_thread_shows_where_it_waits(self):
        python = pyenv_python("3.12")
        self.require(python)
        scratch = it.scratch_dir(self)
        config = self.config()
        output = os.path.join(scratch, "waits.speedscope.json")
        proc = it.start(self, [python, WORKLOAD, 30])
        tid = int(re.search(r"tid io-wait=(\d+)", "\n".join(proc.lines)).group(1))
        res = it.record(self, output, pids=[proc.pid], duration=4, frequency=999, config=config)
        proc.stop()
        profiles = [p for p in it.Speedscope(output).for_pid(proc.pid) if p.tid == tid]
        self.assertEqual([p.thread for p in profiles], ["io-wait"], res.describe())
        stacks = profiles[0].stacks
        samples = sum(w for _, _, w in stacks)
        detail = "\nio-wait's stacks:\n" + it.summarize(stacks)
        self.assertGreaterEqual(samples, 5, "too few samples of the waiting thread" + detail)
        in_python = sum(w for names, kinds, w in stacks
                        if any(n == "io_wait" and k == "python" for n, k in zip(names, kinds)))
        self.assertGreaterEqual(it.share(in_python, samples), 90.0,
                                "io-wait's samples without its Python frame" + detail)
        waiting = sum(w for names, kinds, w in stacks if "io_wait" in names and
                      any(n in WAIT_FRAMES for n in names[names.index("io_wait") + 1:]))
        self.assertGreaterEqual(it.share(waiting, samples), 30.0,
                                "io-wait's samples don't show where it waits" + detail)
        print(f"\nio-wait: {samples} samples, {it.share(in_python, samples):.0f} % in io_wait, "
              f"{it.share(waiting, samples):.0f} % in a wait below it", file=sys.stderr)


if __name__ == "__main__":
    it.main()
