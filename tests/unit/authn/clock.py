"""One fake clock for the memory store and the ``now`` passed to the code under test."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
