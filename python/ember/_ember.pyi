"""Type hints of the C++ module ember._ember (python/src). Use the `ember` package;
these classes are its internals."""
from typing import Any

class ProfileData:
    """An immutable profile held in C++; wrapped by ember.Profile."""
    @property
    def total(self) -> int: ...
    @property
    def start_ns(self) -> int: ...
    @property
    def end_ns(self) -> int: ...
    @property
    def frequency_hz(self) -> int: ...
    @property
    def host(self) -> str: ...
    @property
    def has_processes(self) -> bool: ...
    def frames(self) -> list[tuple[str, str, str, int, str, bool]]:
        """(name, kind, file, line, module, inlined) of every distinct frame."""
    def stack_counts(self) -> list[tuple[tuple[int, ...], int]]:
        """(frame indices root first, samples) of every distinct stack."""
    def top_rows(self, by: str, n: int) -> list[tuple[str, str, str, int, int]]:
        """(name, kind, file, self samples, total samples); n=0: all."""
    def runtime_view(self) -> ProfileData:
        """Interpreter internals folded into their callers (ember report's default)."""
    def diff_rows(self, after: ProfileData, n: int
                  ) -> list[tuple[str, str, str, float, float, float, float]]:
        """(name, kind, file, total before, total after, self before, self after)."""
    def filtered(self, pids: list[int], processes: list[str], containers: list[str],
                 services: list[str], pods: list[str], kinds: list[str]) -> ProfileData:
        """The samples the filter keeps; ValueError when none."""
    def focused(self, name: str) -> ProfileData:
        """The subtree of the function `name`; ValueError when no frame has it."""
    def merged(self, other: ProfileData) -> ProfileData:
        """Both profiles in one."""
    def render(self, format: str, title: str) -> bytes:
        """folded, speedscope, pprof or svg bytes."""
    def frame_columns(self) -> dict[str, Any]:
        """numpy arrays sample, depth, frame, leaf, samples, pid, tid."""
    def processes(self) -> list[tuple[int, str, str, str, str, str, str]]:
        """(pid, comm, exe, cmdline, container, pod, service)."""
    def metric_columns(self, pid: int) -> tuple[dict[str, list], dict[str, list]]:
        """Host and per-process metric columns; pid < 0: every process."""

class StoreHandle:
    """An open store; wrapped by ember.Store."""
    @staticmethod
    def open(path: str) -> StoreHandle:
        """Opens read-only; ValueError says what is wrong."""
    def summary(self) -> dict[str, Any]:
        """first_ns, last_ns, windows, hosts, services, processes, kinds."""
    def resolve_range(self, start: str, end: str, now_ns: int) -> tuple[int, int]:
        """`ember report --from/--to` texts as nanoseconds."""
    def read(self, from_ns: int, to_ns: int, pids: list[int], processes: list[str],
             containers: list[str], services: list[str], pods: list[str],
             kinds: list[str]) -> ProfileData:
        """The range's samples the filter keeps, as `ember report` reads them."""
    def read_all(self, from_ns: int, to_ns: int) -> ProfileData:
        """Every window of the range merged, unchecked."""
    def windows(self, from_ns: int, to_ns: int) -> list[tuple[int, int]]:
        """(start_ns, end_ns) of each stored window."""

def from_folded(text: str) -> ProfileData:
    """A profile from collapsed stacks."""
def from_pprof(data: bytes) -> ProfileData:
    """A profile from pprof bytes."""
