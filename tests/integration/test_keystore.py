"""The key store on SQLite and PostgreSQL: lifecycle, publication, faults."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from audit.trail import recent_events
from audit.trail import verify_chain
from config.settings import KeySettings
from keys.errors import KeyDecryptionFailed
from keys.errors import KeyNotFound
from keys.errors import KeysError
from keys.jose import sign_jwt
from keys.jose import verify_jwt
from keys.keystore import KeyStore
from keys.master import MasterKeys
from keys.master import generate_master_key
from keys.master import parse_master_keys
from keys.models import KeyRecord
from store.db import Database

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
SETTINGS = KeySettings(retired_publish_seconds=3600, cache_seconds=0, rotate_after_days=90)


@pytest.fixture
def master() -> MasterKeys:
    return parse_master_keys(generate_master_key(), "test")


@pytest.fixture
def store(database: Database, master: MasterKeys) -> KeyStore:
    return KeyStore(database, master, SETTINGS, clock=lambda: T0)


def states(store: KeyStore) -> dict[str, str]:
    return {k.kid: k.state for k in store.list_keys("oidc")}


def test_ensure_creates_an_active_and_a_next_key_once(store: KeyStore) -> None:
    assert store.ensure("oidc", T0) is True
    assert store.ensure("oidc", T0) is False
    assert sorted(states(store).values()) == ["active", "next"]
    assert store.active("oidc").alg == "ES256"


def test_jwks_publishes_active_and_next_without_private_parts(store: KeyStore) -> None:
    store.ensure("oidc", T0)
    import json

    keys = json.loads(store.jwks("oidc"))["keys"]
    assert {k["kid"] for k in keys} == set(states(store))
    assert keys[0]["kid"] == store.active("oidc").kid  # active first
    assert all("d" not in k for k in keys)


def test_rotation_walks_the_lifecycle(store: KeyStore) -> None:
    store.ensure("oidc", T0)
    first = store.active("oidc").kid
    upcoming = next(k for k, s in states(store).items() if s == "next")
    rotation = store.rotate("oidc", T0 + timedelta(days=1))
    assert rotation.activated == upcoming
    assert rotation.retired == first
    assert store.active("oidc").kid == upcoming
    assert states(store)[first] == "retired"
    assert states(store)[rotation.next] == "next"


def test_a_token_signed_before_rotation_still_verifies_until_removal(store: KeyStore) -> None:
    store.ensure("oidc", T0)
    old = store.active("oidc")
    token = sign_jwt(old, {"sub": "p1", "exp": 4_000_000_000, "iat": 1})
    store.rotate("oidc", T0)

    def key_for(kid: str) -> tuple[object, str]:
        return store.verification_key("oidc", kid)

    assert verify_jwt(token, key_for)["sub"] == "p1"  # type: ignore[arg-type]
    # Past publish_until, pruning removes the retired key and its tokens stop verifying.
    removed = store.prune(T0 + timedelta(seconds=3601))
    assert removed == [old.kid]
    with pytest.raises(KeyNotFound):
        store.verification_key("oidc", old.kid)


def test_removed_keys_lose_their_private_half(store: KeyStore, database: Database) -> None:
    store.ensure("oidc", T0)
    old = store.active("oidc").kid
    store.rotate("oidc", T0)
    store.rotate("oidc", T0 + timedelta(hours=2))  # prunes the first key
    with database.transaction() as session:
        record = session.get(KeyRecord, old)
        assert record is not None
        assert record.state == "removed"
        assert record.private_blob is None


def test_rotation_to_another_algorithm_takes_effect_at_once(store: KeyStore) -> None:
    store.ensure("oidc", T0)
    rotation = store.rotate("oidc", T0, alg="RS256")
    assert store.active("oidc").alg == "RS256"
    assert len(rotation.removed) == 1  # the unused ES256 next key was dropped
    assert {k.alg for k in store.list_keys("oidc") if k.state == "next"} == {"RS256"}


def test_the_database_allows_one_active_key_per_purpose(
    store: KeyStore, database: Database
) -> None:
    store.ensure("oidc", T0)
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.execute(update(KeyRecord).values(state="active"))


def test_every_change_is_audited_in_the_same_chain(store: KeyStore, database: Database) -> None:
    store.ensure("oidc", T0, actor="operator:alice")
    store.rotate("oidc", T0, actor="operator:bob")
    with database.transaction() as session:
        events = recent_events(session)
        assert [e.action for e in events] == ["keys.rotate", "keys.create"]
        assert events[0].actor == "operator:bob"
        assert verify_chain(session).intact


def test_rotation_due_after_the_configured_age(store: KeyStore) -> None:
    store.ensure("oidc", T0)
    assert not store.rotation_due("oidc", T0 + timedelta(days=89))
    assert store.rotation_due("oidc", T0 + timedelta(days=90))


def test_another_process_sees_the_rotation_after_its_cache(
    database: Database, master: MasterKeys
) -> None:
    cached = KeyStore(database, master, KeySettings(cache_seconds=300), clock=lambda: T0)
    other = KeyStore(database, master, SETTINGS, clock=lambda: T0)
    other.ensure("oidc", T0)
    before = cached.active("oidc").kid
    other.rotate("oidc", T0)
    assert cached.active("oidc").kid == before  # still cached, and still published
    assert before in {k.kid for k in cached.published("oidc")}
    fresh = KeyStore(database, master, SETTINGS, clock=lambda: T0)
    assert fresh.active("oidc").kid != before


def test_a_new_kid_is_found_even_if_the_jwks_cache_predates_it(
    database: Database, master: MasterKeys
) -> None:
    cached = KeyStore(database, master, KeySettings(cache_seconds=300), clock=lambda: T0)
    other = KeyStore(database, master, SETTINGS, clock=lambda: T0)
    other.ensure("oidc", T0)
    cached.published("oidc")
    rotation = other.rotate("oidc", T0)
    assert cached.verification_key("oidc", rotation.next)[1] == "ES256"


def test_no_active_key_says_how_to_fix_it(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound, match="tongban keys rotate --purpose licence"):
        store.active("licence")


def test_bad_purpose_names_are_refused(store: KeyStore) -> None:
    with pytest.raises(KeysError, match="must match"):
        store.ensure("Bad Purpose!", T0)


def test_wrong_master_key_names_the_key_and_shows_no_material(
    database: Database, master: MasterKeys
) -> None:
    KeyStore(database, master, SETTINGS).ensure("oidc", T0)
    stranger = KeyStore(database, parse_master_keys(generate_master_key(), "x"), SETTINGS)
    with pytest.raises(KeyDecryptionFailed) as info:
        stranger.active("oidc")
    message = info.value.message
    kid = KeyStore(database, master, SETTINGS).active("oidc").kid
    assert kid in message
    assert "wrong TONGBAN_MASTER_KEY" in message
    assert master.primary.key.hex() not in message


def test_a_damaged_stored_key_is_reported_and_nothing_is_changed(
    store: KeyStore, database: Database
) -> None:
    store.ensure("oidc", T0)
    kid = store.active("oidc").kid
    with database.transaction() as session:
        record = session.get(KeyRecord, kid)
        assert record is not None
        assert record.private_blob is not None
        damaged = bytearray(record.private_blob)
        damaged[-5] ^= 0xFF
        record.private_blob = bytes(damaged)
    fresh = KeyStore(database, store._master, SETTINGS)
    with pytest.raises(KeyDecryptionFailed, match="damaged"):
        fresh.check()
    assert states(fresh)[kid] == "active"


def test_rewrap_moves_every_key_to_the_new_primary_master_key(
    database: Database, master: MasterKeys
) -> None:
    KeyStore(database, master, SETTINGS).ensure("oidc", T0)
    new = parse_master_keys(generate_master_key(), "new")
    both = MasterKeys(new.keys + master.keys)
    assert KeyStore(database, both, SETTINGS).rewrap(T0) == 2
    only_new = KeyStore(database, new, SETTINGS)
    assert only_new.check() == 2
    assert {k.master_key_id for k in only_new.list_keys()} == {new.primary.key_id}


def test_signatures_from_the_store_verify_with_the_published_key(store: KeyStore) -> None:
    store.ensure("oidc", T0, alg="EdDSA")
    signer = store.active("oidc")
    token = sign_jwt(signer, {"exp": 4_000_000_000, "iat": 1})
    claims = verify_jwt(token, lambda kid: store.verification_key("oidc", kid))
    assert claims["exp"] == 4_000_000_000
    with pytest.raises(jwt.InvalidSignatureError):
        verify_jwt(token[:-4] + "AAAA", lambda kid: store.verification_key("oidc", kid))


def test_private_blobs_hold_no_plain_key_material(store: KeyStore, database: Database) -> None:
    store.ensure("oidc", T0)
    with database.transaction() as session:
        blobs = session.execute(select(KeyRecord.private_blob)).scalars().all()
    assert all(b is not None and b.startswith(b"TBE1") for b in blobs)
    assert all(b"\x30\x81" not in b[:8] for b in blobs if b)  # no bare PKCS#8 DER header
