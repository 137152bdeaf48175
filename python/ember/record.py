"""`ember.record`: a profile taken now with the BPF sampler, through the `ember
record` command."""
from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from typing import Optional, Sequence, Union

from .profile import Profile

CAP_PERFMON = 38
CAP_BPF = 39


def _missing_capabilities() -> list[str]:
    """The capabilities `ember record` needs that this process lacks."""
    if os.geteuid() == 0:
        return []
    effective = 0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("CapEff:"):
                effective = int(line.split()[1], 16)
    return [name for bit, name in ((CAP_BPF, "CAP_BPF"), (CAP_PERFMON, "CAP_PERFMON"))
            if not effective >> bit & 1]


def _cli() -> str:
    path = os.environ.get("EMBER_CLI")
    if path:
        return path
    from ._install import EMBER_CLI
    return EMBER_CLI


def record(pid: Union[int, Sequence[int], None] = None, seconds: float = 10,
           frequency: int = 99, command: Union[str, Sequence[str], None] = None) -> Profile:
    """Profiles for `seconds` at `frequency` Hz per CPU and returns the profile:
    the processes `pid` (an int or a list), or the process `command` starts (a
    command line or an argument list; terminated when the recording ends if it
    still runs), or the whole system. Needs root, or CAP_BPF and CAP_PERFMON:
    otherwise PermissionError names what is missing. The `ember` command used is
    $EMBER_CLI, else the one installed with this package."""
    pids = [] if pid is None else ([pid] if isinstance(pid, int) else list(pid))
    for p in pids:
        if isinstance(p, bool) or not isinstance(p, int) or p <= 0:
            raise TypeError(f"pid: expected a process id or a list of them, not {p!r}")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
        raise ValueError(f"seconds: expected a positive number, not {seconds!r}")
    if isinstance(frequency, bool) or not isinstance(frequency, int) or \
            not 1 <= frequency <= 10000:
        raise ValueError(f"frequency: expected an int from 1 to 10000, not {frequency!r}")
    if command is not None and pids:
        raise ValueError("give pid or command, not both")
    missing = _missing_capabilities()
    if missing:
        raise PermissionError("ember.record needs root, or the capabilities "
                              "CAP_BPF and CAP_PERFMON; this process lacks "
                              + " and ".join(missing))
    child = None
    if command is not None:
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        child = subprocess.Popen(argv)
        pids = [child.pid]
    with tempfile.TemporaryDirectory(prefix="ember-record-") as tmp:
        output = os.path.join(tmp, "profile.pb.gz")
        argv = [_cli(), "record", "--duration", f"{seconds:g}", "--frequency", str(frequency),
                "--output", output, "--log-level", "warn"]
        for p in pids:
            argv += ["--pid", str(p)]
        try:
            done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        finally:
            if child is not None and child.poll() is None:
                child.terminate()
                child.wait()
        if done.returncode != 0:
            raise RuntimeError(f"ember record failed ({done.returncode}): "
                               f"{done.stderr.strip()}")
        return Profile.from_pprof(output)
