"""ember: the profiles of the ember continuous profiler as data.

    import ember
    store = ember.open_store()              # the agent's local store, read-only
    p = store.profile("-1h", service="api")  # a Profile: merged samples of the range
    for row in p.top(10):
        print(f"{row.self:6.1%} {row.name}")

The tables (top, diff), filters and files are computed in C++ by the code of
`ember report`, so both give the same numbers. See docs/python.md.
"""
from .errors import StoreError
from .profile import Profile
from .record import record
from .rows import DiffRow, Frame, Process, TopRow
from .store import Store, default_store_path, open_store

__all__ = ["DiffRow", "Frame", "Process", "Profile", "Store", "StoreError", "TopRow",
           "default_store_path", "open_store", "record"]
