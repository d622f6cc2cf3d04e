"""Alembic environment: every package's tables, on the engine the caller hands in."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

# Imported for their tables, which they register on the shared metadata.
import audit.models  # noqa: F401
import idp.models
import idp.registry.models
import idp.session_log  # noqa: F401
import keys.models  # noqa: F401
import licences.models  # noqa: F401
import signing.models  # noqa: F401
import store.outbox
import store.sql_ephemeral  # noqa: F401
from store.base import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        # `alembic -x url=... revision --autogenerate` during development.
        engine = create_engine(context.get_x_argument(as_dictionary=True)["url"])
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild SQLite tables that others reference; SQLite requires
            # foreign keys off for that (https://sqlite.org/lang_altertable.html §7), and
            # the pragma only works outside a transaction, so it goes to the driver directly.
            _sqlite_foreign_keys(connection, on=False)
        try:
            _migrate(connection)
            if sqlite:
                broken = _driver(connection).execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"foreign keys broken by a migration: {broken[:5]}")
        finally:
            if sqlite:
                # SQLite's DDL runs in one transaction per migration (Alembic commits each);
                # anything still open is a read, and the pragma needs no transaction open.
                if connection.in_transaction():
                    connection.rollback()
                _sqlite_foreign_keys(connection, on=True)


def _migrate(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _driver(connection: Any) -> Any:
    return connection.connection.driver_connection


def _sqlite_foreign_keys(connection: Any, *, on: bool) -> None:
    _driver(connection).execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


run_migrations()
