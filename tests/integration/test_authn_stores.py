"""One-time codes, TOTP replay and the login throttle on the real ephemeral stores:
the SQL table (SQLite, PostgreSQL) and Redis, where take-once must hold under threads."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime

import pyotp
import pytest

from idp.authn.errors import LoginThrottled
from idp.authn.errors import OneTimeCodeExpired
from idp.authn.errors import TOTPReplayed
from idp.authn.otp import OneTimeCodes
from idp.authn.otp import OneTimeCodeSettings
from idp.authn.sms import DevOutboxSMSGateway
from idp.authn.throttle import LoginThrottle
from idp.authn.throttle import ThrottleSettings
from idp.authn.totp import TOTPVerifier
from idp.authn.totp import new_totp_secret
from store.db import Database
from store.ephemeral import EphemeralStore
from store.redis_ephemeral import RedisEphemeralStore
from store.sql_ephemeral import SQLEphemeralStore

SECRET = b"integration-secret-32-bytes-long"
PHONE = "13812345678"


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
def store(request: pytest.FixtureRequest) -> Iterator[EphemeralStore]:
    if request.param in ("sqlite", "postgres"):
        database: Database = request.getfixturevalue(f"{request.param}_db")
        yield SQLEphemeralStore(database)
    else:
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
        redis_store = RedisEphemeralStore(url, prefix=prefix)
        yield redis_store
        redis_store.close()


def test_a_code_is_taken_once_under_concurrency(store: EphemeralStore) -> None:
    outbox = DevOutboxSMSGateway(store)
    # More tries allowed than threads: every thread brings the right code.
    codes = OneTimeCodes(store, outbox, SECRET, OneTimeCodeSettings(max_attempts=10))
    codes.send(PHONE, address="192.0.2.1", purpose="login", now=datetime.now(UTC))
    match = re.search(r"\d{6}", outbox.messages(1)[0].text)
    assert match is not None
    results: list[str] = []
    barrier = threading.Barrier(6)

    def check() -> None:
        barrier.wait()
        try:
            codes.verify(PHONE, match.group(0), purpose="login")
            results.append("ok")
        except OneTimeCodeExpired:
            results.append("used")

    threads = [threading.Thread(target=check) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok"] + ["used"] * 5


def test_totp_code_accepted_once_across_verifiers(store: EphemeralStore) -> None:
    secret = new_totp_secret()
    now = datetime.now(UTC)
    code = pyotp.TOTP(secret).at(now)
    TOTPVerifier(store, SECRET).verify(secret, code, account="alice", now=now)
    with pytest.raises(TOTPReplayed):
        # Another worker process: a new verifier on the same store.
        TOTPVerifier(store, SECRET).verify(secret, code, account="alice", now=now)


def test_login_throttle_holds_across_workers(store: EphemeralStore) -> None:
    settings = ThrottleSettings(free_failures_pair=2)
    now = datetime.now(UTC)
    first, second = LoginThrottle(store, SECRET, settings), LoginThrottle(store, SECRET, settings)
    for worker in (first, second, first):
        worker.record_failure("alice", "192.0.2.1", now=now)
    with pytest.raises(LoginThrottled):
        second.check("alice", "192.0.2.1", now=now)
    second.record_success("alice", "192.0.2.1")
    first.check("alice", "192.0.2.1", now=now)
