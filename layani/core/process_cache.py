"""Rows that change a few times a year, kept in each process's memory (configuration read on
every call-next, every webhook, every search).

`ProcessCache.get(key, load, version=...)` returns what `load()` gave for `key`, loaded at
most `max_age` seconds ago and at the same `version`. Callers that can tell a change pass a
version read cheaply from the database (a stamp row their saves move), so every process sees
a change at its next use; callers that cannot rely on the age alone, and forget at once what
this process itself changed (model signals). Thread-safe; at most `max_entries` keys, so
junk keys (random webhook addresses) cannot grow memory without bound.
"""

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class ProcessCache(Generic[V]):
    def __init__(self, max_age: float, *, max_entries: int = 4096) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, object, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V], *, version: object = None) -> V:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[1] == version and now - entry[0] < self.max_age:
            return entry[2]
        value = load()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now, version, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
