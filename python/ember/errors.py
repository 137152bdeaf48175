"""Exceptions of the ember package."""


class StoreError(OSError):
    """The store cannot be opened or read: corrupt, not an ember store, or written
    by a newer ember. The message says which and what to do."""
