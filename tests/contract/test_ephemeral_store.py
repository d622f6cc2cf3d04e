"""One behaviour, four backends: memory (the fake), SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from store.db import Database
from store.ephemeral import MAX_TTL_SECONDS
from store.ephemeral import EphemeralStore
from store.memory_ephemeral import MemoryEphemeralStore
from store.redis_ephemeral import RedisEphemeralStore
from store.sql_ephemeral import SQLEphemeralStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Harness:
    store: EphemeralStore
    advance: Callable[[float], None]


def _sql(db: Database) -> Harness:
    clock = FakeClock()

    def advance(seconds: float) -> None:
        clock.now += seconds

    return Harness(SQLEphemeralStore(db, clock=clock), advance)


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "memory":
        clock = FakeClock()

        def advance(seconds: float) -> None:
            clock.now += seconds

        yield Harness(MemoryEphemeralStore(clock=clock), advance)
    elif request.param == "sqlite":
        yield _sql(request.getfixturevalue("sqlite_db"))
    elif request.param == "postgres":
        yield _sql(request.getfixturevalue("postgres_db"))
    else:
        url = request.getfixturevalue("redis_url")
        store = RedisEphemeralStore(url, prefix=request.getfixturevalue("redis_prefix"))
        # Redis keeps its own clock; the expiry tests use TTLs of one second.
        yield Harness(store, time.sleep)
        store.close()


def test_put_then_get_returns_the_value(harness: Harness) -> None:
    harness.store.put("k", b"\x00value\xff", ttl=60)
    assert harness.store.get("k") == b"\x00value\xff"


def test_get_of_a_missing_key_is_none(harness: Harness) -> None:
    assert harness.store.get("absent") is None


def test_put_replaces_the_value(harness: Harness) -> None:
    harness.store.put("k", b"one", ttl=60)
    harness.store.put("k", b"two", ttl=60)
    assert harness.store.get("k") == b"two"


def test_entries_expire_after_their_ttl(harness: Harness) -> None:
    harness.store.put("k", b"v", ttl=1)
    harness.advance(1.2)
    assert harness.store.get("k") is None
    assert harness.store.take("k") is None


def test_take_returns_the_value_once(harness: Harness) -> None:
    harness.store.put("code", b"grant", ttl=60)
    assert harness.store.take("code") == b"grant"
    assert harness.store.take("code") is None
    assert harness.store.get("code") is None


def test_take_is_atomic_under_concurrency(harness: Harness) -> None:
    harness.store.put("code", b"grant", ttl=60)
    results: list[bytes | None] = []
    barrier = threading.Barrier(8)

    def redeem() -> None:
        barrier.wait()
        results.append(harness.store.take("code"))

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(b"grant") == 1
    assert results.count(None) == 7


def test_add_stores_only_when_absent(harness: Harness) -> None:
    assert harness.store.add("jti", b"1", ttl=60) is True
    assert harness.store.add("jti", b"2", ttl=60) is False
    assert harness.store.get("jti") == b"1"


def test_add_succeeds_again_after_expiry(harness: Harness) -> None:
    assert harness.store.add("jti", b"1", ttl=1) is True
    harness.advance(1.2)
    assert harness.store.add("jti", b"2", ttl=60) is True
    assert harness.store.get("jti") == b"2"


def test_add_has_exactly_one_winner_under_concurrency(harness: Harness) -> None:
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        wins.append(harness.store.add("jti", b"x", ttl=60))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 1


def test_delete_removes_the_entry(harness: Harness) -> None:
    harness.store.put("k", b"v", ttl=60)
    harness.store.delete("k")
    harness.store.delete("k")  # Deleting what is gone is fine.
    assert harness.store.get("k") is None


def test_incr_counts_from_one(harness: Harness) -> None:
    assert [harness.store.incr("hits", ttl=60) for _ in range(3)] == [1, 2, 3]
    assert harness.store.count("hits") == 3


def test_counter_window_is_fixed_from_the_first_hit(harness: Harness) -> None:
    harness.store.incr("hits", ttl=1)
    harness.advance(0.6)
    harness.store.incr("hits", ttl=1)  # Does not extend the window.
    harness.advance(0.6)
    assert harness.store.count("hits") == 0
    assert harness.store.incr("hits", ttl=60) == 1


def test_incr_counts_every_concurrent_hit(harness: Harness) -> None:
    barrier = threading.Barrier(8)

    def hit() -> None:
        barrier.wait()
        for _ in range(5):
            harness.store.incr("hits", ttl=60)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert harness.store.count("hits") == 40


def test_count_of_a_missing_counter_is_zero(harness: Harness) -> None:
    assert harness.store.count("never") == 0


@pytest.mark.parametrize("ttl", [0, -1, MAX_TTL_SECONDS + 1])
def test_out_of_range_ttls_are_refused(harness: Harness, ttl: int) -> None:
    with pytest.raises(ValueError, match="ttl"):
        harness.store.put("k", b"v", ttl=ttl)


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_bad_keys_are_refused(harness: Harness, key: str) -> None:
    with pytest.raises(ValueError, match="key"):
        harness.store.put(key, b"v", ttl=60)


def test_ping_succeeds_on_a_live_backend(harness: Harness) -> None:
    harness.store.ping()
