"""Login throttling: exponential, capped, per pair / name / address; equal work."""

from __future__ import annotations

import pytest

from idp.authn.errors import LoginThrottled
from idp.authn.throttle import LoginThrottle
from idp.authn.throttle import ThrottleSettings
from idp.authn.throttle import verify_with_equal_work
from store.memory_ephemeral import MemoryEphemeralStore
from tests.unit.authn.clock import Clock

ADDR = "192.0.2.10"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(clock: Clock) -> LoginThrottle:
    settings = ThrottleSettings(
        free_failures_pair=3, free_failures_login=6, free_failures_address=10
    )
    return LoginThrottle(MemoryEphemeralStore(clock=clock), b"k" * 32, settings)


def fail(throttle: LoginThrottle, clock: Clock, login: str = "alice", addr: str = ADDR) -> None:
    throttle.check(login, addr, now=clock.now)
    throttle.record_failure(login, addr, now=clock.now)


def test_free_failures_then_doubling_delays(throttle: LoginThrottle, clock: Clock) -> None:
    for _ in range(3):
        fail(throttle, clock)
    fail(throttle, clock)  # 4th failure: 1 s lock.
    with pytest.raises(LoginThrottled, match="try again in 1 second") as info:
        throttle.check("alice", ADDR, now=clock.now)
    assert info.value.retry_after == 1
    assert info.value.http_status == 429
    clock.advance(1)
    fail(throttle, clock)  # 5th: 2 s.
    with pytest.raises(LoginThrottled) as info:
        throttle.check("alice", ADDR, now=clock.now)
    assert info.value.retry_after == 2


def test_delay_is_capped_so_no_lockout_is_permanent(throttle: LoginThrottle, clock: Clock) -> None:
    assert [throttle.delay_after(n) for n in (1, 2, 3, 10, 11, 1000)] == [1, 2, 4, 512, 900, 900]
    for _ in range(40):
        clock.advance(throttle.settings.max_delay)
        fail(throttle, clock, addr=f"198.51.100.{_}")
    with pytest.raises(LoginThrottled) as info:
        throttle.check("alice", "203.0.113.1", now=clock.now)
    assert info.value.retry_after <= 15 * 60
    clock.advance(15 * 60)
    throttle.check("alice", "203.0.113.1", now=clock.now)


def test_name_is_normalised_and_unknown_names_behave_the_same(
    throttle: LoginThrottle, clock: Clock
) -> None:
    for login in ("Nobody", "nobody ", "ＮＯＢＯＤＹ", "nobody"):
        fail(throttle, clock, login=login)
    with pytest.raises(LoginThrottled):
        throttle.check("NOBODY", ADDR, now=clock.now)


def test_other_names_at_the_address_are_not_locked_by_the_pair(
    throttle: LoginThrottle, clock: Clock
) -> None:
    for _ in range(4):
        fail(throttle, clock)
    throttle.check("bob", ADDR, now=clock.now)


def test_spraying_from_one_address_is_slowed(throttle: LoginThrottle, clock: Clock) -> None:
    for i in range(11):
        fail(throttle, clock, login=f"user{i}")
    with pytest.raises(LoginThrottled):
        throttle.check("someone-else", ADDR, now=clock.now)
    throttle.check("someone-else", "198.51.100.1", now=clock.now)


def test_success_clears_the_name_but_not_the_address(throttle: LoginThrottle, clock: Clock) -> None:
    for i in range(7):
        fail(throttle, clock, login=f"user{i}")
    for _ in range(3):
        fail(throttle, clock)
    clock.advance(5)
    throttle.record_success("alice", ADDR)
    fail(throttle, clock)  # Allowance of the pair is fresh again...
    with pytest.raises(LoginThrottled):  # ...but the address's 11th failure locks it.
        throttle.check("alice", ADDR, now=clock.now)


def test_failures_are_forgotten_after_the_window(throttle: LoginThrottle, clock: Clock) -> None:
    for _ in range(3):
        fail(throttle, clock)
    clock.advance(24 * 3600)
    for _ in range(3):
        fail(throttle, clock)
    throttle.check("alice", ADDR, now=clock.now)


def test_equal_work_runs_the_hash_for_unknown_users() -> None:
    calls: list[tuple[str, str]] = []

    def verify(hashed: str, password: str) -> bool:
        calls.append((hashed, password))
        return hashed == "right-hash" and password == "pw"

    assert verify_with_equal_work(verify, "right-hash", "pw", "dummy") is True
    assert verify_with_equal_work(verify, "right-hash", "bad", "dummy") is False
    assert verify_with_equal_work(verify, None, "pw", "dummy") is False
    assert verify_with_equal_work(lambda h, p: True, None, "pw", "dummy") is False
    assert calls == [("right-hash", "pw"), ("right-hash", "bad"), ("dummy", "pw")]
