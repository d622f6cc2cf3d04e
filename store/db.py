"""The durable database: one engine per process, short transactions, clear failures.

SQLite (the embedded default) runs in WAL mode, and every transaction starts with
``BEGIN IMMEDIATE``: writers queue on the busy timeout instead of failing later with
``SQLITE_BUSY`` when a read snapshot turns into a write. PostgreSQL needs nothing special.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from store.errors import DatabaseUnavailable
from store.errors import SchemaOutOfDate

SQLITE_BUSY_TIMEOUT_MS = 10_000


class Database:
    """The engine and session factory for one database URL."""

    def __init__(self, url: str, *, pool_size: int = 5, connect_timeout: int = 5) -> None:
        self.url = make_url(url)
        self.engine = _make_engine(url, pool_size=pool_size, connect_timeout=connect_timeout)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._local = threading.local()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, fit for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error."""
        with (
            self._one_at_a_time(),
            translate_errors(self),
            self._sessions() as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A Core connection inside one transaction (for hot paths that skip the ORM)."""
        with self._one_at_a_time(), translate_errors(self), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _one_at_a_time(self) -> Iterator[None]:
        """Refuse a second transaction opened by a thread that is inside one already.

        On SQLite every transaction takes the write lock, so the inner one would wait
        for the outer for the whole busy timeout and then fail; on PostgreSQL the two
        would not see each other's writes. Either way it is a bug: fail at once.
        """
        if getattr(self._local, "depth", 0):
            raise RuntimeError("a transaction was opened inside another on the same thread")
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0

    def ping(self) -> None:
        """Run ``SELECT 1``; raise :class:`DatabaseUnavailable` when that fails."""
        with self.connection() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def translate_errors(db: Database) -> Iterator[None]:
    """Turn driver failures into :class:`DatabaseUnavailable` / :class:`SchemaOutOfDate`.

    Only the driver's first line is kept: SQLAlchemy's own message carries the SQL
    and its parameters, which may hold personal data.
    """
    try:
        yield
    except (sa_exc.OperationalError, sa_exc.ProgrammingError) as exc:
        first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        if _is_missing_table(first_line):
            raise SchemaOutOfDate(
                "the database schema is missing or out of date; run `tongban db upgrade`",
                detail=first_line,
            ) from None
        if isinstance(exc, sa_exc.ProgrammingError):
            raise
        raise DatabaseUnavailable(
            f"database unreachable at {db.safe_url}: {first_line}", detail=first_line
        ) from None
    except sa_exc.InterfaceError as exc:
        raise DatabaseUnavailable(
            f"database unreachable at {db.safe_url}: {type(exc.orig).__name__}"
        ) from None


def _is_missing_table(message: str) -> bool:
    lowered = message.lower()
    return "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered)


def _make_engine(url: str, *, pool_size: int, connect_timeout: int) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not Path(database).parent.is_dir():
            raise DatabaseUnavailable(
                f"database unreachable at {url}: folder {Path(database).parent} does not "
                "exist; run `tongban init`"
            )
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            connect_args={"connect_timeout": connect_timeout},
        )
    raise DatabaseUnavailable(f"unsupported database URL {parsed.render_as_string()}")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event, not the driver, decide when transactions start.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")
