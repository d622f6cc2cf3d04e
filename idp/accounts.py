"""Accounts of natural persons: add, find, disable, and password login.

Issue 4 adds real-name verification, phones, TOTP, passkeys and certificates; this
module holds what every login needs.
"""

from __future__ import annotations

import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Final

from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select

from audit.trail import record as audit_record
from idp.errors import Conflict
from idp.errors import InvalidInput
from idp.errors import LoginFailed
from idp.errors import PersonNotFound
from idp.models import PersonRecord
from idp.passwords import Passwords
from store.db import Database

USERNAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD: Final = 8
MAX_PASSWORD: Final = 128


@dataclass(frozen=True)
class Person:
    id: str
    username: str
    name: str
    loa: int
    status: str
    phone_verified: bool
    id_type: str | None
    realname_verified_at: datetime | None
    created_at: datetime

    @property
    def active(self) -> bool:
        return self.status == "active"


def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().lower()


def check_password_shape(password: str) -> str:
    """Length rules after NIST SP 800-63B §3.1.1.2: no composition rules, NFKC-normalised."""
    password = unicodedata.normalize("NFKC", password)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"password: at most {MAX_PASSWORD} characters")
    return password


#: How long a process may reuse a person's snapshot on the hot path (authorization and
#: token requests). Disabling an account takes effect everywhere within this time.
SNAPSHOT_SECONDS: Final = 2.0


class Accounts:
    def __init__(self, db: Database, passwords: Passwords) -> None:
        self._db = db
        self._passwords = passwords
        self._recent: dict[str, tuple[float, Person]] = {}

    def recent(self, person_id: str) -> Person:
        """:meth:`get`, reusing a snapshot read in the last :data:`SNAPSHOT_SECONDS`.

        An SSO hop asks twice within milliseconds (authorization, then token request).
        """
        cached = self._recent.get(person_id)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        person = self.get(person_id)
        if len(self._recent) > 10_000:
            self._recent.clear()
        self._recent[person_id] = (now + SNAPSHOT_SECONDS, person)
        return person

    def add(
        self, username: str, password: str, name: str, *, now: datetime, actor: str, loa: int = 1
    ) -> Person:
        username = normalise_username(username)
        if not USERNAME_PATTERN.match(username):
            raise InvalidInput("username: 3-64 characters, letters, digits, '.', '_' or '-'")
        name = unicodedata.normalize("NFKC", name).strip()
        if not name or len(name) > 100:
            raise InvalidInput("name: 1 to 100 characters")
        password = check_password_shape(password)
        if password.lower() in (username, name.lower()):
            raise InvalidInput("password: must not be the username or the name")
        digest = self._passwords.hash(password)
        with self._db.transaction() as session:
            taken = session.execute(
                select(func.count())
                .select_from(PersonRecord)
                .where(PersonRecord.username == username)
            ).scalar_one()
            if taken:
                raise Conflict(f"username {username!r} is taken")
            rec = PersonRecord(
                id=secrets.token_hex(16),
                username=username,
                password_hash=digest,
                name=name,
                loa=loa,
                status="active",
                phone_verified=False,
                created_at=now,
                updated_at=now,
            )
            session.add(rec)
            audit_record(
                session,
                actor=actor,
                action="person.add",
                target=f"person:{rec.id}",
                now=now,
                details={"username": username},
            )
            return _person(rec)

    def get(self, person_id: str) -> Person:
        # Every authorization and token request asks this: a prepared Core query, no ORM.
        with self._db.connection() as conn:
            row = conn.execute(_BY_ID, {"id": person_id}).first()
        if row is None:
            raise PersonNotFound(f"no person {person_id!r}")
        return _person(row)

    def by_username(self, username: str) -> Person:
        with self._db.transaction() as session:
            rec = session.execute(
                select(PersonRecord).where(PersonRecord.username == normalise_username(username))
            ).scalar_one_or_none()
            if rec is None:
                raise PersonNotFound(f"no person with username {normalise_username(username)!r}")
            return _person(rec)

    def set_status(self, person_id: str, status: str, *, now: datetime, actor: str) -> Person:
        with self._db.transaction() as session:
            rec = session.get(PersonRecord, person_id)
            if rec is None:
                raise PersonNotFound(f"no person {person_id!r}")
            rec.status = status
            rec.updated_at = now
            audit_record(
                session, actor=actor, action=f"person.{status}", target=f"person:{rec.id}", now=now
            )
            person = _person(rec)
        self._recent.pop(person_id, None)
        return person

    def authenticate(self, username: str, password: str, *, now: datetime) -> Person:
        """The person whose password this is; :class:`LoginFailed` otherwise.

        An unknown username, a wrong password and a disabled account cost the same
        Argon2 verification and fail with the same error, so responses reveal nothing.
        """
        username = normalise_username(username)
        with self._db.transaction() as session:
            rec = session.execute(
                select(PersonRecord).where(PersonRecord.username == username)
            ).scalar_one_or_none()
            stored = rec.password_hash if rec is not None else None
            snapshot = _person(rec) if rec is not None else None
        matches = self._passwords.verify(stored, unicodedata.normalize("NFKC", password))
        if not matches or snapshot is None or not snapshot.active:
            raise LoginFailed("wrong username or password")
        if stored is not None and self._passwords.needs_rehash(stored):
            with self._db.transaction() as session:
                rec = session.get(PersonRecord, snapshot.id)
                if rec is not None:
                    rec.password_hash = self._passwords.hash(password)
                    rec.updated_at = now
        return snapshot


_persons = PersonRecord.__table__
_BY_ID = select(_persons).where(_persons.c.id == bindparam("id"))


def _person(rec: Any) -> Person:
    return Person(
        id=rec.id,
        username=rec.username,
        name=rec.name,
        loa=rec.loa,
        status=rec.status,
        phone_verified=rec.phone_verified,
        id_type=rec.id_type,
        realname_verified_at=rec.realname_verified_at,
        created_at=rec.created_at,
    )
