"""What bench/cpython, bench/jvm and bench/node drive alike: `ember record` in
the background, the options they share, the machine's description before a run
and a run's results written out.

Imported by their run.py with bench/ on sys.path (as bench/overhead is).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
from pathlib import Path
from typing import NamedTuple

from overhead import run as overhead

REPO = Path(__file__).resolve().parent.parent


class Stopped(NamedTuple):
    cpu_s: float  # the whole run's CPU time (wait4)
    samples: int  # "done: N samples" of its log
    max_rss_kib: int
    log: str


class EmberRecord:
    """`ember record` in the background, returned once it samples; its log is OUT.log."""

    def __init__(self, ember: Path, config: Path, out: Path, hz: int = 999, pids=(),
                 duration=None, extra=()):
        cmd = [str(ember), "record", "--frequency", str(hz), "--config", str(config),
               "--output", str(out), *extra]
        for pid in pids:
            cmd += ["--pid", str(pid)]
        if duration:
            cmd += ["--duration", str(duration)]
        self.log = Path(str(out) + ".log")
        with open(self.log, "wb") as f:
            self.proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        if not overhead.wait_for_text(self.log, r"sampling .* at \d+ Hz", self.proc, 60):
            raise RuntimeError(f"ember did not start:\n{self.log.read_text()[-2000:]}")

    def rss_kb(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))

    def stop(self, interrupt=True) -> Stopped:
        """SIGINT (unless it ends by itself: --duration, its pids gone), then the run's figures."""
        if interrupt and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        code, ru = overhead.wait_rusage(self.proc)
        text = self.log.read_text(errors="replace")
        if code != 0:
            raise RuntimeError(f"ember exited with {code}:\n{text[-2000:]}")
        m = re.search(r"done: (\d+) samples", text)
        return Stopped(overhead.cpu_seconds(ru), int(m.group(1)) if m else 0, ru.ru_maxrss, text)


def add_common_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--ember", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--wait-quiet", type=float, default=0, help="minutes, see bench/overhead")
    ap.add_argument("--max-load", type=float, default=0.5)
    ap.add_argument("--smoke", action="store_true",
                    help="tiny durations, one round; writes neither the docs nor results/")
    ap.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks.md")
    ap.add_argument("--from-results", type=Path,
                    help="re-render the section from a saved results JSON, measuring nothing")


def machine_before(args) -> dict:
    """The machine's description, after waiting for quiet when --wait-quiet asks."""
    q = overhead.wait_quiet(args.wait_quiet, args.max_load) if args.wait_quiet else None
    info = overhead.machine_info(argparse.Namespace(cc="cc"))
    info["quiet"] = overhead.quiet_text(q, args)
    return info


def save_run(here: Path, args, results: dict, section: str, begin: str, end: str) -> None:
    """HERE/results/last-run.json and the docs section between the markers."""
    out = here / "results"
    out.mkdir(exist_ok=True)
    (out / "last-run.json").write_text(json.dumps(results, indent=1))
    overhead.replace_section(args.doc, begin, end, section)
    overhead.log(f"wrote {args.doc} and {out / 'last-run.json'}")
