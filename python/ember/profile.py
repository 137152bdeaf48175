"""`Profile`: stacks and their sample counts, with the operations of `ember report`
(top, diff, filters) computed in C++ by the same code."""
from __future__ import annotations

import datetime as _dt
import os
from typing import Iterator, Optional, Sequence, Union

from . import _ember
from ._times import from_ns
from .rows import DiffRow, Frame, Process, TopRow

FilterValue = Union[str, Sequence[str], None]
PidValue = Union[int, Sequence[int], None]
PathLike = Union[str, "os.PathLike[str]"]


def _strings(value: FilterValue, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            if not isinstance(item, str):
                raise TypeError(f"{name}: expected a string or a list of strings, "
                                f"got a {type(item).__name__} in the list")
        return list(value)
    raise TypeError(f"{name}: expected a string or a list of strings, "
                    f"not {type(value).__name__}")


def _pids(value: PidValue) -> list[int]:
    if value is None:
        return []
    items = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int):
            raise TypeError(f"pid: expected an int or a list of ints, "
                            f"not {type(item).__name__}")
        if not 0 <= item < 2**32:
            raise ValueError(f"pid: {item} is not a process id")
    return items


def filter_arguments(pid: PidValue, process: FilterValue, service: FilterValue,
                     container: FilterValue, pod: FilterValue, kind: FilterValue) -> dict:
    """The keyword filters as the C++ side takes them (one list per filter)."""
    return dict(pids=_pids(pid), processes=_strings(process, "process"),
                containers=_strings(container, "container"),
                services=_strings(service, "service"), pods=_strings(pod, "pod"),
                kinds=_strings(kind, "kind"))


def _write(path: PathLike, data: bytes) -> None:
    with open(os.fspath(path), "wb") as out:
        out.write(data)


class Profile:
    """Samples of stacks over a time range: from `Store.profile()`, `ember.record()`,
    `Profile.from_folded()` or `Profile.from_pprof()`. Immutable: filter, focus and
    merge return new profiles."""

    __slots__ = ("_data", "_frames")

    def __init__(self, data: _ember.ProfileData) -> None:
        if not isinstance(data, _ember.ProfileData):
            raise TypeError("Profile is made by Store.profile(), ember.record(), "
                            "Profile.from_folded() or Profile.from_pprof()")
        self._data = data
        self._frames: Optional[list[Frame]] = None

    def __repr__(self) -> str:
        return (f"<ember.Profile {self.total} samples, {self.start.isoformat()} to "
                f"{self.end.isoformat()}>")

    @property
    def total(self) -> int:
        """The number of samples."""
        return self._data.total

    @property
    def start(self) -> _dt.datetime:
        """Start of the covered span (UTC)."""
        return from_ns(self._data.start_ns)

    @property
    def end(self) -> _dt.datetime:
        """End of the covered span (UTC, exclusive)."""
        return from_ns(self._data.end_ns)

    @property
    def frequency_hz(self) -> int:
        """Samples per second per CPU the profile was taken at (0 when unknown)."""
        return self._data.frequency_hz

    def frames(self) -> list[Frame]:
        """Every distinct frame of the profile."""
        if self._frames is None:
            self._frames = [Frame(*f) for f in self._data.frames()]
        return self._frames

    def stacks(self) -> Iterator[tuple[tuple[Frame, ...], int]]:
        """Each distinct stack, root first, with its samples (summed over processes
        and threads)."""
        frames = self.frames()
        for indices, count in self._data.stack_counts():
            yield tuple(frames[i] for i in indices), count

    def processes(self) -> list[Process]:
        """The processes with samples in the profile."""
        return [Process(*p) for p in self._data.processes()]

    def top(self, n: int = 25, by: str = "self", native: bool = False) -> list[TopRow]:
        """The n functions with the most samples, as `ember report --format top`
        counts them; `by` is "self" (the report's order) or "total"; n=0: all.
        In the runtime view (see `runtime_view`) unless native=True, as the
        report without and with --native."""
        n = _count(n, "n")
        if not isinstance(by, str):
            raise TypeError(f"by: expected \"self\" or \"total\", not {type(by).__name__}")
        total = self.total
        return [TopRow(name, kind, file, s / total if total else 0.0,
                       t / total if total else 0.0, s, t)
                for name, kind, file, s, t in self._view(native).top_rows(by, n)]

    def diff(self, other: "Profile", n: int = 25, native: bool = False) -> list[DiffRow]:
        """How each function's share of the samples moved from this profile (before)
        to `other` (after), as `ember report --diff` computes it: the biggest
        |delta| first; delta < 0 means less of the CPU after. n=0: all. In the
        runtime view unless native=True."""
        _check_profile(other, "other")
        n = _count(n, "n")
        return [DiffRow(name, kind, file, before, after, after - before, sb, sa)
                for name, kind, file, before, after, sb, sa
                in self._view(native).diff_rows(other._view(native), n)]

    def runtime_view(self) -> "Profile":
        """The profile as `ember report` shows it by default: the interpreters' own
        code (CPython's eval loop and builtins, libjvm.so, node's V8) folded into
        the Python, Java or JavaScript frame calling it, C extensions, other
        libraries and the kernel kept, and a module's unsymbolized addresses as
        one "module [no symbols]" frame. The profile itself keeps every frame as
        recorded; exports write what they are called on."""
        return Profile(self._data.runtime_view())

    def _view(self, native: bool) -> _ember.ProfileData:
        if not isinstance(native, bool):
            raise TypeError(f"native: expected a bool, not {type(native).__name__}")
        return self._data if native else self._data.runtime_view()

    def filter(self, *, pid: PidValue = None, process: FilterValue = None,
               service: FilterValue = None, container: FilterValue = None,
               pod: FilterValue = None, kind: FilterValue = None) -> "Profile":
        """The samples the filters keep (the keywords of `Store.profile`): values of
        one keyword are alternatives, different keywords must all match. A filter
        that matches nothing raises ValueError naming what the profile holds."""
        return Profile(self._data.filtered(
            **filter_arguments(pid, process, service, container, pod, kind)))

    def focus(self, name: str) -> "Profile":
        """The samples with a frame named `name`, each stack cut to start at the
        outermost such frame (the function's subtree)."""
        if not isinstance(name, str):
            raise TypeError(f"name: expected a str, not {type(name).__name__}")
        return Profile(self._data.focused(name))

    def merge(self, other: "Profile") -> "Profile":
        """Both profiles' samples in one profile spanning both."""
        _check_profile(other, "other")
        return Profile(self._data.merged(other._data))

    def to_folded(self) -> str:
        """Collapsed stacks (flamegraph.pl's input), the process's name as the first
        frame of each line (none for a profile read from folded text)."""
        return self._data.render("folded", "").decode("utf-8", "replace")

    def to_pprof(self, path: PathLike) -> None:
        """Writes a gzip-compressed pprof profile (`go tool pprof` reads it)."""
        _write(path, self._data.render("pprof", ""))

    def to_speedscope(self, path: PathLike, name: str = "ember") -> None:
        """Writes a speedscope JSON file (speedscope.app)."""
        _write(path, self._data.render("speedscope", name))

    def to_svg(self, path: PathLike, title: str = "ember") -> None:
        """Writes an interactive SVG flame graph."""
        _write(path, self._data.render("svg", title))

    def to_dataframe(self, per: str = "frame"):
        """The profile as a pandas DataFrame.

        per="frame" (default): one row per (sample, frame depth), root first:
        columns sample (the sample row: one stack in one thread), depth (0 = root),
        name, kind, file, line, module, inlined, leaf (the innermost frame: its
        samples are the function's self samples), samples (the sample row's count),
        pid, tid. Names and kinds are categoricals.

        per="function": the `top()` table: name, kind, file, self, total (shares),
        self_samples, total_samples, by self samples.
        """
        import pandas as pd
        if per == "function":
            rows = self._data.top_rows("self", 0)
            frame = pd.DataFrame(rows, columns=["name", "kind", "file", "self_samples",
                                                "total_samples"])
            total = self.total or 1
            frame.insert(3, "self", frame["self_samples"] / total)
            frame.insert(4, "total", frame["total_samples"] / total)
            return frame
        if per != "frame":
            raise ValueError(f"per: expected \"frame\" or \"function\", not {per!r}")
        columns = self._data.frame_columns()
        frames = self._data.frames()
        codes = columns["frame"]
        out = {"sample": columns["sample"], "depth": columns["depth"]}
        for i, field in enumerate(("name", "kind", "file", "line", "module", "inlined")):
            values = [f[i] for f in frames]
            if field in ("line", "inlined"):
                import numpy as np
                out[field] = np.asarray(values, dtype="uint32" if field == "line"
                                        else "bool")[codes]
            else:
                categories = pd.Index(values).unique()
                out[field] = pd.Categorical.from_codes(
                    categories.get_indexer(values)[codes], categories=categories)
        for field in ("leaf", "samples", "pid", "tid"):
            out[field] = columns[field]
        return pd.DataFrame(out)

    @staticmethod
    def from_folded(text_or_path: Union[str, "os.PathLike[str]"]) -> "Profile":
        """A profile from collapsed stacks ("a;b;c 12" lines, flamegraph.pl's
        input): the text itself, or the path of a file holding it. Frames ending
        in _[k] are kernel frames, _[i] inlined ones."""
        if isinstance(text_or_path, os.PathLike) or (
                isinstance(text_or_path, str) and "\n" not in text_or_path
                and os.path.isfile(text_or_path)):
            with open(os.fspath(text_or_path), encoding="utf-8", errors="replace") as f:
                text_or_path = f.read()
        if not isinstance(text_or_path, str):
            raise TypeError(f"expected folded text or a path, "
                            f"not {type(text_or_path).__name__}")
        return Profile(_ember.from_folded(text_or_path))

    @staticmethod
    def from_pprof(path: PathLike) -> "Profile":
        """A profile from a pprof file (gzip-compressed or not): ember's, or another
        profiler's such as `go tool pprof -proto` of a Go CPU profile."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path: expected a str or a path, not {type(path).__name__}")
        with open(os.fspath(path), "rb") as f:
            data = f.read()
        return Profile(_ember.from_pprof(data))


def _count(n: int, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name}: expected an int, not {type(n).__name__}")
    if n < 0:
        raise ValueError(f"{name}: expected 0 (all) or more, not {n}")
    return n


def _check_profile(other: object, name: str) -> None:
    if not isinstance(other, Profile):
        raise TypeError(f"{name}: expected an ember.Profile, not {type(other).__name__}")
