"""The SQL adapter of :class:`~store.ephemeral.EphemeralStore`, for when there is no Redis.

One table, ``ephemeral``. Each operation is a single statement in its own short
transaction, so atomicity comes from the database: ``take`` is ``DELETE .. RETURNING``
and ``add``/``incr`` are upserts (``INSERT .. ON CONFLICT``), which SQLite (3.35+) and
PostgreSQL both run atomically. Expired rows are invisible and are swept now and then.
Statements are plain SQL text, valid on both databases, parsed once.
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
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import text
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

# Hand-written statements, parsed once: SQLite (3.35+) and PostgreSQL share this syntax,
# and building SQLAlchemy constructs per call was a third of this store's cost.
_PUT = text(
    "INSERT INTO ephemeral (key, value, counter, expires_at) VALUES (:k, :v, NULL, :e) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, counter = NULL, "
    "expires_at = excluded.expires_at"
).bindparams(bindparam("v", type_=LargeBinary))
_ADD = text(
    "INSERT INTO ephemeral (key, value, counter, expires_at) VALUES (:k, :v, NULL, :e) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, counter = NULL, "
    "expires_at = excluded.expires_at WHERE ephemeral.expires_at <= :now RETURNING key"
).bindparams(bindparam("v", type_=LargeBinary))
_GET = text("SELECT value FROM ephemeral WHERE key = :k AND expires_at > :now")
_TAKE = text("DELETE FROM ephemeral WHERE key = :k RETURNING value, expires_at")
_DELETE = text("DELETE FROM ephemeral WHERE key = :k")
_INCR = text(
    "INSERT INTO ephemeral (key, value, counter, expires_at) VALUES (:k, NULL, 1, :e) "
    "ON CONFLICT (key) DO UPDATE SET value = NULL, "
    "counter = CASE WHEN ephemeral.expires_at <= :now THEN 1 "
    "ELSE COALESCE(ephemeral.counter, 0) + 1 END, "
    "expires_at = CASE WHEN ephemeral.expires_at <= :now THEN excluded.expires_at "
    "ELSE ephemeral.expires_at END RETURNING counter"
)
_COUNT = text("SELECT counter FROM ephemeral WHERE key = :k AND expires_at > :now")


class SQLEphemeralStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._writes = itertools.count(1)

    def put(self, key: str, value: bytes, ttl: int) -> None:
        check_entry(key, ttl)
        params = {"k": key, "v": value, "e": self._clock() + ttl}
        self._write(lambda conn: conn.execute(_PUT, params))

    def add(self, key: str, value: bytes, ttl: int) -> bool:
        check_entry(key, ttl)
        now = self._clock()
        params = {"k": key, "v": value, "e": now + ttl, "now": now}
        return self._write(lambda conn: conn.execute(_ADD, params).first()) is not None

    def get(self, key: str) -> bytes | None:
        check_entry(key)
        params = {"k": key, "now": self._clock()}
        row = self._run(lambda conn: conn.execute(_GET, params).first())
        return None if row is None else bytes(row[0]) if row[0] is not None else None

    def take(self, key: str) -> bytes | None:
        check_entry(key)
        row = self._write(lambda conn: conn.execute(_TAKE, {"k": key}).first())
        if row is None or row[1] <= self._clock() or row[0] is None:
            return None
        return bytes(row[0])

    def delete(self, key: str) -> None:
        check_entry(key)
        self._write(lambda conn: conn.execute(_DELETE, {"k": key}))

    def incr(self, key: str, ttl: int) -> int:
        check_entry(key, ttl)
        now = self._clock()
        params = {"k": key, "e": now + ttl, "now": now}
        return int(self._write(lambda conn: conn.execute(_INCR, params).scalar_one()))

    def count(self, key: str) -> int:
        check_entry(key)
        params = {"k": key, "now": self._clock()}
        value = self._run(lambda conn: conn.execute(_COUNT, params).scalar())
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

    def _run(self, operation: Callable[[Any], Any]) -> Any:
        try:
            with self._db.connection() as conn:
                return operation(conn)
        except DatabaseUnavailable as exc:
            raise EphemeralUnavailable(exc.message, detail=exc.detail) from None
