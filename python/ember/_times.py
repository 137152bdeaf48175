"""Times of the API (datetime, epoch seconds or `ember report`'s texts) as the texts
the C++ side parses (core/profile/report/time_spec.hpp), and back."""
from __future__ import annotations

import datetime as _dt
from typing import Union

TimeSpec = Union[_dt.datetime, int, float, str, None]


def time_text(value: TimeSpec, name: str) -> str:
    """`value` as a time text: "" for None (the default of the range's side)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError(f"{name}: expected a datetime, epoch seconds or a time text, "
                        f"not {type(value).__name__}")
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:  # naive: UTC, as ember prints times
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{name}: {value} is not a time")
        return f"{value:.9f}"
    if isinstance(value, str):
        return value
    raise TypeError(f"{name}: expected a datetime, epoch seconds or a time text such as "
                    f"'-15m' or '2026-11-25T19:05:12Z', not {type(value).__name__}")


def from_ns(ns: int) -> _dt.datetime:
    """Wall-clock nanoseconds as an aware UTC datetime (microsecond precision)."""
    epoch = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
    return epoch + _dt.timedelta(microseconds=ns // 1000)


def now_ns() -> int:
    import time
    return time.time_ns()
