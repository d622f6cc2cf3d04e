"""Pages show stored UTC times in China Standard Time."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from tongban.app import local_time


def test_a_utc_time_after_16_00_is_the_next_day_here() -> None:
    moment = datetime(2024, 5, 19, 16, 0, tzinfo=UTC)
    assert local_time(moment, "%Y-%m-%d") == "2024-05-20"
    assert local_time(moment) == "2024-05-20 00:00"


def test_a_naive_time_is_read_as_utc_and_other_zones_are_converted() -> None:
    assert local_time(datetime(2026, 11, 27, 2, 30)) == "2026-11-27 10:30"
    tokyo = timezone(timedelta(hours=9))
    assert local_time(datetime(2026, 11, 27, 9, 0, tzinfo=tokyo), "%H:%M") == "08:00"
