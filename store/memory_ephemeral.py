"""An in-process :class:`~store.ephemeral.EphemeralStore` for unit tests.

Not for serving: its data dies with the process and is invisible to other workers.
The clock is a parameter, so tests move time instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from store.ephemeral import check_entry


class MemoryEphemeralStore:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[str, tuple[bytes, float]] = {}
        self._counters: dict[str, tuple[int, float]] = {}

    def put(self, key: str, value: bytes, ttl: int) -> None:
        check_entry(key, ttl)
        with self._lock:
            self._counters.pop(key, None)
            self._values[key] = (bytes(value), self._clock() + ttl)

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        check_entry(key, ttl)
        with self._lock:
            if self._live_value(key) is not None or self._live_count(key):
                return False
            self._values[key] = (bytes(value), self._clock() + ttl)
            return True

    def get(self, key: str) -> bytes | None:
        check_entry(key)
        with self._lock:
            return self._live_value(key)

    def take(self, key: str) -> bytes | None:
        check_entry(key)
        with self._lock:
            value = self._live_value(key)
            self._values.pop(key, None)
            return value

    def delete(self, key: str) -> None:
        check_entry(key)
        with self._lock:
            self._values.pop(key, None)
            self._counters.pop(key, None)

    def incr(self, key: str, ttl: int) -> int:
        check_entry(key, ttl)
        with self._lock:
            self._values.pop(key, None)
            current = self._counters.get(key)
            now = self._clock()
            if current is None or current[1] <= now:
                self._counters[key] = (1, now + ttl)
                return 1
            self._counters[key] = (current[0] + 1, current[1])
            return current[0] + 1

    def count(self, key: str) -> int:
        check_entry(key)
        with self._lock:
            return self._live_count(key)

    def ping(self) -> None:
        return None

    def _live_value(self, key: str) -> bytes | None:
        entry = self._values.get(key)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    def _live_count(self, key: str) -> int:
        entry = self._counters.get(key)
        if entry is None or entry[1] <= self._clock():
            return 0
        return entry[0]
