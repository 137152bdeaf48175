"""The small records the ember API returns: frames, table rows, processes."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of a stack.

    name: the function (demangled); kind: native, kernel, python, java, node, go or
    a kind a runtime plugin registered; file and line: the source position when
    known; module: the ELF object, script or class file; inlined: the frame is a
    call the compiler inlined into the frame before it.
    """

    name: str
    kind: str
    file: str
    line: int
    module: str
    inlined: bool


@dataclass(frozen=True, slots=True)
class TopRow:
    """A function of `Profile.top()`, counted as `ember report --format top` counts it.

    self and total are fractions (0..1) of the profile's samples: self, the samples
    whose innermost frame is the function; total, the samples with the function
    anywhere in the stack (once per sample). file is the module when no source file
    is known.
    """

    name: str
    kind: str
    file: str
    self: float
    total: float
    self_samples: int
    total_samples: int


@dataclass(frozen=True, slots=True)
class DiffRow:
    """A function of `Profile.diff()`: its total share (0..1) before and after, and
    delta = after - before (negative: less of the CPU after). self_before and
    self_after are the self shares."""

    name: str
    kind: str
    file: str
    before: float
    after: float
    delta: float
    self_before: float
    self_after: float


@dataclass(frozen=True, slots=True)
class Process:
    """A profiled process as the agent saw it. container is the container's name,
    else its id; empty fields are unknown (or on the host)."""

    pid: int
    comm: str
    exe: str
    cmdline: str
    container: str
    pod: str
    service: str
