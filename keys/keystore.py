"""The key store: generate, encrypt, rotate and publish signing keys.

Every key serves one *purpose* (``oidc`` for tokens, later ``licence``, ``tsa``, ...)
and moves through ``next → active → retired → removed``:

* **next** is generated one rotation ahead and already published, so relying parties
  that cache the JWKS know it before the first token it signs;
* **active** signs; exactly one per purpose (a partial unique index holds the line);
* **retired** no longer signs but stays published until ``publish_until`` (rotation
  time + ``keys.retired_publish_seconds``), long enough for every token it signed to
  expire;
* **removed** is unpublished and its private half is wiped; the row stays as history.

Processes cache the active signer and the JWKS bytes for ``keys.cache_seconds``;
because the next key is published ahead, a process that signs a little longer with
the previous key, or serves a slightly older JWKS, breaks no token.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.trail import record as audit_record
from config.settings import KeySettings
from keys.algorithms import PublicKey
from keys.algorithms import check_algorithm
from keys.algorithms import generate_private_key
from keys.algorithms import private_key_from_der
from keys.algorithms import private_key_to_der
from keys.envelope import EnvelopeError
from keys.envelope import open_sealed
from keys.envelope import seal
from keys.envelope import wrapped_by
from keys.errors import KeyDecryptionFailed
from keys.errors import KeyNotFound
from keys.errors import KeysError
from keys.jose import jwk_thumbprint
from keys.jose import jwks_document
from keys.jose import public_jwk
from keys.jose import public_key_from_jwk
from keys.master import MasterKeys
from keys.models import KeyRecord
from keys.signer import Signer
from keys.software import SoftwareSigner
from store.db import Database

PURPOSE_PATTERN: Final = re.compile(r"^[a-z][a-z0-9._:-]{0,63}$")
KID_LENGTH: Final = 22  # 132 bits of the RFC 7638 thumbprint
PUBLISHED_STATES: Final = ("next", "active", "retired")


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key: never its private half."""

    kid: str
    purpose: str
    alg: str
    state: str
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None
    publish_until: datetime | None
    removed_at: datetime | None
    master_key_id: str | None


@dataclass(frozen=True)
class PublishedKey:
    kid: str
    alg: str
    state: str
    public_key: PublicKey
    jwk: dict[str, object]


@dataclass(frozen=True)
class Rotation:
    purpose: str
    activated: str
    retired: str | None
    next: str
    removed: tuple[str, ...]


class KeyStore:
    def __init__(
        self,
        db: Database,
        master: MasterKeys,
        settings: KeySettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._master = master
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._signers: dict[str, Signer] = {}
        self._active: dict[str, tuple[float, Signer]] = {}
        self._published: dict[str, tuple[float, list[PublishedKey], bytes]] = {}

    # -- reading ---------------------------------------------------------------------

    def active(self, purpose: str) -> Signer:
        """The signer for ``purpose``; raise :class:`KeyNotFound` when there is none."""
        cached = self._active.get(purpose)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        with self._db.transaction() as session:
            rec = _one(session, purpose, "active")
            if rec is None:
                raise KeyNotFound(
                    f"no active {purpose!r} key; run `tongban keys rotate --purpose {purpose}`"
                )
            signer = self._signer_for(rec)
        self._active[purpose] = (time.monotonic() + self._settings.cache_seconds, signer)
        return signer

    def published(self, purpose: str) -> list[PublishedKey]:
        """The keys whose public halves are published for ``purpose``: next, active, retired."""
        return self._published_entry(purpose)[1]

    def jwks(self, purpose: str) -> bytes:
        """The JWK Set of :meth:`published` keys, serialised once per cache period."""
        return self._published_entry(purpose)[2]

    def verification_key(self, purpose: str, kid: str | None) -> tuple[PublicKey, str]:
        """The public key and its algorithm for a published ``kid`` of ``purpose``."""
        if kid is None:
            raise KeyNotFound("the token names no kid")
        for key in self.published(purpose):
            if key.kid == kid:
                return key.public_key, key.alg
        # The key may have been published since our cache was filled.
        self._published.pop(purpose, None)
        for key in self.published(purpose):
            if key.kid == kid:
                return key.public_key, key.alg
        raise KeyNotFound(f"no published {purpose!r} key with kid {kid!r}")

    def list_keys(self, purpose: str | None = None) -> list[KeyInfo]:
        with self._db.transaction() as session:
            stmt = select(KeyRecord).order_by(KeyRecord.purpose, KeyRecord.created_at)
            if purpose is not None:
                stmt = stmt.where(KeyRecord.purpose == purpose)
            return [_info(r) for r in session.execute(stmt).scalars()]

    def purposes(self) -> list[str]:
        with self._db.transaction() as session:
            stmt = select(KeyRecord.purpose).distinct().order_by(KeyRecord.purpose)
            return list(session.execute(stmt).scalars())

    def rotation_due(self, purpose: str, now: datetime) -> bool:
        with self._db.transaction() as session:
            rec = _one(session, purpose, "active")
        if rec is None or rec.activated_at is None:
            return True
        return rec.activated_at + timedelta(days=self._settings.rotate_after_days) <= now

    def check(self) -> int:
        """Decrypt every next and active key; return how many. Raise on the first failure."""
        with self._db.transaction() as session:
            stmt = select(KeyRecord).where(KeyRecord.state.in_(("next", "active")))
            records = list(session.execute(stmt).scalars())
        for rec in records:
            self._decrypt(rec)
        return len(records)

    # -- changing --------------------------------------------------------------------

    def ensure(
        self, purpose: str, now: datetime, *, alg: str | None = None, actor: str = "system"
    ) -> bool:
        """Create an active and a next key for ``purpose`` if it has no active key."""
        _check_purpose(purpose)
        with self._db.transaction() as session:
            if _one(session, purpose, "active", lock=True) is not None:
                return False
            algorithm = check_algorithm(alg or self._settings.algorithm)
            active = self._new_record(purpose, algorithm, "active", now)
            session.add(active)
            session.flush()
            upcoming = self._new_record(purpose, algorithm, "next", now)
            session.add(upcoming)
            audit_record(
                session,
                actor=actor,
                action="keys.create",
                target=f"keys:{purpose}",
                now=now,
                details={"active": active.kid, "next": upcoming.kid, "alg": algorithm},
            )
        self._forget(purpose)
        return True

    def rotate(
        self, purpose: str, now: datetime, *, alg: str | None = None, actor: str = "system"
    ) -> Rotation:
        """Retire the active key, promote the next one, and generate a new next key.

        With ``alg`` different from the waiting next key's, that key is dropped unused
        and a fresh key of ``alg`` becomes active at once.
        """
        _check_purpose(purpose)
        with self._db.transaction() as session:
            current = _one(session, purpose, "active", lock=True)
            upcoming = _one(session, purpose, "next", lock=True)
            algorithm = check_algorithm(
                alg
                or (upcoming.alg if upcoming else None)
                or (current.alg if current else self._settings.algorithm)
            )
            removed: list[str] = []
            if upcoming is not None and upcoming.alg != algorithm:
                _remove(upcoming, now)
                removed.append(upcoming.kid)
                upcoming = None
            if current is not None:
                current.state = "retired"
                current.retired_at = now
                current.publish_until = now + timedelta(
                    seconds=self._settings.retired_publish_seconds
                )
            session.flush()
            if upcoming is None:
                upcoming = self._new_record(purpose, algorithm, "next", now)
                session.add(upcoming)
            upcoming.state = "active"
            upcoming.activated_at = now
            session.flush()
            fresh = self._new_record(purpose, algorithm, "next", now)
            session.add(fresh)
            removed.extend(self._prune(session, now, purpose))
            rotation = Rotation(
                purpose, upcoming.kid, current.kid if current else None, fresh.kid, tuple(removed)
            )
            audit_record(
                session,
                actor=actor,
                action="keys.rotate",
                target=f"keys:{purpose}",
                now=now,
                details={
                    "activated": rotation.activated,
                    "retired": rotation.retired,
                    "next": rotation.next,
                    "removed": list(rotation.removed),
                    "alg": algorithm,
                },
            )
        self._forget(purpose)
        return rotation

    def prune(self, now: datetime, *, actor: str = "system") -> list[str]:
        """Remove retired keys whose publication period has ended; return their kids."""
        with self._db.transaction() as session:
            removed = self._prune(session, now, None)
            if removed:
                audit_record(
                    session,
                    actor=actor,
                    action="keys.remove",
                    target="keys",
                    now=now,
                    details={"removed": removed},
                )
        self._published.clear()
        return removed

    def rewrap(self, now: datetime, *, actor: str = "system") -> int:
        """Re-encrypt every private key under the primary master key; return how many."""
        primary = self._master.primary.key_id
        count = 0
        with self._db.transaction() as session:
            stmt = select(KeyRecord).where(KeyRecord.private_blob.is_not(None)).with_for_update()
            for rec in session.execute(stmt).scalars():
                if rec.private_blob is None or wrapped_by(rec.private_blob) == primary:
                    continue
                der = self._open(rec)
                rec.private_blob = seal(self._master, der, _aad(rec.kid, rec.purpose, rec.alg))
                count += 1
            audit_record(
                session,
                actor=actor,
                action="keys.rewrap",
                target="keys",
                now=now,
                details={"rewrapped": count, "master_key_id": primary},
            )
        return count

    # -- internals -------------------------------------------------------------------

    def _published_entry(self, purpose: str) -> tuple[float, list[PublishedKey], bytes]:
        cached = self._published.get(purpose)
        if cached is not None and cached[0] > time.monotonic():
            return cached
        now = self._clock()
        with self._db.transaction() as session:
            stmt = (
                select(KeyRecord)
                .where(KeyRecord.purpose == purpose, KeyRecord.state.in_(PUBLISHED_STATES))
                .order_by(KeyRecord.created_at.desc())
            )
            records = [
                r
                for r in session.execute(stmt).scalars()
                if r.state != "retired" or (r.publish_until is not None and r.publish_until > now)
            ]
        # Active first: some clients try keys in order.
        records.sort(key=lambda r: PUBLISHED_STATES.index(r.state) if r.state != "active" else -1)
        keys = [_published_key(r) for r in records]
        entry = (
            time.monotonic() + self._settings.cache_seconds,
            keys,
            jwks_document(k.jwk for k in keys),
        )
        self._published[purpose] = entry
        return entry

    def _new_record(self, purpose: str, alg: str, state: str, now: datetime) -> KeyRecord:
        private = generate_private_key(alg)
        kid = jwk_thumbprint(private.public_key(), alg)[:KID_LENGTH]
        blob = seal(self._master, private_key_to_der(private), _aad(kid, purpose, alg))
        return KeyRecord(
            kid=kid,
            purpose=purpose,
            alg=alg,
            state=state,
            created_at=now,
            activated_at=now if state == "active" else None,
            public_jwk=public_jwk(private.public_key(), kid=kid, alg=alg),
            private_blob=blob,
        )

    def _signer_for(self, rec: KeyRecord) -> Signer:
        with self._lock:
            signer = self._signers.get(rec.kid)
        if signer is None:
            signer = self._decrypt(rec)
            with self._lock:
                self._signers[rec.kid] = signer
        return signer

    def _decrypt(self, rec: KeyRecord) -> Signer:
        return SoftwareSigner(rec.kid, rec.alg, private_key_from_der(self._open(rec), rec.alg))

    def _open(self, rec: KeyRecord) -> bytes:
        if rec.private_blob is None:
            raise KeyNotFound(f"key {rec.kid} ({rec.purpose}) was removed; it cannot sign")
        try:
            return open_sealed(self._master, rec.private_blob, _aad(rec.kid, rec.purpose, rec.alg))
        except EnvelopeError as exc:
            if exc.reason == "wrong_master_key":
                raise KeyDecryptionFailed(
                    f"key {rec.kid} ({rec.purpose}) was encrypted under master key "
                    f"{wrapped_by(rec.private_blob)}, which is not configured: wrong "
                    "TONGBAN_MASTER_KEY or master key file?"
                ) from None
            raise KeyDecryptionFailed(
                f"key {rec.kid} ({rec.purpose}) does not decrypt: its stored ciphertext is "
                "damaged or was altered"
            ) from None

    def _prune(self, session: Session, now: datetime, purpose: str | None) -> list[str]:
        stmt = select(KeyRecord).where(KeyRecord.state == "retired", KeyRecord.publish_until <= now)
        if purpose is not None:
            stmt = stmt.where(KeyRecord.purpose == purpose)
        expired = list(session.execute(stmt.with_for_update()).scalars())
        for rec in expired:
            _remove(rec, now)
        return [r.kid for r in expired]

    def _forget(self, purpose: str) -> None:
        self._active.pop(purpose, None)
        self._published.pop(purpose, None)


def _one(session: Session, purpose: str, state: str, *, lock: bool = False) -> KeyRecord | None:
    stmt = select(KeyRecord).where(KeyRecord.purpose == purpose, KeyRecord.state == state)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def _remove(rec: KeyRecord, now: datetime) -> None:
    rec.state = "removed"
    rec.removed_at = now
    rec.private_blob = None


def _aad(kid: str, purpose: str, alg: str) -> bytes:
    return f"tongban-key|{kid}|{purpose}|{alg}".encode()


def _check_purpose(purpose: str) -> None:
    if not PURPOSE_PATTERN.match(purpose):
        raise KeysError(f"key purpose {purpose!r} must match {PURPOSE_PATTERN.pattern}")


def _published_key(rec: KeyRecord) -> PublishedKey:
    public = public_key_from_jwk(dict(rec.public_jwk), rec.alg)
    return PublishedKey(rec.kid, rec.alg, rec.state, public, dict(rec.public_jwk))


def _info(rec: KeyRecord) -> KeyInfo:
    return KeyInfo(
        kid=rec.kid,
        purpose=rec.purpose,
        alg=rec.alg,
        state=rec.state,
        created_at=rec.created_at,
        activated_at=rec.activated_at,
        retired_at=rec.retired_at,
        publish_until=rec.publish_until,
        removed_at=rec.removed_at,
        master_key_id=wrapped_by(rec.private_blob) if rec.private_blob else None,
    )
