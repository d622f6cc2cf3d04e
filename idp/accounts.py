"""Accounts of natural persons: add, find, disable; phones, ID numbers and TOTP secrets
kept encrypted; password checks with equal work for unknown names.

ID numbers and phone numbers are encrypted at rest under the personal-data keys of
:mod:`keys.pii` (bound to the row's id) and found by keyed lookup hash, looked up under
every configured master key so a master key rotation loses nothing. Nothing in this
module logs or returns a full number except :meth:`Accounts.phone_of` and
:meth:`Accounts.id_number_of`, which claims and SMS delivery need.
"""

from __future__ import annotations

import re
import secrets
import time
import unicodedata
from contextlib import AbstractContextManager
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Final

from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.trail import record as audit_record
from config.errors import TongbanError
from idp.authn.errors import PasswordRejected
from idp.authn.password_policy import PasswordPolicy
from idp.authn.password_policy import normalise_password
from idp.errors import IdNumberTaken
from idp.errors import InvalidInput
from idp.errors import LoginFailed
from idp.errors import PersonNotFound
from idp.errors import PhoneTaken
from idp.errors import UsernameTaken
from idp.identity.documents import Document
from idp.identity.errors import IdentityError
from idp.identity.errors import PhoneInvalid
from idp.identity.masking import mask_id_number
from idp.identity.masking import mask_phone
from idp.identity.phones import parse_mobile
from idp.models import PersonRecord
from idp.passwords import Passwords
from idp.registry.local import ID_NUMBER_PURPOSE
from keys.pii import PersonalDataCipher
from store.db import Database

USERNAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
PHONE_PURPOSE: Final = "phone"
TOTP_PURPOSE: Final = "totp"
#: How long a process may reuse a person's snapshot on the hot path (authorization and
#: token requests). Disabling an account takes effect everywhere within this time.
SNAPSHOT_SECONDS: Final = 2.0


@dataclass(frozen=True)
class Person:
    """A person's account as pages and tokens see it: no secrets, no full numbers."""

    id: str
    username: str
    name: str
    loa: int
    status: str
    phone_verified: bool
    id_type: str | None
    realname_verified_at: datetime | None
    created_at: datetime
    has_phone: bool = False
    has_id_number: bool = False
    totp_enrolled: bool = False

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def realname_verified(self) -> bool:
        return self.realname_verified_at is not None


def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().lower()


def check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise InvalidInput("username: 3-64 characters, letters, digits, '.', '_' or '-'")
    return name


def check_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).strip()
    if not text or len(text) > 100 or not text.isprintable():
        raise InvalidInput("name: 1 to 100 printable characters")
    return text


def parse_phone_field(phone: str) -> str:
    """The 11-digit mobile number, or an error that names the field."""
    try:
        return parse_mobile(phone)
    except PhoneInvalid as exc:
        raise named("phone", exc) from None


def named(field: str, exc: PasswordRejected | IdentityError) -> TongbanError:
    """The same kind of error with the field's name in front of its message (for one
    clear line at the command line); the stable ``code`` stays."""
    return exc.__class__(f"{field}: {exc.message}", detail=exc.detail)


@dataclass(frozen=True)
class LoginCandidate:
    """What a password check needs about the account a login name points to."""

    person: Person | None
    password_hash: str | None


class Accounts:
    def __init__(
        self,
        db: Database,
        passwords: Passwords,
        pii: PersonalDataCipher,
        policy: PasswordPolicy | None = None,
    ) -> None:
        self._db = db
        self._passwords = passwords
        self._pii = pii
        self._policy = policy or PasswordPolicy.default()
        self._recent: dict[str, tuple[float, Person]] = {}

    @property
    def passwords(self) -> Passwords:
        return self._passwords

    # -- adding and changing ----------------------------------------------------------------

    def check_new_password(self, password: str, *, context: tuple[str, ...]) -> str:
        """The NFKC form of an acceptable new password; the policy's error otherwise."""
        try:
            return self._policy.check(password, context=[c for c in context if c])
        except PasswordRejected as exc:
            raise named("password", exc) from None

    def add(
        self,
        username: str,
        password: str | None,
        name: str,
        *,
        now: datetime,
        actor: str,
        loa: int = 1,
        phone: str | None = None,
        phone_verified: bool = False,
        document: Document | None = None,
        verified_by: str | None = None,
        request_id: str | None = None,
        within: Session | None = None,
    ) -> Person:
        """Create an account; a ``document`` makes it level 2 and needs ``verified_by``
        (the registry that matched it), so an unverified number is never stored.

        ``within``: a transaction of the caller's to write in (federation creates the
        account and its link together), instead of one of its own."""
        username = check_username(username)
        name = check_name(name)
        number = parse_phone_field(phone) if phone else None
        if document is not None and not verified_by:
            raise ValueError("an ID document is stored only after a registry verified it")
        digest = None
        if password is not None:
            normalised = self.check_new_password(password, context=(username, name, number or ""))
            digest = self._passwords.hash(normalised)
        person_id = secrets.token_hex(16)
        with self._transaction(within) as session:
            taken = session.execute(
                select(func.count())
                .select_from(PersonRecord)
                .where(PersonRecord.username == username)
            ).scalar_one()
            if taken:
                raise UsernameTaken(f"username: {username!r} is taken")
            rec = PersonRecord(
                id=person_id,
                username=username,
                password_hash=digest,
                name=name,
                loa=1,
                status="active",
                phone_verified=False,
                created_at=now,
                updated_at=now,
            )
            if number is not None:
                self._store_phone(session, rec, number, verified=phone_verified)
            if document is not None:
                self._store_document(session, rec, name, document, now)
                loa = max(loa, 2)
            rec.loa = loa
            session.add(rec)
            audit_record(
                session,
                actor=actor,
                action="person.add",
                target=f"person:{rec.id}",
                now=now,
                request_id=request_id,
                details={
                    "username": username,
                    "loa": loa,
                    "phone": mask_phone(number) if number else None,
                    "id_type": document.type.value if document else None,
                    "id_number": mask_id_number(document.number) if document else None,
                    "verified_by": verified_by,
                },
            )
            return _person(rec)

    def set_realname(
        self,
        person_id: str,
        name: str,
        document: Document,
        *,
        verified_by: str,
        reference: str | None,
        now: datetime,
        actor: str,
        request_id: str | None = None,
        within: Session | None = None,
    ) -> Person:
        """Record a registry-verified name and document: the account becomes level 2.

        ``within``: as for :meth:`add`."""
        name = check_name(name)
        with self._transaction(within) as session:
            rec = session.get(PersonRecord, person_id)
            if rec is None:
                raise PersonNotFound(f"no person {person_id!r}")
            self._store_document(session, rec, name, document, now)
            rec.loa = max(rec.loa, 2)
            rec.updated_at = now
            audit_record(
                session,
                actor=actor,
                action="person.realname_verified",
                target=f"person:{rec.id}",
                now=now,
                request_id=request_id,
                details={
                    "id_type": document.type.value,
                    "id_number": mask_id_number(document.number),
                    "registry": verified_by,
                    "reference": reference,
                },
            )
            person = _person(rec)
        self._recent.pop(person_id, None)
        return person

    def set_phone(
        self, person_id: str, phone: str, *, verified: bool, now: datetime, actor: str
    ) -> Person:
        number = parse_phone_field(phone)
        with self._db.transaction() as session:
            rec = session.get(PersonRecord, person_id)
            if rec is None:
                raise PersonNotFound(f"no person {person_id!r}")
            self._store_phone(session, rec, number, verified=verified)
            rec.updated_at = now
            audit_record(
                session,
                actor=actor,
                action="person.phone",
                target=f"person:{rec.id}",
                now=now,
                details={"phone": mask_phone(number), "verified": verified},
            )
            person = _person(rec)
        self._recent.pop(person_id, None)
        return person

    def set_totp_secret(
        self, person_id: str, secret: str | None, *, now: datetime, actor: str
    ) -> None:
        """Enrol (``secret``) or remove (None) the TOTP second factor."""
        with self._db.transaction() as session:
            rec = session.get(PersonRecord, person_id)
            if rec is None:
                raise PersonNotFound(f"no person {person_id!r}")
            rec.totp_secret_enc = (
                self._pii.encrypt(TOTP_PURPOSE, secret, context=rec.id.encode()) if secret else None
            )
            rec.updated_at = now
            audit_record(
                session,
                actor=actor,
                action="person.totp_enrolled" if secret else "person.totp_removed",
                target=f"person:{rec.id}",
                now=now,
            )
        self._recent.pop(person_id, None)

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

    # -- reading ----------------------------------------------------------------------------

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

    def get(self, person_id: str) -> Person:
        # Every authorization and token request asks this: a prepared Core query, no ORM.
        with self._db.connection() as conn:
            row = conn.execute(_BY_ID, {"id": person_id}).first()
        if row is None:
            raise PersonNotFound(f"no person {person_id!r}")
        return _person(row)

    def by_username(self, username: str) -> Person:
        with self._db.connection() as conn:
            row = conn.execute(
                select(_persons).where(_persons.c.username == normalise_username(username))
            ).first()
        if row is None:
            raise PersonNotFound(f"no person with username {normalise_username(username)!r}")
        return _person(row)

    def username_taken(self, username: str) -> bool:
        with self._db.connection() as conn:
            found = conn.execute(
                select(_persons.c.id).where(_persons.c.username == normalise_username(username))
            ).first()
        return found is not None

    def by_phone(self, phone: str) -> Person | None:
        """The account holding this mobile number, if any."""
        hashes = self._pii.lookup_hashes(PHONE_PURPOSE, parse_mobile(phone))
        with self._db.connection() as conn:
            row = conn.execute(select(_persons).where(_persons.c.phone_hash.in_(hashes))).first()
        return _person(row) if row is not None else None

    def by_document(self, document: Document) -> Person | None:
        hashes = self._pii.lookup_hashes(ID_NUMBER_PURPOSE, document.lookup_value)
        with self._db.connection() as conn:
            row = conn.execute(
                select(_persons).where(_persons.c.id_number_hash.in_(hashes))
            ).first()
        return _person(row) if row is not None else None

    def login_candidate(self, login: str) -> LoginCandidate:
        """The account a login name (username or mobile number) points to, with its
        password hash; both None when there is none."""
        text = unicodedata.normalize("NFKC", login).strip()
        condition = [_persons.c.username == normalise_username(text)]
        try:
            number = parse_mobile(text)
        except IdentityError:
            number = None
        if number is not None:
            condition.append(
                _persons.c.phone_hash.in_(self._pii.lookup_hashes(PHONE_PURPOSE, number))
            )
        with self._db.connection() as conn:
            row = conn.execute(select(_persons).where(or_(*condition)).limit(1)).first()
        if row is None:
            return LoginCandidate(None, None)
        return LoginCandidate(_person(row), row.password_hash)

    def phone_of(self, person_id: str) -> str | None:
        """The full mobile number (for SMS delivery and the consented ``phone`` claim)."""
        with self._db.connection() as conn:
            blob = conn.execute(
                select(_persons.c.phone_enc).where(_persons.c.id == person_id)
            ).scalar()
        return self._pii.decrypt(PHONE_PURPOSE, blob, context=person_id.encode()) if blob else None

    def id_number_of(self, person_id: str) -> str | None:
        """The full ID number (only for the consented ``idnumber`` claim)."""
        with self._db.connection() as conn:
            blob = conn.execute(
                select(_persons.c.id_number_enc).where(_persons.c.id == person_id)
            ).scalar()
        if not blob:
            return None
        return self._pii.decrypt(ID_NUMBER_PURPOSE, blob, context=person_id.encode())

    def masked_numbers(self, person_id: str) -> tuple[str | None, str | None]:
        """(masked phone, masked ID number), for pages and the ``realname`` claim."""
        phone, number = self.phone_of(person_id), self.id_number_of(person_id)
        return (
            mask_phone(phone) if phone else None,
            mask_id_number(number) if number else None,
        )

    def totp_secret(self, person_id: str) -> str | None:
        with self._db.connection() as conn:
            blob = conn.execute(
                select(_persons.c.totp_secret_enc).where(_persons.c.id == person_id)
            ).scalar()
        return self._pii.decrypt(TOTP_PURPOSE, blob, context=person_id.encode()) if blob else None

    # -- passwords --------------------------------------------------------------------------

    def authenticate(self, login: str, password: str, *, now: datetime) -> Person:
        """The person whose password this is; :class:`LoginFailed` otherwise.

        An unknown name, a wrong password and a disabled account cost the same Argon2
        verification and fail with the same error, so responses reveal nothing.
        Throttling is the caller's (:class:`idp.login.Logins`).
        """
        candidate = self.login_candidate(login)
        normalised = normalise_password(password)
        matches = self._passwords.verify(candidate.password_hash, normalised)
        person = candidate.person
        if not matches or person is None or not person.active:
            raise LoginFailed("wrong username or password")
        stored = candidate.password_hash
        if stored is not None and self._passwords.needs_rehash(stored):
            with self._db.transaction() as session:
                rec = session.get(PersonRecord, person.id)
                if rec is not None:
                    rec.password_hash = self._passwords.hash(normalised)
                    rec.updated_at = now
        return person

    # -- storage helpers ----------------------------------------------------------------------

    def _transaction(self, within: Session | None) -> AbstractContextManager[Session]:
        return nullcontext(within) if within is not None else self._db.transaction()

    def _store_phone(
        self, session: Session, rec: PersonRecord, number: str, *, verified: bool
    ) -> None:
        hashes = self._pii.lookup_hashes(PHONE_PURPOSE, number)
        _refuse_taken(session, PersonRecord.phone_hash, hashes, rec.id, "phone", "mobile number")
        rec.phone_enc = self._pii.encrypt(PHONE_PURPOSE, number, context=rec.id.encode())
        rec.phone_hash = hashes[0]
        rec.phone_verified = verified

    def _store_document(
        self, session: Session, rec: PersonRecord, name: str, document: Document, now: datetime
    ) -> None:
        hashes = self._pii.lookup_hashes(ID_NUMBER_PURPOSE, document.lookup_value)
        _refuse_taken(
            session, PersonRecord.id_number_hash, hashes, rec.id, "id_number", "ID number"
        )
        rec.id_type = document.type.value
        rec.id_number_enc = self._pii.encrypt(
            ID_NUMBER_PURPOSE, document.number, context=rec.id.encode()
        )
        rec.id_number_hash = hashes[0]
        rec.name = name
        rec.realname_verified_at = now


def _refuse_taken(
    session: Session, column: Any, hashes: tuple[str, ...], own_id: str, field: str, what: str
) -> None:
    """Refuse a number another account already holds (under any master key)."""
    holder = session.execute(
        select(PersonRecord.id).where(column.in_(hashes), PersonRecord.id != own_id)
    ).first()
    if holder is not None:
        error = PhoneTaken if field == "phone" else IdNumberTaken
        raise error(f"{field}: this {what} belongs to another account")


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
        has_phone=rec.phone_hash is not None,
        has_id_number=rec.id_number_hash is not None,
        totp_enrolled=rec.totp_secret_enc is not None,
    )
