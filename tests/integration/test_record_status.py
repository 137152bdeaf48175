#!/usr/bin/env python3
"""`ember record` on a terminal shows one live status line (elapsed time,
samples, lost samples, processes seen) and takes it down when sampling stops;
with stderr in a pipe or a file nothing extra is written.

Truth: the terminal is a real pseudo-terminal (pty.fork); the command is the
spin workload for 3 s, so the line is drawn at least twice, and the profile
written at the end holds at least as many samples as the last line said.
"""
import os
import pty
import re
import select
import time
import unittest

import ember_it as it

STATUS = re.compile(r"ember record: (\d+) s, (\d+) samples, (\d+) lost, (\d+) process(?:es)?")
CLEAR = "\r\033[K"
SECONDS = 3


def run_on_terminal(argv, timeout):
    """Runs argv with stdin, stdout and stderr on a new pty; returns
    (exit status, everything it wrote)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        out += data
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


class RecordStatus(unittest.TestCase):
    def command(self, name):
        return ["--", it.copy_workload(self, "spin", name), str(SECONDS)]

    def test_status_line_on_a_terminal(self):
        out = os.path.join(it.scratch_dir(self), "status.folded")
        argv = [it.EMBER] + it.record_args(output=out) + self.command("it_status_tty")
        code, text = run_on_terminal(argv, timeout=SECONDS + 45)
        it.check_sanitizers(it.Result(argv[1:], code, "", text, out))
        self.assertEqual(code, 0, text[-3000:])
        lines = [(m.start(), [int(g) for g in m.groups()]) for m in STATUS.finditer(text)]
        self.assertGreaterEqual(len(lines), 2, f"no live status line drawn:\n{text[-3000:]}")
        samples = [fields[1] for _, fields in lines]
        self.assertEqual(samples, sorted(samples), "the sample count went backwards")
        self.assertGreater(samples[-1], 0, text[-3000:])
        self.assertTrue(all(fields[3] >= 1 for _, fields in lines[1:]),
                        "no process counted once samples came")
        for start, _ in lines:
            self.assertEqual(text[start - len(CLEAR):start], CLEAR,
                             "a status line not drawn over a cleared line")
        last_end = STATUS.search(text, lines[-1][0]).end()
        rest = text[last_end:]
        self.assertTrue(rest.startswith(" (Ctrl-C stops)" + CLEAR), repr(rest[:80]))
        self.assertNotIn("ember record:", rest, "the line was drawn again after sampling stopped")
        total = sum(c for _, c in it.folded_by_comm(it.parse_folded(out), "it_status_tty"))
        self.assertGreaterEqual(total, samples[-1],
                                "the status line counted more samples than the profile has")
        print(f"\nstatus: {len(lines)} lines drawn, last said {samples[-1]} samples; "
              f"the profile has {total}")

    def test_nothing_extra_without_a_terminal(self):
        out = os.path.join(it.scratch_dir(self), "plain.folded")
        res = it.run_ember(it.record_args(output=out) + self.command("it_status_pipe"),
                           timeout=SECONDS + 45, output=out)
        self.assertEqual(res.returncode, 0, res.describe())
        self.assertIsNone(STATUS.search(res.stderr), res.describe())
        self.assertNotIn("\r", res.stderr, res.describe())
        self.assertIn("done:", res.stderr, res.describe())


if __name__ == "__main__":
    it.main()
