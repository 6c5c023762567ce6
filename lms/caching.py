"""A small in-process cache: bounded, least recently used first out, safe across threads.

Each worker process keeps its own; what is kept must be derivable from the database at any
time (a rendered page, checked signatures, computed figures), never the only copy of anything.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedCache(Generic[V]):
    """At most `size` entries; `get` can refuse entries older than `max_age` seconds."""

    def __init__(self, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self.clock = clock

    def get(self, key: Hashable, max_age: float | None = None) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored_at, value = entry
            if max_age is not None and self.clock() - stored_at >= max_age:
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._entries[key] = (self.clock(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def get_or_compute(
        self,
        key: Hashable,
        compute: Callable[[], V],
        max_age: float | None = None,
        *,
        refresh: bool = False,
    ) -> V:
        """The kept value for `key` if younger than `max_age`, else `compute()`'s, kept.
        `max_age` 0 keeps nothing; `refresh` computes anew and keeps that."""
        if max_age == 0:
            return compute()
        if not refresh:
            kept = self.get(key, max_age)
            if kept is not None:
                return kept
        value = compute()
        self.put(key, value)
        return value

    def __contains__(self, key: Hashable) -> bool:
        return self.get(key) is not None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
