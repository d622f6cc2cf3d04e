"""The durable outbox on SQLite and PostgreSQL: delivery, back-off, giving up, leases."""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest

from store.db import Database
from store.outbox import MAX_ATTEMPTS
from store.outbox import DeliveryFailed
from store.outbox import Outbox
from store.outbox import backoff
from store.outbox import enqueue

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def put(db: Database, kind: str = "notice", n: int = 1) -> list[str]:
    with db.transaction() as tx:
        return [enqueue(tx, kind, f"target-{i}", {"n": i}, now=T0) for i in range(n)]


def test_a_message_is_delivered_once(database: Database) -> None:
    seen: list[Any] = []
    outbox = Outbox(database, {"notice": seen.append})
    put(database)
    assert outbox.run_due(T0) == 1
    assert outbox.run_due(T0 + timedelta(hours=1)) == 0
    assert seen == [{"n": 0}]
    assert outbox.list()[0].status == "delivered"


def test_a_message_written_in_a_failed_transaction_never_exists(database: Database) -> None:
    def failing() -> None:
        with database.transaction() as tx:
            enqueue(tx, "notice", "x", {}, now=T0)
            raise RuntimeError("the change itself failed")

    with pytest.raises(RuntimeError):
        failing()
    assert Outbox(database).list() == []


def test_failures_back_off_and_finally_give_up(database: Database) -> None:
    def refuse(_: Any) -> None:
        raise DeliveryFailed("HTTP 503 from rp.example")

    outbox = Outbox(database, {"notice": refuse})
    put(database)
    now = T0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert outbox.run_due(now) == 1
        assert outbox.run_due(now) == 0  # not due again straight away
        now += backoff(attempt)
    message = outbox.list()[0]
    assert message.status == "failed"
    assert message.attempts == MAX_ATTEMPTS
    assert message.last_error == "HTTP 503 from rp.example"
    assert outbox.run_due(now + timedelta(days=30)) == 0
    outbox.retry(message.id, now)
    assert outbox.list()[0].status == "pending"


def test_backoff_grows_and_is_capped() -> None:
    assert backoff(1) == timedelta(seconds=5)
    assert backoff(2) == timedelta(seconds=15)
    assert backoff(20) == timedelta(hours=2)


def test_a_crashing_handler_does_not_stop_the_others(database: Database) -> None:
    seen: list[Any] = []

    def crash(_: Any) -> None:
        raise ZeroDivisionError

    outbox = Outbox(database, {"bad": crash, "notice": seen.append})
    put(database, "bad")
    put(database, "notice")
    assert outbox.run_due(T0) == 2
    assert seen == [{"n": 0}]
    statuses = {m.kind: (m.status, m.last_error) for m in outbox.list()}
    assert statuses["bad"] == ("pending", "handler error: ZeroDivisionError")


def test_an_unknown_kind_is_kept_with_a_reason(database: Database) -> None:
    put(database, "mystery")
    Outbox(database).run_due(T0)
    assert Outbox(database).list()[0].last_error == "no handler for 'mystery'"


def test_concurrent_workers_deliver_each_message_once(database: Database) -> None:
    seen: list[Any] = []
    lock = threading.Lock()

    def record(payload: Any) -> None:
        with lock:
            seen.append(payload["n"])

    put(database, n=40)
    barrier = threading.Barrier(4)

    def work() -> None:
        outbox = Outbox(database, {"notice": record})
        barrier.wait()
        while outbox.run_due(T0, limit=5):
            pass

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(40))
