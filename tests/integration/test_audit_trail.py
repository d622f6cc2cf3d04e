"""The audit trail on SQLite and PostgreSQL: chaining, tamper evidence, atomicity."""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from audit.errors import AuditDetailsInvalid
from audit.models import AuditEventRecord
from audit.models import AuditHead
from audit.trail import record
from audit.trail import verify_chain
from store.db import Database

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def append(db: Database, count: int) -> None:
    for i in range(count):
        with db.transaction() as session:
            record(
                session,
                actor="operator:alice",
                action="seal.use",
                target=f"seal:{i}",
                now=T0 + timedelta(seconds=i),
                details={"n": i, "名称": "审批专用章"},
                request_id=f"req-{i}",
            )


def problems(db: Database) -> list[tuple[int, str]]:
    with db.transaction() as session:
        return [(p.seq, p.kind) for p in verify_chain(session).problems]


def test_an_untouched_chain_is_intact(database: Database) -> None:
    append(database, 5)
    with database.transaction() as session:
        report = verify_chain(session)
    assert report.intact
    assert report.events == 5
    assert report.head_seq == 5


def test_an_empty_trail_is_intact(database: Database) -> None:
    assert problems(database) == []


def test_a_modified_event_is_named(database: Database) -> None:
    append(database, 5)
    with database.transaction() as session:
        session.execute(
            update(AuditEventRecord).where(AuditEventRecord.seq == 3).values(details={"n": 999})
        )
    assert problems(database) == [(3, "modified")]


def test_a_modified_outcome_or_actor_is_named(database: Database) -> None:
    append(database, 3)
    with database.transaction() as session:
        session.execute(
            update(AuditEventRecord)
            .where(AuditEventRecord.seq == 2)
            .values(actor="operator:mallory")
        )
    assert problems(database) == [(2, "modified")]


def test_a_deleted_event_is_named(database: Database) -> None:
    append(database, 5)
    with database.transaction() as session:
        session.execute(delete(AuditEventRecord).where(AuditEventRecord.seq == 3))
    assert problems(database) == [(3, "missing"), (4, "broken_link")]


def test_reordered_events_are_named(database: Database) -> None:
    append(database, 4)
    with database.transaction() as session:
        rows = {r.seq: r for r in session.execute(select(AuditEventRecord)).scalars()}
        two, three = rows[2], rows[3]
        fields = ("at", "actor", "action", "target", "details", "prev_hash", "hash", "request_id")
        swapped = {f: getattr(three, f) for f in fields}, {f: getattr(two, f) for f in fields}
        for row, values in zip((two, three), swapped, strict=True):
            for name, value in values.items():
                setattr(row, name, value)
    found = problems(database)
    assert (2, "broken_link") in found
    assert (2, "modified") in found
    assert (3, "broken_link") in found
    assert (3, "modified") in found


def test_deleting_the_last_events_is_caught_by_the_head(database: Database) -> None:
    append(database, 4)
    with database.transaction() as session:
        session.execute(delete(AuditEventRecord).where(AuditEventRecord.seq >= 3))
    assert problems(database) == [(3, "truncated")]


def test_an_event_rolls_back_with_the_change_it_records(database: Database) -> None:
    append(database, 1)

    def failing_change() -> None:
        with database.transaction() as session:
            record(session, actor="system", action="seal.use", target="seal:x", now=T0)
            raise RuntimeError("the stamping failed")

    with pytest.raises(RuntimeError):
        failing_change()
    with database.transaction() as session:
        assert verify_chain(session).events == 1
        head = session.get(AuditHead, 1)
        assert head is not None
        assert head.seq == 1


def test_details_must_be_plain_json_without_floats(database: Database) -> None:
    with pytest.raises(AuditDetailsInvalid), database.transaction() as session:
        record(session, actor="a", action="b", target="c", now=T0, details={"when": T0})
    with pytest.raises(AuditDetailsInvalid), database.transaction() as session:
        record(session, actor="a", action="b", target="c", now=T0, details={"x": 0.1})


def test_naive_times_are_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="timezone-aware"), database.transaction() as session:
        record(session, actor="a", action="b", target="c", now=datetime(2026, 1, 1))


def test_concurrent_writers_never_fork_the_chain(database: Database) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def writer(n: int) -> None:
        barrier.wait()
        try:
            for i in range(10):
                with database.transaction() as session:
                    record(session, actor=f"w{n}", action="x", target=str(i), now=T0)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with database.transaction() as session:
        report = verify_chain(session)
        seqs = list(
            session.execute(select(AuditEventRecord.seq).order_by(AuditEventRecord.seq)).scalars()
        )
    assert report.intact
    assert report.events == 60
    assert seqs == list(range(1, 61))
