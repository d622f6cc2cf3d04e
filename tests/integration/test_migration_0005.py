"""Migration 0005 rebuilds `persons` on SQLite (batch mode): rows and the rows that
reference them survive, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from store.db import Database
from store.migrate import upgrade
from tongban.runtime import MIGRATIONS


def _seed(db: Database) -> None:
    with db.connection() as conn:
        conn.execute(
            text(
                "INSERT INTO persons (id, username, name, loa, status, phone_verified, "
                "id_type, created_at, updated_at) VALUES ('p1', 'zhangsan', '张三', 1, "
                "'active', false, 'resident_id', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO subjects (sector, person_id, sub, created_at) "
                "VALUES ('public', 'p1', 'sub-1', CURRENT_TIMESTAMP)"
            )
        )


def _check(db: Database) -> None:
    with db.connection() as conn:
        assert conn.execute(text("SELECT username FROM persons")).scalar() == "zhangsan"
        assert conn.execute(text("SELECT person_id FROM subjects")).scalar() == "p1"
        conn.execute(
            text("UPDATE persons SET id_type = 'foreign_permanent_resident_id' WHERE id = 'p1'")
        )
        assert conn.execute(text("SELECT totp_secret_enc FROM persons")).scalar() is None


def test_upgrade_from_0004_keeps_persons_and_their_references(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(db, MIGRATIONS, "0004")
    _seed(db)
    upgrade(db, MIGRATIONS)
    _check(db)
    with db.connection() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


@pytest.mark.postgres
def test_upgrade_from_0004_on_postgres(postgres_server_url: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    name = make_url(postgres_server_url).database + "_m5"  # type: ignore[operator]
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        db = Database(make_url(postgres_server_url).set(database=name).render_as_string(False))
        upgrade(db, MIGRATIONS, "0004")
        _seed(db)
        upgrade(db, MIGRATIONS)
        _check(db)
        db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
