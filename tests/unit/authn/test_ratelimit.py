from __future__ import annotations

import pytest

from idp.authn.errors import RateLimited
from idp.authn.ratelimit import Limit
from idp.authn.ratelimit import RateLimiter
from idp.authn.ratelimit import describe_wait
from store.memory_ephemeral import MemoryEphemeralStore
from tests.unit.authn.clock import Clock

PER_MINUTE = Limit("m", 1, 60, "codes for this number")
PER_HOUR = Limit("h", 3, 3600, "codes for this number")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limiter(clock: Clock) -> tuple[RateLimiter, MemoryEphemeralStore]:
    store = MemoryEphemeralStore(clock=clock)
    return RateLimiter(store, b"k" * 32), store


def test_window_counts_from_first_hit_and_says_when(limiter, clock: Clock) -> None:
    rl, _ = limiter
    rules = [(PER_MINUTE, "13812345678"), (PER_HOUR, "13812345678")]
    rl.hit(rules, now=clock.now)
    clock.advance(20)
    with pytest.raises(RateLimited, match="try again in 40 seconds") as info:
        rl.hit(rules, now=clock.now)
    assert info.value.retry_after == 40
    assert info.value.http_status == 429
    clock.advance(40)
    rl.hit(rules, now=clock.now)
    clock.advance(60)
    rl.hit(rules, now=clock.now)
    clock.advance(60)
    with pytest.raises(RateLimited, match="try again in 57 minutes") as info:
        rl.hit(rules, now=clock.now)
    assert info.value.retry_after == 3600 - 180


def test_a_refused_hit_does_not_use_up_other_limits(limiter, clock: Clock) -> None:
    rl, _ = limiter
    rules = [(PER_MINUTE, "p"), (PER_HOUR, "p")]
    rl.hit(rules, now=clock.now)
    for _ in range(5):
        with pytest.raises(RateLimited):
            rl.hit(rules, now=clock.now)
    clock.advance(60)
    rl.hit(rules, now=clock.now)  # The hourly allowance still has room.


def test_subjects_are_separate_and_not_stored_in_clear(limiter, clock: Clock) -> None:
    rl, store = limiter
    rl.hit([(PER_MINUTE, "13812345678")], now=clock.now)
    rl.hit([(PER_MINUTE, "13912345678")], now=clock.now)
    assert not any("1381234" in key for key in store._counters)


def test_reset(limiter, clock: Clock) -> None:
    rl, _ = limiter
    rl.hit([(PER_MINUTE, "p")], now=clock.now)
    rl.reset(PER_MINUTE, "p")
    rl.hit([(PER_MINUTE, "p")], now=clock.now)


def test_describe_wait_and_limit_validation() -> None:
    assert [describe_wait(s) for s in (1, 59, 61, 3600, 3601)] == [
        "1 second",
        "59 seconds",
        "2 minutes",
        "1 hour",
        "2 hours",
    ]
    with pytest.raises(ValueError, match="at least one hit"):
        Limit("x", 0, 60, "things")
