"""Fixed-window rate limits on the ephemeral store, with a precise "retry after".

A :class:`Limit` allows ``limit`` hits per ``window`` seconds for one subject (a phone
number, an IP address). The window starts at the subject's first hit and is never
extended, so a blocked subject is free again when it ends, however often it knocks.
Subjects are keyed by HMAC, so no phone number or address is written in the clear.

:meth:`RateLimiter.hit` checks every limit before counting, so a request refused by
one limit does not use up another (pressing "send code" twice in a minute must not
burn the hourly allowance); the count after the increment is checked again, so
concurrent requests cannot overshoot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from idp.authn.errors import RateLimited
from store.ephemeral import EphemeralStore


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` hits per ``window`` seconds; ``what`` names them in messages."""

    name: str
    limit: int
    window: int
    what: str

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window < 1:
            raise ValueError("a limit allows at least one hit per window of at least 1 s")


def subject_digest(key: bytes, subject: str) -> str:
    """A short keyed digest of ``subject`` for use in ephemeral-store keys."""
    mac = hmac.new(key, subject.encode("utf-8"), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def describe_wait(seconds: int) -> str:
    """``45 seconds``, ``3 minutes``, ``2 hours``: rounded up, for messages."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 3600:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(seconds / 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


class RateLimiter:
    def __init__(self, store: EphemeralStore, subject_key: bytes, *, prefix: str = "rl") -> None:
        self._store = store
        self._subject_key = subject_key
        self._prefix = prefix

    def hit(self, rules: Sequence[tuple[Limit, str]], *, now: datetime) -> None:
        """Count one hit against each (limit, subject); raise :class:`RateLimited` if
        any is exhausted, naming the longest wait."""
        self.check(rules, now=now)
        exceeded: list[tuple[int, Limit]] = []
        for limit, subject in rules:
            key = self._key(limit, subject)
            self._store.add(key + ":t", _stamp(now), limit.window)
            if self._store.incr(key, limit.window) > limit.limit:
                exceeded.append((self._retry_after(key, limit, now), limit))
        if exceeded:
            raise _limited(*max(exceeded, key=lambda pair: pair[0]))

    def check(self, rules: Sequence[tuple[Limit, str]], *, now: datetime) -> None:
        """Raise :class:`RateLimited` if any limit is already exhausted; count nothing."""
        exceeded = [
            (self._retry_after(self._key(limit, subject), limit, now), limit)
            for limit, subject in rules
            if self._store.count(self._key(limit, subject)) >= limit.limit
        ]
        if exceeded:
            raise _limited(*max(exceeded, key=lambda pair: pair[0]))

    def reset(self, limit: Limit, subject: str) -> None:
        """Forget the subject's hits against ``limit`` (e.g. when the action failed)."""
        key = self._key(limit, subject)
        self._store.delete(key)
        self._store.delete(key + ":t")

    def _key(self, limit: Limit, subject: str) -> str:
        return f"{self._prefix}:{limit.name}:{subject_digest(self._subject_key, subject)}"

    def _retry_after(self, key: str, limit: Limit, now: datetime) -> int:
        raw = self._store.get(key + ":t")
        try:
            started = float(raw) if raw is not None else now.timestamp()
        except ValueError:
            started = now.timestamp()
        return max(1, min(limit.window, math.ceil(started + limit.window - now.timestamp())))


def _stamp(now: datetime) -> bytes:
    return repr(now.timestamp()).encode("ascii")


def _limited(retry_after: int, limit: Limit) -> RateLimited:
    return RateLimited(
        f"too many {limit.what}; try again in {describe_wait(retry_after)}",
        retry_after=retry_after,
        detail=f"limit {limit.name}: {limit.limit} per {limit.window} s",
    )
