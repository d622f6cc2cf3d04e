"""`tongban init`: make a data directory ready, idempotently.

Each step keeps what exists: the config file, the master key and the database are
created only when missing, migrations run only when behind, and keys are generated
only for purposes that have none. Running it twice loses nothing.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select

from audit.trail import record as audit_record
from config.load import config_path_from
from config.load import data_dir_from
from config.load import load
from keys.errors import MasterKeyMissing
from keys.master import write_master_key_file
from keys.models import KeyRecord
from store.connect import open_database
from store.db import Database
from store.db import translate_errors
from store.migrate import upgrade
from tongban.runtime import MIGRATIONS
from tongban.runtime import REQUIRED_KEY_PURPOSES
from tongban.runtime import build_runtime
from tongban.services import build_signing

CONFIG_TEMPLATE = """\
# Tongban settings. Reference: docs/settings.md (or `tongban config reference`).
# Environment variables override this file: TONGBAN_DATABASE__URL sets [database] url.

mode = "development"
issuer = "http://127.0.0.1:8000"
secret_key = "{secret}"

[database]
# Empty: SQLite in this folder. Production: "postgresql+psycopg://user@host/tongban"
url = ""

[redis]
# Empty: short-lived data in the database. Production: "redis://host:6379/0"
url = ""

[server]
host = "127.0.0.1"
port = 8000
workers = 1
"""


@dataclass
class InitReport:
    data_dir: Path
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def initialise(
    environ: Mapping[str, str] | None = None, say: Callable[[str], None] = lambda _line: None
) -> InitReport:
    env = os.environ if environ is None else environ
    data_dir = data_dir_from(env)
    report = InitReport(data_dir=data_dir.resolve())
    if not data_dir.exists():
        data_dir.mkdir(parents=True, mode=0o700)
        report.created.append(f"data directory {data_dir}")

    config_file = config_path_from(env)
    if config_file.exists():
        report.kept.append(f"config file {config_file}")
    else:
        fd = os.open(config_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(CONFIG_TEMPLATE.format(secret=secrets.token_urlsafe(48)))
        report.created.append(f"config file {config_file}")
    settings = load(env)
    say(f"settings: {config_file} ({settings.mode})")

    if not settings.database.url:
        _create_private_file(settings.data_dir / "tongban.sqlite3", report)
    db = open_database(settings)
    master_path = settings.master_key_path
    if env.get("TONGBAN_MASTER_KEY"):
        report.kept.append("master key from TONGBAN_MASTER_KEY")
    elif master_path.exists():
        report.kept.append(f"master key file {master_path}")
    else:
        existing = _stored_key_count(db)
        if existing:
            raise MasterKeyMissing(
                f"the database holds {existing} encrypted keys but the master key file "
                f"{master_path} is missing; restore it from backup (a new one would not "
                "open them)"
            )
        write_master_key_file(master_path)
        report.created.append(f"master key file {master_path}")

    upgrade(db, MIGRATIONS)
    say(f"database: {db.safe_url} (schema up to date)")
    db.dispose()

    rt = build_runtime(settings, env)
    now = datetime.now(UTC)
    for purpose, alg in REQUIRED_KEY_PURPOSES.items():
        if rt.keys.ensure(purpose, now, alg=alg, actor="operator:init"):
            report.created.append(f"{purpose} signing keys ({alg})")
        else:
            report.kept.append(f"{purpose} signing keys")
    if build_signing(rt).ca.ensure(now, actor="operator:init"):
        report.created.append("internal CA (root, issuing CA, timestamp authority)")
    else:
        report.kept.append("internal CA")
    if report.created:
        with rt.db.transaction() as session:
            audit_record(
                session,
                actor="operator:init",
                action="system.init",
                target=f"data_dir:{report.data_dir}",
                now=now,
                details={"created": report.created},
            )
    rt.db.dispose()
    return report


def _create_private_file(path: Path, report: InitReport) -> None:
    """Create an empty file only its owner can read (SQLite keeps the mode for its WAL)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        report.created.append(f"database {path}")
    except FileExistsError:
        report.kept.append(f"database {path}")


def _stored_key_count(db: Database) -> int:
    """How many private keys the database holds (0 if it has no tables yet)."""
    with translate_errors(db), db.engine.connect() as conn:
        if not db.engine.dialect.has_table(conn, KeyRecord.__tablename__):
            return 0
        stmt = (
            select(func.count()).select_from(KeyRecord).where(KeyRecord.private_blob.is_not(None))
        )
        return int(conn.execute(stmt).scalar_one())
