"""Federation: the upstream provider's verified identity mapped to a local person.

The rules (``docs/federation.md`` explains them for operators), in order:

1. **Linked before.** A link (upstream issuer, upstream ``sub``) names the person. If the
   upstream now asserts a verified ID number: the person's own number must be the same;
   a person without one is lifted to level 2 with it (unless another account holds it).
2. **Same verified ID number.** At a mapped level of 2 or more the upstream's ID number
   counts as verified; an account here whose verified number is the same is linked.
3. **Create** (``federation.create_accounts``): a new account with the upstream's name,
   phone (when no other account holds it) and, at level 2 or more, its ID number; no
   password. Level 1 otherwise.
4. Otherwise the login is refused: nobody to link.

Nothing verified here is ever overwritten or lowered: a number that differs from the
linked person's, a number another account holds, or a second upstream account for a
person already linked is a :class:`~idp.errors.FederationConflict`, recorded in the
audit trail for an operator to settle. Each write (the link, a new account, a lift) is
one transaction with its audit event, so a failure leaves nothing half-written.

The login's level is the upstream's ``acr`` mapped by ``federation.acr_levels`` and
capped by ``federation.max_level``, and never above what the account itself holds
(level 3 needs a level-2 account, as for local logins).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any
from typing import Final
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audit.trail import Outcome
from audit.trail import record as audit_record
from config.load import acr_level_map
from config.settings import FederationSettings
from idp.accounts import Accounts
from idp.accounts import Person
from idp.accounts import check_name
from idp.acr import STRONG_METHODS
from idp.errors import Conflict
from idp.errors import FederationConflict
from idp.errors import FederationIncomplete
from idp.errors import FederationNoAccount
from idp.errors import InvalidInput
from idp.identity.documents import Document
from idp.identity.documents import DocumentType
from idp.identity.documents import parse_document
from idp.identity.errors import IdentityError
from idp.identity.masking import mask_id_number
from idp.identity.phones import parse_mobile
from idp.models import FederationLink
from store.db import Database

#: Authentication method references an upstream may report (RFC 8176 §2); others are
#: dropped rather than passed on to relying parties.
RFC8176_AMR: Final = frozenset(
    {
        "face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pwd",
        "rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia",
    }
)  # fmt: skip
#: Our own ``amr`` value for a login through the upstream.
FEDERATED: Final = "fed"
USERNAME_PREFIX: Final = "fed-"
#: How a link was made (``federation_links.linked_by``).
LINKED_BY_CREATION: Final = "created"
LINKED_BY_ID_NUMBER: Final = "id_number"


@dataclass(frozen=True)
class UpstreamIdentity:
    """What the upstream asserted, already mapped to local terms."""

    issuer: str
    subject: str
    #: The upstream's level mapped by ``acr_levels`` and capped by ``max_level`` (1..3).
    level: int
    #: The upstream's ``amr`` values that RFC 8176 registers.
    amr: tuple[str, ...]
    name: str | None
    #: Only when ``level`` is 2 or more: below that the number is not verified.
    document: Document | None
    phone: str | None
    phone_verified: bool


@dataclass(frozen=True)
class FederatedLogin:
    person: Person
    #: The level of this login (the session's ``acr``).
    level: int
    amr: tuple[str, ...]
    #: ``login`` (linked before), ``linked`` (by ID number) or ``created``.
    outcome: str


def identity_from_claims(
    claims: Mapping[str, Any], settings: FederationSettings, *, today: date
) -> UpstreamIdentity:
    """Read verified ID-token (and userinfo) claims in the terms of ``settings``.

    :raises FederationIncomplete: an ID number that is not a valid document number.
    """
    levels = acr_level_map(settings.acr_levels)
    acr = claims.get("acr")
    level = min(levels.get(acr, 1) if isinstance(acr, str) else 1, settings.max_level)
    raw_amr = claims.get("amr")
    amr = tuple(
        dict.fromkeys(m for m in (raw_amr if isinstance(raw_amr, list) else []) if m in RFC8176_AMR)
    )
    document = None
    number = claims.get(settings.id_number_claim)
    if level >= 2 and isinstance(number, str) and number.strip():
        doc_type = claims.get(settings.id_type_claim) or DocumentType.RESIDENT_ID.value
        try:
            document = parse_document(str(doc_type), number.strip(), today=today)
        except IdentityError as exc:
            raise FederationIncomplete(
                "the upstream provider sent an ID number that is not valid",
                detail=f"id number refused: {exc.code}",
            ) from None
    return UpstreamIdentity(
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        level=level,
        amr=amr,
        name=_name(claims.get(settings.name_claim)) or _name(claims.get("name")),
        document=document,
        phone=_phone(claims.get(settings.phone_claim)),
        phone_verified=claims.get("phone_number_verified") is True,
    )


def session_level(upstream_level: int, account_loa: int) -> int:
    """The login's level: the upstream's, but never above the account's own (1 or 2);
    level 3 needs a level-2 account, as with a local passkey or certificate."""
    if upstream_level >= 3 and account_loa >= 2:
        return 3
    return max(1, min(upstream_level, account_loa))


def login_amr(level: int, upstream_amr: tuple[str, ...]) -> tuple[str, ...]:
    """``fed`` and the upstream's methods. Phishing-resistant ones are kept only when the
    login reached level 3, so nothing later lifts a session past ``max_level`` from them."""
    kept = [m for m in upstream_amr if level >= 3 or m not in STRONG_METHODS]
    return (FEDERATED, *kept)


class Federation:
    def __init__(self, db: Database, accounts: Accounts, settings: FederationSettings) -> None:
        self._db = db
        self._accounts = accounts
        self.settings = settings
        self._actor = f"federation:{urlsplit(settings.issuer).netloc}"

    def sign_in(
        self, identity: UpstreamIdentity, *, now: datetime, request_id: str | None = None
    ) -> FederatedLogin:
        """The local person this upstream identity logs in as, by the module's rules.

        :raises FederationConflict: the link and the verified ID number disagree.
        :raises FederationNoAccount: nobody to link and creating accounts is off, or the
            account is disabled.
        :raises FederationIncomplete: an account would be created without a name.
        """
        try:
            return self._sign_in(identity, now=now, request_id=request_id)
        except (IntegrityError, Conflict):
            # Two logins of the same new person raced (both tried to link or create):
            # the loser's transaction rolled back whole; a second look finds the link.
            pass
        try:
            return self._sign_in(identity, now=now, request_id=request_id)
        except (IntegrityError, Conflict):
            self._refuse(identity, None, "create_failed", now, request_id)
            raise  # pragma: no cover (_refuse raises)

    def linked_person(self, issuer: str, subject: str) -> str | None:
        """The id of the person linked to this upstream account, if any."""
        with self._db.connection() as conn:
            found = conn.execute(
                select(_links.c.person_id).where(
                    _links.c.issuer == issuer, _links.c.subject == subject
                )
            ).scalar()
        return str(found) if found is not None else None

    # -- the rules ------------------------------------------------------------------------------

    def _sign_in(
        self, identity: UpstreamIdentity, *, now: datetime, request_id: str | None
    ) -> FederatedLogin:
        person_id = self.linked_person(identity.issuer, identity.subject)
        if person_id is not None:
            return self._linked(person_id, identity, now=now, request_id=request_id)
        holder = self._accounts.by_document(identity.document) if identity.document else None
        if holder is not None:
            return self._link_by_id_number(holder, identity, now=now, request_id=request_id)
        if not self.settings.create_accounts:
            self._refuse(identity, None, "no_account", now, request_id, FederationNoAccount)
        return self._create(identity, now=now, request_id=request_id)

    def _linked(
        self, person_id: str, identity: UpstreamIdentity, *, now: datetime, request_id: str | None
    ) -> FederatedLogin:
        person = self._active(person_id, identity, now, request_id)
        document = identity.document
        lift = False
        if document is not None:
            holder = self._accounts.by_document(document)
            if person.has_id_number and (holder is None or holder.id != person.id):
                self._refuse(identity, person.id, "id_number_differs", now, request_id)
            if holder is not None and holder.id != person.id:
                self._refuse(identity, person.id, "id_number_elsewhere", now, request_id)
            lift = not person.has_id_number
        with self._db.transaction() as session:
            if lift and document is not None:
                person = self._accounts.set_realname(
                    person.id,
                    identity.name or person.name,
                    document,
                    verified_by="upstream",
                    reference=identity.issuer,
                    now=now,
                    actor=self._actor,
                    request_id=request_id,
                    within=session,
                )
            session.execute(
                update(FederationLink)
                .where(
                    FederationLink.issuer == identity.issuer,
                    FederationLink.subject == identity.subject,
                )
                .values(last_login_at=now)
            )
            self._audit(session, "federation.login", person.id, identity, now, request_id)
        return self._login(person, identity, "login")

    def _link_by_id_number(
        self, holder: Person, identity: UpstreamIdentity, *, now: datetime, request_id: str | None
    ) -> FederatedLogin:
        person = self._active(holder.id, identity, now, request_id)
        with self._db.transaction() as session:
            other = session.execute(
                select(FederationLink.subject).where(
                    FederationLink.issuer == identity.issuer,
                    FederationLink.person_id == person.id,
                )
            ).first()
            if other is None:
                self._add_link(session, person.id, identity, LINKED_BY_ID_NUMBER, now)
                self._audit(session, "federation.linked", person.id, identity, now, request_id)
        if other is not None:
            # Another upstream account of the same person was linked before.
            self._refuse(identity, person.id, "already_linked", now, request_id)
        return self._login(person, identity, "linked")

    def _create(
        self, identity: UpstreamIdentity, *, now: datetime, request_id: str | None
    ) -> FederatedLogin:
        if identity.name is None:
            raise FederationIncomplete(
                "the upstream provider did not share the person's name",
                detail=f"claim {self.settings.name_claim!r} and 'name' missing or invalid",
            )
        phone = identity.phone
        if phone is not None and self._accounts.by_phone(phone) is not None:
            phone = None  # Another account's number: the new one goes without a phone.
        with self._db.transaction() as session:
            person = self._accounts.add(
                USERNAME_PREFIX + secrets.token_hex(6),
                None,
                identity.name,
                now=now,
                actor=self._actor,
                phone=phone,
                phone_verified=identity.phone_verified,
                document=identity.document,
                verified_by="upstream" if identity.document else None,
                request_id=request_id,
                within=session,
            )
            self._add_link(session, person.id, identity, LINKED_BY_CREATION, now)
            self._audit(session, "federation.created", person.id, identity, now, request_id)
        return self._login(person, identity, "created")

    # -- helpers --------------------------------------------------------------------------------

    def _active(
        self, person_id: str, identity: UpstreamIdentity, now: datetime, request_id: str | None
    ) -> Person:
        person = self._accounts.get(person_id)
        if not person.active:
            self._refuse(identity, person.id, "disabled", now, request_id, FederationNoAccount)
        return person

    def _login(self, person: Person, identity: UpstreamIdentity, outcome: str) -> FederatedLogin:
        level = session_level(identity.level, person.loa)
        return FederatedLogin(person, level, login_amr(level, identity.amr), outcome)

    @staticmethod
    def _add_link(
        session: Session, person_id: str, identity: UpstreamIdentity, linked_by: str, now: datetime
    ) -> None:
        session.add(
            FederationLink(
                issuer=identity.issuer,
                subject=identity.subject,
                person_id=person_id,
                linked_by=linked_by,
                created_at=now,
                last_login_at=now,
            )
        )
        session.flush()  # The primary key and the one-per-person rule are checked here.

    def _audit(
        self,
        session: Session,
        action: str,
        person_id: str | None,
        identity: UpstreamIdentity,
        now: datetime,
        request_id: str | None,
        *,
        outcome: Outcome = "success",
        reason: str | None = None,
    ) -> None:
        details: dict[str, Any] = {
            "issuer": identity.issuer,
            "subject": identity.subject,
            "upstream_level": identity.level,
        }
        if reason is not None:
            details["reason"] = reason
        if identity.document is not None:
            details["id_number"] = mask_id_number(identity.document.number)
        audit_record(
            session,
            actor=self._actor,
            action=action,
            target=f"person:{person_id}" if person_id else f"upstream:{identity.issuer}",
            now=now,
            outcome=outcome,
            request_id=request_id,
            details=details,
        )

    def _refuse(
        self,
        identity: UpstreamIdentity,
        person_id: str | None,
        reason: str,
        now: datetime,
        request_id: str | None,
        error: type[FederationConflict | FederationNoAccount] = FederationConflict,
    ) -> None:
        """Record the refusal in the audit trail, then raise ``error``."""
        with self._db.transaction() as session:
            self._audit(
                session,
                "federation.refused",
                person_id,
                identity,
                now,
                request_id,
                outcome="failure",
                reason=reason,
            )
        raise error(REFUSALS[reason], detail=f"federation refused: {reason}")


REFUSALS: Final = {
    "id_number_differs": "the ID number the upstream provider verified is not the one of "
    "the account linked to it; please contact support",
    "id_number_elsewhere": "the ID number the upstream provider verified belongs to another "
    "account here; please contact support",
    "already_linked": "the account with this ID number is linked to another account at the "
    "upstream provider; please contact support",
    "create_failed": "the account could not be set up; please try again",
    "no_account": "there is no account here for this person, and none may be created "
    "through the upstream provider",
    "disabled": "this account is disabled",
}


_links = FederationLink.__table__


def _name(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return check_name(value)
    except InvalidInput:
        return None


def _phone(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_mobile(value)
    except IdentityError:
        return None
