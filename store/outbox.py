"""A durable outbox: work that must not be lost, done by a worker, retried with back-off.

A message is written in the same transaction as the change that causes it (a logout
writes its back-channel notices), so a crash between the two cannot lose it. A worker
claims due messages, hands each to the handler registered for its ``kind`` and records
the outcome: delivered, or failed with the error and the next attempt, with exponential
back-off, until ``MAX_ATTEMPTS``, after which it is given up and stays visible to
operators. Several workers may run at once: claiming is ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL and serialised by ``BEGIN IMMEDIATE`` on SQLite.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Final

from sqlalchemy import JSON
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import Session
from sqlalchemy.orm import mapped_column

from store.base import Base
from store.db import Database
from store.errors import StoreError

log = logging.getLogger("tongban.outbox")

MAX_ATTEMPTS: Final = 12
#: Waits after each failed attempt: 5 s, 15 s, 45 s, ... capped at 2 h (about 1 day in all).
FIRST_DELAY: Final = 5.0
MAX_DELAY: Final = 7200.0
BATCH: Final = 20


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    #: Who or what it goes to (a client id, a URL host): for operators reading the list.
    target: Mapped[str] = mapped_column(String(300), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    #: pending → delivered | failed (gave up)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(nullable=False)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)


class DeliveryFailed(Exception):
    """A handler could not deliver; the message is retried later."""


Handler = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True)
class MessageInfo:
    id: str
    kind: str
    target: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None


def enqueue(
    session: Session,
    kind: str,
    target: str,
    payload: Mapping[str, Any],
    *,
    now: datetime,
    not_before: datetime | None = None,
) -> str:
    """Add a message inside ``session``'s transaction; return its id.

    :param not_before: the first attempt's time, when the work is first tried elsewhere
        (a request doing it inline) and the outbox is only the safety net
    """
    message_id = secrets.token_hex(16)
    session.add(
        OutboxMessage(
            id=message_id,
            kind=kind,
            target=target[:300],
            payload=dict(payload),
            status="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=not_before or now,
        )
    )
    return message_id


def mark_delivered(session: Session, message_id: str, *, now: datetime) -> None:
    """Record inside ``session``'s transaction that the work was done another way."""
    row = session.get(OutboxMessage, message_id)
    if row is not None and row.status == "pending":
        row.status, row.delivered_at, row.last_error = "delivered", now, None


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure."""
    return timedelta(seconds=min(MAX_DELAY, FIRST_DELAY * 3 ** max(0, attempts - 1)))


class Outbox:
    def __init__(self, db: Database, handlers: Mapping[str, Handler] | None = None) -> None:
        self._db = db
        self._handlers: dict[str, Handler] = dict(handlers or {})

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    def run_due(self, now: datetime, *, limit: int = BATCH) -> int:
        """Deliver up to ``limit`` due messages; return how many were attempted."""
        attempted = 0
        for message_id, kind, payload in self._claim(now, limit):
            attempted += 1
            handler = self._handlers.get(kind)
            error: str | None = None
            if handler is None:
                error = f"no handler for {kind!r}"
            else:
                try:
                    handler(payload)
                except DeliveryFailed as exc:
                    error = str(exc)[:500] or "delivery failed"
                except Exception as exc:
                    log.exception("outbox handler %s crashed", kind)
                    error = f"handler error: {type(exc).__name__}"
            self._record(message_id, error, now)
        return attempted

    def _claim(self, now: datetime, limit: int) -> list[tuple[str, str, dict[str, Any]]]:
        """Take due messages and push their next attempt into the future, so another
        worker does not take them too while this one works."""
        with self._db.transaction() as session:
            stmt = (
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at)
                .limit(limit)
            )
            if self._db.dialect == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(session.execute(stmt).scalars())
            lease = now + timedelta(minutes=5)
            for row in rows:
                row.next_attempt_at = lease
            return [(r.id, r.kind, dict(r.payload)) for r in rows]

    def _record(self, message_id: str, error: str | None, now: datetime) -> None:
        with self._db.transaction() as session:
            row = session.get(OutboxMessage, message_id)
            if row is None:
                return
            row.attempts += 1
            if error is None:
                row.status, row.delivered_at, row.last_error = "delivered", now, None
                return
            row.last_error = error
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
                log.warning(
                    "outbox message %s (%s to %s) given up after %d attempts: %s",
                    row.id,
                    row.kind,
                    row.target,
                    row.attempts,
                    error,
                )
            else:
                row.next_attempt_at = now + backoff(row.attempts)

    def retry(self, message_id: str, now: datetime) -> None:
        """Make a failed or waiting message due now (an operator's decision)."""
        with self._db.transaction() as session:
            row = session.get(OutboxMessage, message_id)
            if row is None:
                raise StoreError(f"no outbox message {message_id!r}")
            row.status, row.next_attempt_at = "pending", now

    def list(
        self, *, status: str | None = None, kind: str | None = None, limit: int = 100
    ) -> list[MessageInfo]:
        with self._db.transaction() as session:
            stmt = select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(limit)
            if status:
                stmt = stmt.where(OutboxMessage.status == status)
            if kind:
                stmt = stmt.where(OutboxMessage.kind == kind)
            return [
                MessageInfo(
                    r.id,
                    r.kind,
                    r.target,
                    r.status,
                    r.attempts,
                    r.created_at,
                    r.next_attempt_at,
                    r.delivered_at,
                    r.last_error,
                )
                for r in session.execute(stmt).scalars()
            ]

    def counts(self) -> dict[str, int]:
        with self._db.transaction() as session:
            rows = session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
            return {status: int(n) for status, n in rows}


class OutboxWorker:
    """Runs :meth:`Outbox.run_due` every ``interval`` seconds on a daemon thread."""

    def __init__(
        self,
        outbox: Outbox,
        *,
        interval: float = 1.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._outbox = outbox
        self._interval = interval
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="tongban-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while self._outbox.run_due(self._clock()) == BATCH and not self._stop.is_set():
                    pass
            except StoreError as exc:
                log.warning("outbox worker: %s", exc.message)
            except Exception:
                log.exception("outbox worker crashed; continuing")
            self._stop.wait(self._interval)
