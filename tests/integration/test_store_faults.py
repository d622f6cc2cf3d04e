"""Databases and Redis that are down, missing or out of date give clear errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from store.base import Base
from store.db import Database
from store.errors import DatabaseUnavailable
from store.errors import EphemeralUnavailable
from store.errors import SchemaOutOfDate
from store.migrate import current_revision
from store.migrate import require_current
from store.migrate import upgrade
from store.redis_ephemeral import RedisEphemeralStore
from store.sql_ephemeral import SQLEphemeralStore
from tests.conftest import free_port
from tongban.runtime import MIGRATIONS


def test_migrations_match_the_models(database: Database) -> None:
    import audit.models  # noqa: F401
    import keys.models  # noqa: F401

    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_upgrade_twice_is_a_no_op(database: Database) -> None:
    before = current_revision(database)
    upgrade(database, MIGRATIONS)
    assert current_revision(database) == before
    require_current(database, MIGRATIONS)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.connection() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_an_unreachable_postgres_is_named_without_its_password() -> None:
    db = Database(
        f"postgresql+psycopg://tongban:s3cret@127.0.0.1:{free_port()}/x", connect_timeout=1
    )
    with pytest.raises(DatabaseUnavailable) as info:
        db.ping()
    assert (
        "database unreachable at postgresql+psycopg://tongban:***@127.0.0.1" in info.value.message
    )
    assert "s3cret" not in info.value.message


def test_a_sqlite_file_in_a_missing_folder_says_run_init(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable, match="run `tongban init`"):
        Database(f"sqlite:///{tmp_path / 'nowhere' / 'db.sqlite3'}")


def test_an_unmigrated_database_asks_for_an_upgrade(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with pytest.raises(SchemaOutOfDate, match="tongban db upgrade"):
        require_current(db, MIGRATIONS)
    with pytest.raises(SchemaOutOfDate, match="tongban db upgrade"):
        SQLEphemeralStore(db).get("k")


def test_the_sql_store_sweeps_expired_rows(sqlite_db: Database) -> None:
    now = [1000.0]
    store = SQLEphemeralStore(sqlite_db, clock=lambda: now[0])
    store.put("a", b"1", ttl=5)
    store.put("b", b"2", ttl=50)
    now[0] += 10
    assert store.sweep() == 1
    assert store.get("b") == b"2"


def test_an_unreachable_redis_is_named() -> None:
    store = RedisEphemeralStore(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    with pytest.raises(EphemeralUnavailable, match=r"Redis unreachable at 127\.0\.0\.1:\d+"):
        store.put("k", b"v", ttl=5)


@pytest.mark.redis
def test_redis_going_away_mid_use_gives_a_clear_error(
    own_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = own_redis
    store = RedisEphemeralStore(url, timeout=0.5)
    store.put("code", b"grant", ttl=60)
    process.terminate()
    process.wait(5)
    with pytest.raises(EphemeralUnavailable, match="Redis unreachable"):
        store.take("code")


def test_a_transaction_inside_another_fails_at_once(sqlite_db: Database) -> None:
    with (
        sqlite_db.transaction(),
        pytest.raises(RuntimeError, match="inside another"),
        sqlite_db.connection(),
    ):
        pass
    with sqlite_db.connection() as conn:  # and the database is usable afterwards
        assert conn.execute(text("SELECT 1")).scalar() == 1
