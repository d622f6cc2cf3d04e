"""The ephemeral store port: short-lived values with a time to live.

Authorization codes, PAR request URIs, browser sessions, one-time codes, rate-limit
counters and replay caches all live here. Two adapters implement it, Redis
(:mod:`store.redis_ephemeral`) and a SQL table (:mod:`store.sql_ephemeral`), and one
contract suite (``tests/contract/test_ephemeral_store.py``) holds both to the same
behaviour. :mod:`store.memory_ephemeral` is the fake for unit tests.
"""

from __future__ import annotations

from typing import Protocol
from typing import runtime_checkable

#: Longest time to live accepted: short-lived data, not a second database.
MAX_TTL_SECONDS = 31 * 24 * 3600
#: Longest key accepted (the SQL adapter's column width).
MAX_KEY_LENGTH = 200


@runtime_checkable
class EphemeralStore(Protocol):
    """Key/value storage whose entries expire.

    Keys are short strings, values are bytes, ``ttl`` is in whole seconds
    (1 .. :data:`MAX_TTL_SECONDS`). An expired entry behaves exactly like a missing one.
    Every method raises :class:`store.errors.EphemeralUnavailable` when the backend
    cannot be reached, never a driver exception.
    """

    def put(self, key: str, value: bytes, ttl: int) -> None:
        """Store ``value`` under ``key``, replacing any entry, for ``ttl`` seconds."""
        ...

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        """Store only if ``key`` is absent; return whether this call stored it.

        Of any number of concurrent callers, exactly one gets ``True``: the building
        block of replay caches (a JWT ``jti`` is accepted once).
        """
        ...

    def get(self, key: str) -> bytes | None:
        """The value, or ``None`` when absent or expired."""
        ...

    def take(self, key: str) -> bytes | None:
        """Return the value and delete it, atomically.

        Of any number of concurrent callers, exactly one gets the value: an
        authorization code is redeemed once.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        ...

    def incr(self, key: str, ttl: int) -> int:
        """Add one to a counter and return the new count.

        The first increment starts a window of ``ttl`` seconds; later increments do
        not extend it, so a rate limit's window is fixed from its first hit.
        """
        ...

    def count(self, key: str) -> int:
        """The counter's current value, 0 when absent or expired."""
        ...

    def ping(self) -> None:
        """Raise :class:`store.errors.EphemeralUnavailable` if the backend is unreachable."""
        ...


def check_entry(key: str, ttl: int | None = None) -> None:
    """Reject keys and TTLs that every adapter must refuse in the same way."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"ephemeral key must be 1..{MAX_KEY_LENGTH} characters")
    if ttl is not None and not 1 <= ttl <= MAX_TTL_SECONDS:
        raise ValueError(f"ttl must be 1..{MAX_TTL_SECONDS} seconds, got {ttl}")
