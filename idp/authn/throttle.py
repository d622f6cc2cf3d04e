"""Brute-force protection for logins, shared by every worker through the ephemeral store.

Failures are counted in three scopes, each with its own allowance before delays start:

* the (login name, source address) pair: a guesser at one address, tightly;
* the login name from anywhere: a distributed guesser, more loosely;
* the source address for any name: password spraying, loosely.

Past a scope's free failures, every further failure locks that scope for an
exponentially growing delay (1 s, 2 s, 4 s ...) that is **capped** (15 minutes by
default), and failure counts expire a fixed time after the first (24 hours), so no
one, not even an attacker failing on purpose, can lock an account for good: the
worst is one try per capped delay. Counting is by the *name typed*, so an unknown
name is throttled exactly like a real one and the two cannot be told apart.

:func:`verify_with_equal_work` makes the unknown-user path run the same password hash
as the wrong-password path, so response times do not reveal which names exist.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from idp.authn.errors import LoginThrottled
from idp.authn.ratelimit import describe_wait
from idp.authn.ratelimit import subject_digest
from store.ephemeral import EphemeralStore


@dataclass(frozen=True)
class ThrottleSettings:
    free_failures_pair: int = 5
    free_failures_login: int = 10
    free_failures_address: int = 50
    base_delay: int = 1
    #: No lock lasts longer than this (seconds).
    max_delay: int = 15 * 60
    #: Failures are forgotten this long after the first one (seconds).
    window: int = 24 * 3600


class LoginThrottle:
    """Tracks failed logins and refuses attempts while a scope is locked."""

    def __init__(
        self,
        store: EphemeralStore,
        subject_key: bytes,
        settings: ThrottleSettings | None = None,
    ) -> None:
        self._store = store
        self._subject_key = subject_key
        self.settings = settings or ThrottleSettings()

    def check(self, login: str, address: str, *, now: datetime) -> None:
        """Raise :class:`LoginThrottled` if this attempt must wait; count nothing."""
        waits = []
        for scope in self._scopes(login, address):
            raw = self._store.get(f"lt:lock:{scope}")
            if raw is None:
                continue
            try:
                remaining = float(raw) - now.timestamp()
            except ValueError:
                continue
            if remaining > 0:
                waits.append(math.ceil(remaining))
        if waits:
            wait = max(waits)
            raise LoginThrottled(
                f"too many failed logins; try again in {describe_wait(wait)}", retry_after=wait
            )

    def record_failure(self, login: str, address: str, *, now: datetime) -> None:
        """Count one failed attempt; lock each scope past its allowance."""
        s = self.settings
        frees = (s.free_failures_pair, s.free_failures_login, s.free_failures_address)
        for scope, free in zip(self._scopes(login, address), frees, strict=True):
            failures = self._store.incr(f"lt:fail:{scope}", s.window)
            if failures > free:
                delay = self.delay_after(failures - free)
                unlock = repr(now.timestamp() + delay).encode("ascii")
                self._store.put(f"lt:lock:{scope}", unlock, delay)

    def record_success(self, login: str, address: str) -> None:
        """Forget the failures of this name at this address and of this name anywhere.

        The address scope is kept: one success must not let a sprayer start afresh.
        A scope is locked only after failures were counted in it, so a scope without a
        failure count needs no deletes: the common case costs two reads, not four writes.
        """
        for scope in self._scopes(login, address)[:2]:
            if self._store.count(f"lt:fail:{scope}"):
                self._store.delete(f"lt:fail:{scope}")
                self._store.delete(f"lt:lock:{scope}")

    def delay_after(self, excess: int) -> int:
        """Seconds locked after the ``excess``-th failure beyond the allowance."""
        s = self.settings
        return int(min(s.max_delay, s.base_delay * 2 ** min(excess - 1, 30)))

    def _scopes(self, login: str, address: str) -> tuple[str, str, str]:
        name = unicodedata.normalize("NFKC", login).strip().casefold()
        key = self._subject_key
        return (
            f"pair:{subject_digest(key, name + chr(0) + address)}",
            f"login:{subject_digest(key, name)}",
            f"addr:{subject_digest(key, address)}",
        )


def verify_with_equal_work(
    verify: Callable[[str, str], bool], stored_hash: str | None, password: str, dummy_hash: str
) -> bool:
    """Verify ``password`` against ``stored_hash``, or against ``dummy_hash`` when the
    account does not exist, and only then answer.

    :param verify: the password hasher's ``verify(hash, password) -> bool`` (it must
        return ``False`` rather than raise on a mismatch).
    :param dummy_hash: a hash made once at start-up with the *same* parameters as real
        ones, so both paths cost the same.
    """
    ok = verify(stored_hash if stored_hash is not None else dummy_hash, password)
    return ok and stored_hash is not None
