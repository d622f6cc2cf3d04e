"""Schema migrations with Alembic, run programmatically.

The migration scripts live with the composition root (``tongban/migrations``), which
knows every package's tables; this module only drives Alembic against a
:class:`~store.db.Database`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from store.db import Database
from store.db import translate_errors
from store.errors import SchemaOutOfDate


def _config(db: Database, script_location: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["engine"] = db.engine
    return cfg


def upgrade(db: Database, script_location: Path, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when already there."""
    with translate_errors(db):
        command.upgrade(_config(db, script_location), revision)


def head_revision(script_location: Path) -> str | None:
    return ScriptDirectory(str(script_location)).get_current_head()


def current_revision(db: Database) -> str | None:
    with translate_errors(db), db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_current(db: Database, script_location: Path) -> None:
    """Raise :class:`SchemaOutOfDate` unless the database is at the newest revision."""
    current, head = current_revision(db), head_revision(script_location)
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at {current or 'nothing'}, the code expects {head}; "
            "run `tongban db upgrade`"
        )
