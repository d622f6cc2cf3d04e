"""The SQL adapter of :class:`~store.ephemeral.EphemeralStore`, for when there is no Redis.

One table, ``ephemeral``. Each operation is a single statement in its own short
transaction, so atomicity comes from the database: ``take`` is ``DELETE .. RETURNING``
and ``add``/``incr`` are upserts (``INSERT .. ON CONFLICT``), which SQLite (3.35+) and
PostgreSQL both run atomically. Expired rows are invisible and are swept now and then.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any
from typing import cast

from sqlalchemy import BigInteger
from sqlalchemy import Float
from sqlalchemy import Index
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import case
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from store.base import Base
from store.db import Database
from store.ephemeral import MAX_KEY_LENGTH
from store.ephemeral import check_entry
from store.errors import DatabaseUnavailable
from store.errors import EphemeralUnavailable

#: Sweep expired rows once every this many writes in a process.
SWEEP_EVERY = 500


class EphemeralEntry(Base):
    __tablename__ = "ephemeral"

    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    value: Mapped[bytes | None] = mapped_column(LargeBinary)
    counter: Mapped[int | None] = mapped_column(BigInteger)
    #: Seconds since the epoch; a float so sub-second TTL checks stay exact.
    expires_at: Mapped[float] = mapped_column(Float, nullable=False)

    __table_args__ = (Index("ix_ephemeral_expires_at", "expires_at"),)


_table = cast(Table, EphemeralEntry.__table__)


class SQLEphemeralStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._insert: Any = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        self._writes = itertools.count(1)

    def put(self, key: str, value: bytes, ttl: int) -> None:
        check_entry(key, ttl)
        stmt = self._insert(_table).values(
            key=key, value=value, counter=None, expires_at=self._clock() + ttl
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={
                "value": stmt.excluded.value,
                "counter": None,
                "expires_at": stmt.excluded.expires_at,
            },
        )
        self._write(lambda conn: conn.execute(stmt))

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        check_entry(key, ttl)
        now = self._clock()
        stmt = self._insert(_table).values(key=key, value=value, counter=None, expires_at=now + ttl)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={
                "value": stmt.excluded.value,
                "counter": None,
                "expires_at": stmt.excluded.expires_at,
            },
            where=_table.c.expires_at <= now,
        ).returning(_table.c.key)
        return self._write(lambda conn: conn.execute(stmt).first()) is not None

    def get(self, key: str) -> bytes | None:
        check_entry(key)
        stmt = select(_table.c.value).where(
            _table.c.key == key, _table.c.expires_at > self._clock()
        )
        row = self._read(lambda conn: conn.execute(stmt).first())
        return None if row is None else row.value

    def take(self, key: str) -> bytes | None:
        check_entry(key)
        stmt = (
            delete(_table).where(_table.c.key == key).returning(_table.c.value, _table.c.expires_at)
        )
        row = self._write(lambda conn: conn.execute(stmt).first())
        if row is None or row.expires_at <= self._clock():
            return None
        return row.value  # type: ignore[no-any-return]

    def delete(self, key: str) -> None:
        check_entry(key)
        self._write(lambda conn: conn.execute(delete(_table).where(_table.c.key == key)))

    def incr(self, key: str, ttl: int) -> int:
        check_entry(key, ttl)
        now = self._clock()
        expired = _table.c.expires_at <= now
        stmt = self._insert(_table).values(key=key, value=None, counter=1, expires_at=now + ttl)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={
                "value": None,
                "counter": case((expired, 1), else_=func.coalesce(_table.c.counter, 0) + 1),
                "expires_at": case((expired, stmt.excluded.expires_at), else_=_table.c.expires_at),
            },
        ).returning(_table.c.counter)
        return int(self._write(lambda conn: conn.execute(stmt).scalar_one()))

    def count(self, key: str) -> int:
        check_entry(key)
        stmt = select(_table.c.counter).where(
            _table.c.key == key, _table.c.expires_at > self._clock()
        )
        value = self._read(lambda conn: conn.execute(stmt).scalar())
        return int(value or 0)

    def ping(self) -> None:
        try:
            self._db.ping()
        except DatabaseUnavailable as exc:
            raise EphemeralUnavailable(exc.message) from None

    def sweep(self) -> int:
        """Delete expired rows; return how many went."""
        stmt = delete(_table).where(_table.c.expires_at <= self._clock())
        return int(self._run(lambda conn: conn.execute(stmt).rowcount))

    def _write(self, operation: Callable[[Any], Any]) -> Any:
        result = self._run(operation)
        if next(self._writes) % SWEEP_EVERY == 0:
            self.sweep()
        return result

    def _read(self, operation: Callable[[Any], Any]) -> Any:
        return self._run(operation)

    def _run(self, operation: Callable[[Any], Any]) -> Any:
        try:
            with self._db.connection() as conn:
                return operation(conn)
        except DatabaseUnavailable as exc:
            raise EphemeralUnavailable(exc.message, detail=exc.detail) from None
