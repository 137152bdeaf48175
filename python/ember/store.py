"""`open_store` and `Store`: the agent's local profile store, read-only (it may be
read while the agent writes it)."""
from __future__ import annotations

import datetime as _dt
import os
from typing import Optional, Union

from . import _ember
from ._times import TimeSpec, from_ns, now_ns, time_text
from .errors import StoreError
from .profile import FilterValue, PathLike, PidValue, Profile, filter_arguments
from .rows import Process

DEFAULT_CONFIG = "/etc/ember/ember.toml"
DEFAULT_STORE = "/var/lib/ember/ember.db"


def default_store_path(config: Optional[PathLike] = None) -> str:
    """The store `ember report` reads without --store: the [sink.store] path of
    `config` (default /etc/ember/ember.toml, when it exists), else
    /var/lib/ember/ember.db."""
    import tomllib
    path = os.fspath(config) if config is not None else DEFAULT_CONFIG
    if config is None and not os.path.exists(path):
        return DEFAULT_STORE
    try:
        with open(path, "rb") as f:
            parsed = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: {e}") from None
    store = parsed.get("sink", {}).get("store", {}).get("path")
    return store if isinstance(store, str) and store else DEFAULT_STORE


def open_store(path: Optional[PathLike] = None, *, config: Optional[PathLike] = None
               ) -> "Store":
    """Opens the store at `path` read-only (default: as `ember report` finds it,
    see default_store_path). Raises FileNotFoundError when there is no such file,
    StoreError when it is not a readable ember store."""
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a str or a path, not {type(path).__name__}")
    path = os.fspath(path) if path is not None else default_store_path(config)
    if not os.path.exists(path):
        raise FileNotFoundError(2, "no ember store (is emberd running with [sink.store] "
                                   "enabled?)", path)
    try:
        handle = _ember.StoreHandle.open(path)
    except ValueError as e:
        raise StoreError(f"{path}: {e}") from None
    return Store(handle, path)


class Store:
    """An open store. Times given to its methods are datetimes (naive ones are
    UTC), epoch seconds, or `ember report`'s texts ("-15m", "now",
    "2026-11-25T19:05:12Z"); None is the store's oldest window (start) or now
    (end)."""

    __slots__ = ("_handle", "path")

    def __init__(self, handle: _ember.StoreHandle, path: str) -> None:
        self._handle = handle
        self.path = path

    def __repr__(self) -> str:
        return f"<ember.Store {self.path!r}>"

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def _range(self, start: TimeSpec, end: TimeSpec) -> tuple[int, int]:
        return self._handle.resolve_range(time_text(start, "start"), time_text(end, "end"),
                                          now_ns())

    def time_span(self) -> tuple[_dt.datetime, _dt.datetime]:
        """(start of the oldest window, end of the newest), UTC. An empty store
        raises ValueError."""
        summary = self._handle.summary()
        if summary["windows"] == 0:
            raise ValueError(f"{self.path}: the store holds no windows yet")
        return from_ns(summary["first_ns"]), from_ns(summary["last_ns"])

    def services(self) -> list[str]:
        """The service labels of the stored processes, sorted."""
        return sorted(self._handle.summary()["services"])

    def windows(self, start: TimeSpec = None, end: TimeSpec = None
                ) -> list[tuple[_dt.datetime, _dt.datetime]]:
        """The stored windows overlapping the range, oldest first."""
        return [(from_ns(a), from_ns(b)) for a, b in self._handle.windows(*self._range(start, end))]

    def processes(self, start: TimeSpec = None, end: TimeSpec = None) -> list[Process]:
        """The processes with samples in the range."""
        return [Process(*p) for p in self._handle.read_all(*self._range(start, end)).processes()]

    def profile(self, start: TimeSpec = None, end: TimeSpec = None, *, pid: PidValue = None,
                process: FilterValue = None, service: FilterValue = None,
                container: FilterValue = None, pod: FilterValue = None,
                kind: FilterValue = None) -> Profile:
        """The range's samples, merged, that the filters keep: `ember report`'s
        --from/--to/--pid/--process/--service/--container/--pod/--kind, with its
        checks. Each filter takes a value or a list of alternatives. An unknown
        service or kind, an empty range or a filter that matches nothing raises
        ValueError saying what the store holds."""
        first, last = self._range(start, end)
        return Profile(self._handle.read(
            first, last, **filter_arguments(pid, process, service, container, pod, kind)))

    def metrics(self, start: TimeSpec = None, end: TimeSpec = None,
                pid: Optional[int] = None):
        """Host and per-process utilisation steps of the range: (host, processes),
        each a pandas DataFrame when pandas is importable, else a dict of lists.
        host: time (UTC), cpu_utilization (0..1 of all CPUs), memory_total_bytes,
        memory_available_bytes; processes: time, pid, cpu_cores (1.0 = one core
        busy), rss_bytes. `pid` keeps one process's steps."""
        if pid is not None and (isinstance(pid, bool) or not isinstance(pid, int)):
            raise TypeError(f"pid: expected an int, not {type(pid).__name__}")
        data = self._handle.read_all(*self._range(start, end))
        host, processes = data.metric_columns(-1 if pid is None else pid)
        try:
            import pandas as pd
        except ImportError:
            return host, processes
        frames = []
        for columns in (host, processes):
            frame = pd.DataFrame(columns)
            frame.insert(0, "time", pd.to_datetime(frame.pop("time_ns"), unit="ns", utc=True))
            frames.append(frame)
        return tuple(frames)
