"""Shared fixtures: settings and an initialised data directory, the app and its
clients, and the real PostgreSQL and Redis servers.

PostgreSQL and Redis tests skip with a reason when the servers cannot be reached,
unless ``CI=true``: then an unreachable server fails the run, because CI must
exercise them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from config.load import load
from config.settings import Settings
from keys.master import generate_master_key
from store.db import Database
from store.errors import EphemeralUnavailable
from store.migrate import upgrade
from store.redis_ephemeral import RedisEphemeralStore
from tongban.app import create_app
from tongban.bootstrap import initialise
from tongban.runtime import MIGRATIONS
from tongban.runtime import Runtime
from tongban.runtime import build_runtime

POSTGRES_URL = os.environ.get(
    "TONGBAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TONGBAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Skip with ``reason`` locally; fail under CI, where the service must be there."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


# -- settings and data directories ------------------------------------------------------


@pytest.fixture(scope="session")
def _master_key() -> str:
    return generate_master_key()


@pytest.fixture
def env(tmp_path: Path, _master_key: str) -> dict[str, str]:
    """An environment for a fresh data directory, with the master key given inline."""
    return {"TONGBAN_DATA_DIR": str(tmp_path / "var"), "TONGBAN_MASTER_KEY": _master_key}


@pytest.fixture(scope="session")
def _initialised_template(tmp_path_factory: pytest.TempPathFactory, _master_key: str) -> Path:
    """One `tongban init` per test session (key generation is the slow part)."""
    data_dir = tmp_path_factory.mktemp("template") / "var"
    initialise({"TONGBAN_DATA_DIR": str(data_dir), "TONGBAN_MASTER_KEY": _master_key})
    return data_dir


@pytest.fixture
def initialised(env: dict[str, str], _initialised_template: Path) -> dict[str, str]:
    """``env`` after `tongban init` ran in it (a copy of the session's template)."""
    shutil.copytree(_initialised_template, env["TONGBAN_DATA_DIR"])
    return env


@pytest.fixture
def settings(initialised: dict[str, str]) -> Settings:
    return load(initialised)


@pytest.fixture
def runtime(settings: Settings, initialised: dict[str, str]) -> Iterator[Runtime]:
    rt = build_runtime(settings, initialised)
    yield rt
    rt.db.dispose()


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    app = create_app(runtime=runtime)
    app.testing = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def cli(env: dict[str, str]) -> CliRunner:
    """A click runner whose environment is ``env`` (and nothing else of Tongban's)."""
    clean = {k: None for k in os.environ if k.startswith("TONGBAN_")}
    return CliRunner(env={**clean, **env})


# -- PostgreSQL --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A throwaway database on the PostgreSQL server, dropped at the end of the session."""
    admin = create_engine(
        POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    name = f"tongban_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        unavailable(f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _postgres_migrated(postgres_server_url: str) -> str:
    db = Database(postgres_server_url)
    upgrade(db, MIGRATIONS)
    db.dispose()
    return postgres_server_url


@pytest.fixture
def postgres_db(_postgres_migrated: str) -> Iterator[Database]:
    """A migrated PostgreSQL database, emptied after each test."""
    db = Database(_postgres_migrated)
    yield db
    reset_tables(db)
    db.dispose()


def reset_tables(db: Database) -> None:
    from audit.models import GENESIS_HASH
    from store.base import Base

    with db.connection() as conn:
        # DELETE is much cheaper than TRUNCATE on tables this small.
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": GENESIS_HASH}
        )


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    upgrade(db, MIGRATIONS)
    db.dispose()
    return path


@pytest.fixture
def sqlite_db(tmp_path: Path, _sqlite_template: Path) -> Iterator[Database]:
    """A migrated SQLite database in a temporary folder (a copy of a migrated template)."""
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(_sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Database:
    """Each test using it runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_db")  # type: ignore[no-any-return]


# -- Redis -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        unavailable(f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    prefix = f"tongban-test:{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    with contextlib.closing(client):
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def own_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server of this test's own, so it can be stopped without harming others."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 5
    while True:
        try:
            RedisEphemeralStore(url, timeout=0.2).ping()
            break
        except EphemeralUnavailable:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield url, process
    if process.poll() is None:
        process.terminate()
        process.wait(5)


def pytest_collection_modifyitems(items: list[Any]) -> None:
    # Tests that take the postgres/redis fixtures carry the marker without saying so.
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "postgres_db" in names or "postgres_server_url" in names:
            item.add_marker(pytest.mark.postgres)
        if "redis_url" in names or "redis_prefix" in names:
            item.add_marker(pytest.mark.redis)
