"""The licence service: types, issuers, issuance and changes, the library, publication.

Free of Flask: every method takes plain values and ``now``. Keys come from the key store,
one purpose per issuing department (``licence:<department>``) plus the operator's
trust-list root (``licence-root``); see ``docs/licence-qr-format.md`` §9 and the README.

Issuance, in order:

1. check the type, the department and the data (JSON Schema), work out the validity;
2. reserve a status-list position: a random free index of the department's open list,
   under a row lock on that list, in its own short transaction (a position is never
   handed out twice: it is the primary key of ``licence_credentials``);
3. outside any transaction: sign the credential, render the QR code once (SVG and PNG,
   stored), render the PDF with the QR printed on it, seal it through the sealer port;
4. store the licence, its history row and the audit event in one transaction.

A change of status (suspend, reinstate, revoke, or an amendment superseding a credential)
bumps the list's revision and queues ``licence.status_list`` in the outbox in the same
transaction, so the published list is re-signed even after a crash; the list endpoint
also re-signs on demand when what it holds is older than the list.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time as monotonic_time
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Final
from typing import Literal

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audit.trail import record as audit_record
from config.settings import Settings
from keys.keystore import KeyStore
from keys.models import KeyRecord
from licences import codec
from licences import qr
from licences.claims import LicenceClaims
from licences.claims import StatusReference
from licences.errors import CredentialError
from licences.licence_types import LicenceType
from licences.licence_types import parse_licence_type
from licences.models import APIRequestRecord
from licences.models import CredentialRecord
from licences.models import LicenceHistoryRecord
from licences.models import LicenceIssuerRecord
from licences.models import LicenceRecord
from licences.models import LicenceTypeRecord
from licences.models import PublicationRecord
from licences.models import StatusListRecord
from licences.public_keys import Issuer
from licences.public_keys import TrustedKey
from licences.record_digest import record_digest
from licences.render import LicenceSheet
from licences.render import render_licence_pdf
from licences.sealing import LicenceSealer
from licences.service_errors import IdempotencyKeyReused
from licences.service_errors import IssuerNotRegistered
from licences.service_errors import LicenceDataInvalid
from licences.service_errors import LicenceNotFound
from licences.service_errors import LicenceTypeInvalid
from licences.service_errors import LicenceTypeNotFound
from licences.service_errors import NotIssuingDepartment
from licences.service_errors import StatusChangeInvalid
from licences.status_list import Status
from licences.status_list import StatusList
from licences.status_list import sign_status_list
from licences.trust_list import root_keys_document
from licences.trust_list import sign_trust_list
from store.db import Database
from store.outbox import Outbox
from store.outbox import enqueue

__all__ = [
    "PUBLISH_KIND",
    "ROOT_PURPOSE",
    "CheckResult",
    "HistoryEntry",
    "LicenceService",
    "LicenceView",
    "Publication",
    "licence_purpose",
]

ROOT_PURPOSE: Final = "licence-root"
PUBLISH_KIND: Final = "licence.status_list"
#: A list takes new licences until this share of it is allocated (random draws stay cheap
#: and the herd stays large).
FILL_LIMIT: Final = 0.75
HolderKind = Literal["entity", "person"]
Shown = Literal["valid", "not_yet_valid", "expired", "suspended", "revoked", "superseded", "forged"]
_STATUS_VALUE: Final = {
    "valid": Status.VALID,
    "suspended": Status.SUSPENDED,
    "revoked": Status.INVALID,
}


def licence_purpose(department_id: str) -> str:
    """The key-store purpose of a department's licence keys."""
    return f"licence:{department_id}"


def _second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class LicenceView:
    """A licence as the library, the API and the CLI show it."""

    id: str
    type_id: str
    department_id: str
    issuer_name: str
    holder_kind: str
    holder_code: str
    holder_name: str
    data: dict[str, Any]
    status: str
    status_reason: str | None
    not_before: datetime
    not_after: datetime | None
    version: int
    issued_at: datetime
    updated_at: datetime
    credential: str
    qr_version: int

    def state_at(self, now: datetime) -> str:
        """What a verifier sees now: revoked and suspended first, then the period."""
        if self.status != "valid":
            return self.status
        if now < self.not_before:
            return "not_yet_valid"
        if self.not_after is not None and now > self.not_after:
            return "expired"
        return "valid"

    def record(self) -> dict[str, Any]:
        """The full record whose SHA-256 the credential signs (format §6)."""
        return {
            "licence_type": self.type_id,
            "licence_id": self.id,
            "version": self.version,
            "issuer": self.department_id,
            "holder": {
                "kind": self.holder_kind,
                "code": self.holder_code,
                "name": self.holder_name,
            },
            "not_before": self.not_before.isoformat(),
            "not_after": None if self.not_after is None else self.not_after.isoformat(),
            "data": self.data,
        }

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type_id,
            "issuer": {"department": self.department_id, "name": self.issuer_name},
            "holder": {
                "kind": self.holder_kind,
                "code": self.holder_code,
                "name": self.holder_name,
            },
            "data": self.data,
            "status": self.status,
            "status_reason": self.status_reason,
            "state": self.state_at(now),
            "not_before": self.not_before.isoformat(),
            "not_after": None if self.not_after is None else self.not_after.isoformat(),
            "version": self.version,
            "issued_at": self.issued_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "credential": self.credential,
            "qr_version": self.qr_version,
            "record_digest": record_digest(self.record()).hex(),
        }


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    action: str
    actor: str
    at: datetime
    status: str
    reason: str | None
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "action": self.action,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "status": self.status,
            "reason": self.reason,
            "data": self.data,
        }


@dataclass(frozen=True)
class Publication:
    """A signed document as served, with what HTTP caching needs."""

    token: str
    etag: str
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking a scanned credential online.

    ``licence`` and ``claims`` are set only when the signature verified with a trusted
    key; for ``forged`` they are ``None`` and ``reason`` holds the precise error code.
    """

    shown: Shown
    checked_at: datetime
    reason: str | None = None
    claims: LicenceClaims | None = None
    issuer_name: str | None = None
    licence: LicenceView | None = None
    licence_type: LicenceType | None = None


@dataclass
class _Trust:
    by_cose_kid: dict[bytes, TrustedKey]
    keys: list[TrustedKey]
    fingerprint: str
    loaded: float = field(default_factory=monotonic_time.monotonic)


class LicenceService:
    """Everything the licence web pages, API and CLI ask for."""

    def __init__(
        self, db: Database, keys: KeyStore, settings: Settings, sealer: LicenceSealer
    ) -> None:
        self._db = db
        self._keys = keys
        self._settings = settings
        self._sealer = sealer
        self._lock = threading.Lock()
        self._types: dict[str, tuple[int, LicenceType]] = {}
        self._trust: _Trust | None = None

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def base_url(self) -> str:
        return self._settings.licence_url

    # -- types -------------------------------------------------------------------------

    def put_type(
        self, definition: object, *, now: datetime, actor: str
    ) -> tuple[LicenceType, bool]:
        """Add a type or replace its definition; returns it and whether it was new."""
        licence_type = parse_licence_type(definition)
        with self._db.transaction() as session:
            rec = session.get(LicenceTypeRecord, licence_type.id, with_for_update=True)
            created = rec is None
            if rec is None:
                rec = LicenceTypeRecord(
                    id=licence_type.id,
                    definition=dict(licence_type.definition),
                    revision=1,
                    created_at=now,
                    updated_at=now,
                )
                session.add(rec)
            elif rec.definition != licence_type.definition:
                rec.definition = dict(licence_type.definition)
                rec.revision += 1
                rec.updated_at = now
            else:
                return licence_type, False
            audit_record(
                session,
                actor=actor,
                action="licence_type.add" if created else "licence_type.update",
                target=f"licence_type:{licence_type.id}",
                now=now,
                details={"revision": rec.revision, "departments": list(licence_type.departments)},
            )
        return licence_type, created

    def get_type(self, type_id: str) -> LicenceType:
        with self._db.transaction() as session:
            rec = session.get(LicenceTypeRecord, type_id)
            if rec is None:
                raise LicenceTypeNotFound(f"no licence type {type_id!r}")
            return self._parsed_type(rec)

    def list_types(self) -> list[LicenceType]:
        with self._db.transaction() as session:
            records = session.execute(select(LicenceTypeRecord).order_by(LicenceTypeRecord.id))
            return [self._parsed_type(rec) for rec in records.scalars()]

    def _parsed_type(self, rec: LicenceTypeRecord) -> LicenceType:
        cached = self._types.get(rec.id)
        if cached is not None and cached[0] == rec.revision:
            return cached[1]
        try:
            parsed = parse_licence_type(rec.definition)
        except LicenceTypeInvalid as exc:  # Stored definitions were checked when added.
            raise LicenceTypeInvalid(f"stored type {rec.id}: {exc.message}") from exc
        self._types[rec.id] = (rec.revision, parsed)
        return parsed

    # -- issuers -----------------------------------------------------------------------

    def register_issuer(
        self,
        department_id: str,
        *,
        name: str,
        credit_code: str,
        name_en: str | None = None,
        now: datetime,
        actor: str,
    ) -> bool:
        """Register a department as a licence issuer and create its keys; False if it was."""
        name = name.strip()
        if not name or len(name) > 200:
            raise LicenceDataInvalid("the issuer name must be 1 to 200 characters")
        if (
            not credit_code.isascii()
            or not credit_code.isalnum()
            or not 8 <= len(credit_code) <= 32
        ):
            raise LicenceDataInvalid("the issuer's credit code must be 8 to 32 letters or digits")
        with self._db.transaction() as session:
            rec = session.get(LicenceIssuerRecord, department_id)
            if rec is not None:
                rec.name, rec.name_en, rec.credit_code = name, name_en, credit_code
                created = False
            else:
                session.add(
                    LicenceIssuerRecord(
                        department_id=department_id,
                        name=name,
                        name_en=name_en,
                        credit_code=credit_code,
                        created_at=now,
                    )
                )
                created = True
            audit_record(
                session,
                actor=actor,
                action="licence_issuer.add" if created else "licence_issuer.update",
                target=f"department:{department_id}",
                now=now,
                details={"name": name, "credit_code": credit_code},
            )
        self._keys.ensure(licence_purpose(department_id), now, alg="ES256", actor=actor)
        self._keys.ensure(ROOT_PURPOSE, now, alg="ES256", actor=actor)
        self._trust = None
        return created

    def issuers(self) -> list[tuple[str, str, str]]:
        """(department, name, credit code) of every registered issuer."""
        with self._db.transaction() as session:
            rows = session.execute(
                select(LicenceIssuerRecord).order_by(LicenceIssuerRecord.department_id)
            ).scalars()
            return [(r.department_id, r.name, r.credit_code) for r in rows]

    # -- issuance ----------------------------------------------------------------------

    def issue(
        self,
        *,
        type_id: str,
        department_id: str,
        holder_kind: str,
        holder_code: str,
        holder_name: str,
        data: object,
        now: datetime,
        actor: str,
        idempotency: tuple[str, str, str] | None = None,
    ) -> LicenceView:
        """Issue a licence; see the module docstring for the steps.

        :param idempotency: ``(client_id, key, request fingerprint)``: stored with the licence
            in one transaction, so a repeated request finds it (:meth:`replay`).
        """
        now = _second(now)
        licence_type = self.get_type(type_id)
        if not licence_type.may_be_issued_by(department_id):
            raise NotIssuingDepartment(
                f"department {department_id!r} does not issue {licence_type.id!r} licences"
            )
        if holder_kind not in ("entity", "person") or not licence_type.accepts_holder(holder_kind):
            raise LicenceDataInvalid(
                f"holder.kind: {licence_type.id} is held by {licence_type.holder}"
            )
        holder_code, holder_name = _check_holder(holder_kind, holder_code, holder_name)
        clean = licence_type.check_data(data)
        not_before, not_after = licence_type.validity.period(clean, now)
        issuer = self._issuer(department_id)
        licence_id = (
            f"{licence_type.code}-{now.astimezone(UTC).year}-{secrets.randbelow(10**10):010d}"
        )
        list_id, index = self._reserve_position(department_id, licence_id, 1, now)
        view = LicenceView(
            id=licence_id,
            type_id=licence_type.id,
            department_id=department_id,
            issuer_name=issuer.name,
            holder_kind=holder_kind,
            holder_code=holder_code,
            holder_name=holder_name,
            data=clean,
            status="valid",
            status_reason=None,
            not_before=not_before,
            not_after=not_after,
            version=1,
            issued_at=now,
            updated_at=now,
            credential="",
            qr_version=0,
        )
        made = self._make_credential(licence_type, view, list_id, index, now)
        with self._db.transaction() as session:
            if idempotency is not None:
                client_id, key, fingerprint = idempotency
                session.add(
                    APIRequestRecord(
                        client_id=client_id,
                        key=key,
                        fingerprint=fingerprint,
                        status=201,
                        response={"licence_id": licence_id},
                        created_at=now,
                    )
                )
            session.add(
                LicenceRecord(
                    id=licence_id,
                    type_id=licence_type.id,
                    department_id=department_id,
                    holder_kind=holder_kind,
                    holder_code=holder_code,
                    holder_name=holder_name,
                    data=clean,
                    status="valid",
                    status_reason=None,
                    not_before=not_before,
                    not_after=not_after,
                    version=1,
                    issued_at=now,
                    updated_at=now,
                    status_list_id=list_id,
                    status_index=index,
                    credential=made.url,
                    qr_version=made.qr_version,
                    qr_svg=made.svg,
                    qr_png=made.png,
                    pdf=made.pdf,
                )
            )
            self._bind_credential(session, list_id, index, made)
            self._add_history(session, licence_id, 1, "issue", actor, now, "valid", None, clean)
            audit_record(
                session,
                actor=actor,
                action="licence.issue",
                target=f"licence:{licence_id}",
                now=now,
                details={"type": licence_type.id, "department": department_id, "version": 1},
            )
        return _replace(view, credential=made.url, qr_version=made.qr_version)

    def replay(self, client_id: str, key: str, fingerprint: str) -> LicenceView | None:
        """The licence an earlier request with this ``Idempotency-Key`` created, if any.

        :raises IdempotencyKeyReused: if the key came with a different request.
        """
        with self._db.transaction() as session:
            rec = session.get(APIRequestRecord, (client_id, key))
            if rec is None:
                return None
            if rec.fingerprint != fingerprint:
                raise IdempotencyKeyReused("this Idempotency-Key was used with a different request")
            licence_id = str(rec.response["licence_id"])
        return self.get(licence_id)

    def _issuer(self, department_id: str) -> LicenceIssuerRecord:
        with self._db.transaction() as session:
            rec = session.get(LicenceIssuerRecord, department_id)
            if rec is None:
                raise IssuerNotRegistered(
                    f"department {department_id!r} is not registered as a licence issuer "
                    "(tongban licence issuer add)"
                )
            session.expunge(rec)
            return rec

    def _reserve_position(
        self, department_id: str, licence_id: str, version: int, now: datetime
    ) -> tuple[int, int]:
        """A fresh (status list, index) for a credential, reserved for ever."""
        size = self._settings.licences.status_list_size
        for _attempt in range(5):
            try:
                with self._db.transaction() as session:
                    status_list = self._open_list(session, department_id, size, now)
                    while True:
                        index = secrets.randbelow(status_list.size)
                        taken = session.get(CredentialRecord, (status_list.id, index))
                        if taken is None:
                            break
                    status_list.allocated += 1
                    session.add(
                        CredentialRecord(
                            status_list_id=status_list.id,
                            status_index=index,
                            licence_id=licence_id,
                            licence_version=version,
                            status=int(Status.VALID),
                            kid=None,
                            record_digest=None,
                            issued_at=now,
                            superseded_at=None,
                        )
                    )
                    return status_list.id, index
            except IntegrityError:
                continue  # Another process opened a list or took the index first.
        raise StatusChangeInvalid("could not reserve a status list position; try again")

    def _open_list(
        self, session: Session, department_id: str, size: int, now: datetime
    ) -> StatusListRecord:
        stmt = (
            select(StatusListRecord)
            .where(
                StatusListRecord.department_id == department_id,
                StatusListRecord.allocated < StatusListRecord.size * FILL_LIMIT,
            )
            .order_by(StatusListRecord.id)
            .limit(1)
            .with_for_update()
        )
        found = session.execute(stmt).scalar_one_or_none()
        if found is not None:
            return found
        highest = session.execute(select(func.max(StatusListRecord.id))).scalar_one()
        created = StatusListRecord(
            id=(highest or 0) + 1,
            department_id=department_id,
            size=size,
            allocated=0,
            revision=0,
            created_at=now,
        )
        session.add(created)
        session.flush()
        return created

    @dataclass(frozen=True)
    class _Made:
        url: str
        kid: str
        digest: bytes
        qr_version: int
        svg: bytes
        png: bytes
        pdf: bytes

    def _make_credential(
        self, licence_type: LicenceType, view: LicenceView, list_id: int, index: int, now: datetime
    ) -> LicenceService._Made:
        digest = record_digest(view.record())
        claims = LicenceClaims(
            licence_id=view.id,
            holder_code=view.holder_code,
            holder_name=view.holder_name,
            not_before=_second(view.not_before),
            not_after=None if view.not_after is None else _second(view.not_after),
            issued_at=now,
            record_digest=digest,
            status=StatusReference(index=index, uri=self.status_list_uri(list_id)),
        )
        signer = self._keys.active(licence_purpose(view.department_id))
        url = codec.encode(claims, signer, self.base_url + "/v/")
        matrix = qr.make_qr(url, error_correction="M")
        sheet = LicenceSheet(
            licence_id=view.id,
            holder_code=view.holder_code,
            holder_name=view.holder_name,
            data=view.data,
            issuer_name=view.issuer_name,
            issued_at=now,
            not_before=view.not_before,
            not_after=view.not_after,
            version=view.version,
        )
        pdf = self._sealer.seal_pdf(
            render_licence_pdf(licence_type, sheet, matrix), view.department_id
        )
        return LicenceService._Made(
            url=url,
            kid=signer.kid,
            digest=digest,
            qr_version=matrix.version,
            svg=qr.render_svg(matrix, size_mm=float(licence_type.layout.get("qr_mm", 32))),
            png=qr.render_png(matrix, module_px=6),
            pdf=pdf,
        )

    def _bind_credential(
        self, session: Session, list_id: int, index: int, made: LicenceService._Made
    ) -> None:
        rec = session.get(CredentialRecord, (list_id, index))
        assert rec is not None  # noqa: S101 - reserved by _reserve_position.
        rec.kid = made.kid
        rec.record_digest = made.digest

    def status_list_uri(self, list_id: int) -> str:
        return f"{self.base_url}/s/{list_id}"

    # -- changes -----------------------------------------------------------------------

    def amend(
        self,
        licence_id: str,
        *,
        data: object,
        holder_name: str | None = None,
        now: datetime,
        actor: str,
        department_id: str | None = None,
        reason: str | None = None,
    ) -> LicenceView:
        """Change a licence's data: a new version with a new credential, QR and PDF.

        The previous credential is superseded (revoked in the status list), so a code
        printed before the change no longer shows as valid.
        """
        now = _second(now)
        current = self.get(licence_id, department_id=department_id)
        if current.status == "revoked":
            raise StatusChangeInvalid("a revoked licence cannot be amended")
        licence_type = self.get_type(current.type_id)
        clean = licence_type.check_data(data)
        name = current.holder_name
        if holder_name is not None:
            _, name = _check_holder(current.holder_kind, current.holder_code, holder_name)
        not_before, not_after = licence_type.validity.period(clean, current.issued_at)
        version = current.version + 1
        list_id, index = self._reserve_position(current.department_id, licence_id, version, now)
        amended = _replace(
            current,
            data=clean,
            holder_name=name,
            not_before=not_before,
            not_after=not_after,
            version=version,
            updated_at=now,
        )
        made = self._make_credential(licence_type, amended, list_id, index, now)
        with self._db.transaction() as session:
            rec = self._locked(session, licence_id)
            if rec.version != current.version:
                raise StatusChangeInvalid("the licence changed meanwhile; fetch it and try again")
            old = session.get(CredentialRecord, (rec.status_list_id, rec.status_index))
            if old is not None:
                old.superseded_at = now
                old.status = int(Status.INVALID)
                self._status_changed(session, rec.status_list_id, now)
            self._bind_credential(session, list_id, index, made)
            new = session.get(CredentialRecord, (list_id, index))
            if new is not None and rec.status == "suspended":
                new.status = int(Status.SUSPENDED)
                self._status_changed(session, list_id, now)
            rec.data = clean
            rec.holder_name = name
            rec.not_before, rec.not_after = not_before, not_after
            rec.version = version
            rec.updated_at = now
            rec.status_list_id, rec.status_index = list_id, index
            rec.credential, rec.qr_version = made.url, made.qr_version
            rec.qr_svg, rec.qr_png, rec.pdf = made.svg, made.png, made.pdf
            self._add_history(
                session, licence_id, version, "amend", actor, now, rec.status, reason, clean
            )
            audit_record(
                session,
                actor=actor,
                action="licence.amend",
                target=f"licence:{licence_id}",
                now=now,
                details={"version": version},
            )
        return _replace(amended, credential=made.url, qr_version=made.qr_version)

    def suspend(self, licence_id: str, **kwargs: Any) -> LicenceView:
        """Suspend a valid licence (暂停): its status list entry becomes SUSPENDED."""
        return self._set_status(licence_id, "suspend", "suspended", ("valid",), **kwargs)

    def reinstate(self, licence_id: str, **kwargs: Any) -> LicenceView:
        """Lift a suspension: the entry becomes VALID again."""
        return self._set_status(licence_id, "reinstate", "valid", ("suspended",), **kwargs)

    def revoke(self, licence_id: str, **kwargs: Any) -> LicenceView:
        """Revoke a licence for good (吊销/撤销)."""
        return self._set_status(licence_id, "revoke", "revoked", ("valid", "suspended"), **kwargs)

    def _set_status(
        self,
        licence_id: str,
        action: str,
        target: str,
        allowed_from: tuple[str, ...],
        *,
        now: datetime,
        actor: str,
        reason: str | None = None,
        department_id: str | None = None,
    ) -> LicenceView:
        now = _second(now)
        if reason is not None and len(reason) > 500:
            raise LicenceDataInvalid("reason: at most 500 characters")
        with self._db.transaction() as session:
            rec = self._locked(session, licence_id)
            if department_id is not None and rec.department_id != department_id:
                raise NotIssuingDepartment(f"licence {licence_id} was issued by another department")
            if rec.status not in allowed_from:
                raise StatusChangeInvalid(f"cannot {action} a licence that is {rec.status}")
            rec.status = target
            rec.status_reason = reason
            rec.updated_at = now
            credential = session.get(CredentialRecord, (rec.status_list_id, rec.status_index))
            if credential is not None:
                credential.status = int(_STATUS_VALUE[target])
            self._status_changed(session, rec.status_list_id, now)
            self._add_history(
                session, licence_id, rec.version, action, actor, now, target, reason, rec.data
            )
            audit_record(
                session,
                actor=actor,
                action=f"licence.{action}",
                target=f"licence:{licence_id}",
                now=now,
                details={"reason": reason} if reason else {},
            )
        return self.get(licence_id)

    def _status_changed(self, session: Session, list_id: int, now: datetime) -> None:
        session.execute(
            update(StatusListRecord)
            .where(StatusListRecord.id == list_id)
            .values(revision=StatusListRecord.revision + 1)
        )
        enqueue(session, PUBLISH_KIND, f"status/{list_id}", {"list": list_id}, now=now)

    def _locked(self, session: Session, licence_id: str) -> LicenceRecord:
        rec = session.get(LicenceRecord, licence_id, with_for_update=True)
        if rec is None:
            raise LicenceNotFound(f"no licence {licence_id!r}")
        return rec

    def _add_history(
        self,
        session: Session,
        licence_id: str,
        version: int,
        action: str,
        actor: str,
        now: datetime,
        status: str,
        reason: str | None,
        data: dict[str, Any],
    ) -> None:
        session.add(
            LicenceHistoryRecord(
                licence_id=licence_id,
                version=version,
                action=action,
                actor=actor[:200],
                at=now,
                status=status,
                reason=reason,
                data=data,
            )
        )

    # -- the library -------------------------------------------------------------------

    def get(self, licence_id: str, *, department_id: str | None = None) -> LicenceView:
        """A licence; with ``department_id``, only if that department issued it."""
        with self._db.transaction() as session:
            rec = session.get(LicenceRecord, licence_id)
            if rec is None:
                raise LicenceNotFound(f"no licence {licence_id!r}")
            if department_id is not None and rec.department_id != department_id:
                raise NotIssuingDepartment(f"licence {licence_id} was issued by another department")
            return self._view(session, rec)

    def history(self, licence_id: str) -> list[HistoryEntry]:
        with self._db.transaction() as session:
            rows = session.execute(
                select(LicenceHistoryRecord)
                .where(LicenceHistoryRecord.licence_id == licence_id)
                .order_by(LicenceHistoryRecord.id)
            ).scalars()
            return [
                HistoryEntry(r.version, r.action, r.actor, r.at, r.status, r.reason, dict(r.data))
                for r in rows
            ]

    def pdf(self, licence_id: str) -> bytes:
        """The sealed licence PDF, as rendered at the last issue or amendment."""
        with self._db.transaction() as session:
            rec = session.get(LicenceRecord, licence_id)
            if rec is None:
                raise LicenceNotFound(f"no licence {licence_id!r}")
            return bytes(rec.pdf)

    def qr_image(self, licence_id: str, kind: Literal["svg", "png"]) -> bytes:
        """The licence's QR code, rendered once at issue."""
        with self._db.transaction() as session:
            rec = session.get(LicenceRecord, licence_id)
            if rec is None:
                raise LicenceNotFound(f"no licence {licence_id!r}")
            return bytes(rec.qr_svg if kind == "svg" else rec.qr_png)

    def licences_of(
        self, holder_kind: str, holder_code: str, *, type_id: str | None = None
    ) -> list[LicenceView]:
        """A holder's licences, newest first: the licence library (电子证照库) lookup."""
        with self._db.transaction() as session:
            stmt = (
                select(LicenceRecord)
                .where(
                    LicenceRecord.holder_kind == holder_kind,
                    LicenceRecord.holder_code == holder_code,
                )
                .order_by(LicenceRecord.issued_at.desc(), LicenceRecord.id)
            )
            if type_id is not None:
                stmt = stmt.where(LicenceRecord.type_id == type_id)
            return [self._view(session, rec) for rec in session.execute(stmt).scalars()]

    def licences_of_department(
        self, department_id: str, *, type_id: str | None = None, limit: int = 100
    ) -> list[LicenceView]:
        with self._db.transaction() as session:
            stmt = (
                select(LicenceRecord)
                .where(LicenceRecord.department_id == department_id)
                .order_by(LicenceRecord.issued_at.desc(), LicenceRecord.id)
                .limit(limit)
            )
            if type_id is not None:
                stmt = stmt.where(LicenceRecord.type_id == type_id)
            return [self._view(session, rec) for rec in session.execute(stmt).scalars()]

    def _view(self, session: Session, rec: LicenceRecord) -> LicenceView:
        issuer = session.get(LicenceIssuerRecord, rec.department_id)
        return LicenceView(
            id=rec.id,
            type_id=rec.type_id,
            department_id=rec.department_id,
            issuer_name=issuer.name if issuer else rec.department_id,
            holder_kind=rec.holder_kind,
            holder_code=rec.holder_code,
            holder_name=rec.holder_name,
            data=dict(rec.data),
            status=rec.status,
            status_reason=rec.status_reason,
            not_before=rec.not_before,
            not_after=rec.not_after,
            version=rec.version,
            issued_at=rec.issued_at,
            updated_at=rec.updated_at,
            credential=rec.credential,
            qr_version=rec.qr_version,
        )

    # -- checking a scanned credential -------------------------------------------------

    def check(self, scanned: str | bytes, *, now: datetime) -> CheckResult:
        """Verify a credential against the current keys and show its *current* status.

        A credential that fails verification is ``forged`` and carries nothing else; one
        that verifies is looked up, so suspension, revocation and supersession show at
        once (the status list's caches do not delay it).
        """
        try:
            verified = codec.verify(scanned, self._trust_now().by_cose_kid)
        except CredentialError as exc:
            return CheckResult("forged", now, reason=exc.code)
        claims = verified.claims
        base = CheckResult("valid", now, claims=claims, issuer_name=verified.issuer_name)
        prefix = self.base_url + "/s/"
        uri = claims.status.uri
        list_id = (
            int(uri[len(prefix) :])
            if uri.startswith(prefix) and uri[len(prefix) :].isdigit()
            else None
        )
        licence: LicenceView | None = None
        credential: CredentialRecord | None = None
        if list_id is not None:
            with self._db.transaction() as session:
                credential = session.get(CredentialRecord, (list_id, claims.status.index))
                if credential is not None and credential.licence_id == claims.licence_id:
                    rec = session.get(LicenceRecord, credential.licence_id)
                    licence = self._view(session, rec) if rec is not None else None
                    session.expunge(credential)
                else:
                    credential = None
        if licence is None or credential is None:
            # Genuinely signed, but not a credential this service knows: show only what
            # the signature covers, with the status unknown, as revoked is safest.
            return _replace_check(base, shown="revoked", reason="unknown_credential")
        licence_type = self.get_type(licence.type_id)
        with_licence = _replace_check(base, licence=licence, licence_type=licence_type)
        if credential.superseded_at is not None or credential.record_digest != claims.record_digest:
            return _replace_check(with_licence, shown="superseded")
        # The credential's own period comes first (status-list draft §8.3), then the status.
        if now < claims.not_before:
            return _replace_check(with_licence, shown="not_yet_valid")
        if claims.not_after is not None and now > claims.not_after:
            return _replace_check(with_licence, shown="expired")
        shown: Shown = {"valid": "valid", "suspended": "suspended", "revoked": "revoked"}.get(
            licence.status, "revoked"
        )  # type: ignore[assignment]
        return _replace_check(with_licence, shown=shown)

    # -- trust and status publication --------------------------------------------------

    def _trust_now(self) -> _Trust:
        trust = self._trust
        if (
            trust is not None
            and monotonic_time.monotonic() - trust.loaded < self._settings.keys.cache_seconds
        ):
            return trust
        keys = self.trusted_keys()
        fingerprint = hashlib.sha256(
            json.dumps(
                [(k.kid, k.valid_from.isoformat(), str(k.valid_until), k.issuer.name) for k in keys]
            ).encode()
        ).hexdigest()[:32]
        trust = _Trust({key.cose_kid: key for key in keys}, keys, fingerprint)
        self._trust = trust
        return trust

    def trusted_keys(self) -> list[TrustedKey]:
        """Every licence key that ever signed or may sign, with its validity period.

        Retired and removed keys stay (their public halves are kept), valid until their
        retirement plus ``licences.key_grace_seconds``; the waiting *next* key is listed
        ahead of its use, as JWKS publish it, so verifiers know it before it signs.
        """
        grace = timedelta(seconds=self._settings.licences.key_grace_seconds)
        with self._db.transaction() as session:
            issuers = {
                r.department_id: r for r in session.execute(select(LicenceIssuerRecord)).scalars()
            }
            rows = session.execute(
                select(KeyRecord)
                .where(KeyRecord.purpose.like("licence:%"))
                .order_by(KeyRecord.purpose, KeyRecord.created_at)
            ).scalars()
            keys: list[TrustedKey] = []
            for rec in rows:
                department = rec.purpose.split(":", 1)[1]
                issuer = issuers.get(department)
                if issuer is None or (rec.state == "removed" and rec.activated_at is None):
                    continue
                valid_from = _second(rec.activated_at or rec.created_at)
                until = None
                if rec.retired_at is not None:
                    until = _second(rec.retired_at + grace) + timedelta(seconds=1)
                keys.append(
                    TrustedKey.from_jwk(
                        dict(rec.public_jwk),
                        issuer=Issuer(name=issuer.name, code=issuer.credit_code),
                        valid_from=valid_from,
                        valid_until=until,
                    )
                )
        return keys

    def root_keys(self) -> list[TrustedKey]:
        """The trust-list root keys verifiers pin: active, next and still-published retired."""
        operator = Issuer(
            self._settings.licences.operator_name, self._settings.licences.operator_code
        )
        roots = []
        for key in self._keys.published(ROOT_PURPOSE):
            roots.append(
                TrustedKey.from_jwk(
                    key.jwk, issuer=operator, valid_from=datetime(2000, 1, 1, tzinfo=UTC)
                )
            )
        return roots

    def roots_document(self) -> dict[str, Any]:
        """The pinned-roots file (format §9)."""
        return root_keys_document(self.root_keys())

    def trust_list(self, now: datetime) -> Publication:
        """The signed trust list: stored, and signed afresh when keys changed or half its
        lifetime has passed."""
        now = _second(now)
        keys = self.trusted_keys()
        fingerprint = hashlib.sha256(
            json.dumps(
                [
                    (
                        k.kid,
                        k.valid_from.isoformat(),
                        str(k.valid_until),
                        k.issuer.name,
                        k.issuer.code,
                    )
                    for k in keys
                ]
            ).encode()
        ).hexdigest()[:32]
        lifetime = timedelta(seconds=self._settings.licences.trust_list_seconds)

        def sign() -> str:
            if not keys:
                raise IssuerNotRegistered("no licence issuer is registered yet, so no keys to list")
            return sign_trust_list(
                keys,
                issuer=self.base_url,
                signer=self._keys.active(ROOT_PURPOSE),
                issued_at=now,
                expires_at=now + lifetime,
            )

        return self._publication("trust-list", fingerprint, now, lifetime, sign)

    def status_list(self, list_id: int, now: datetime) -> Publication:
        """A department's signed status list, re-signed when its entries changed."""
        now = _second(now)
        with self._db.transaction() as session:
            rec = session.get(StatusListRecord, list_id)
            if rec is None:
                raise LicenceNotFound(f"no status list {list_id}")
            source = f"r{rec.revision}"
            department_id, size = rec.department_id, rec.size
        lifetime = timedelta(seconds=self._settings.licences.status_list_seconds)

        def sign() -> str:
            entries = StatusList(size=size, bits=2)
            with self._db.transaction() as session:
                rows = session.execute(
                    select(CredentialRecord.status_index, CredentialRecord.status).where(
                        CredentialRecord.status_list_id == list_id,
                        CredentialRecord.status != int(Status.VALID),
                    )
                )
                for index, value in rows:
                    entries[index] = value
            return sign_status_list(
                entries,
                uri=self.status_list_uri(list_id),
                signer=self._keys.active(licence_purpose(department_id)),
                issued_at=now,
                expires_at=now + lifetime,
                ttl=self._settings.licences.status_list_ttl,
            )

        return self._publication(f"status/{list_id}", source, now, lifetime, sign)

    def status_list_ids(self) -> list[int]:
        with self._db.transaction() as session:
            return list(
                session.execute(select(StatusListRecord.id).order_by(StatusListRecord.id)).scalars()
            )

    def publish_status_list(self, payload: Mapping[str, Any]) -> None:
        """Outbox handler for :data:`PUBLISH_KIND`: re-sign one status list now."""
        self.status_list(int(payload["list"]), datetime.now(UTC))

    def register_outbox(self, outbox: Outbox) -> None:
        outbox.register(PUBLISH_KIND, self.publish_status_list)

    def _publication(
        self,
        name: str,
        source: str,
        now: datetime,
        lifetime: timedelta,
        sign: Any,
    ) -> Publication:
        with self._db.transaction() as session:
            rec = session.get(PublicationRecord, name)
            if (
                rec is not None
                and rec.source == source
                and now < rec.issued_at + lifetime / 2
                and now < rec.expires_at
            ):
                return Publication(rec.token, rec.etag, rec.issued_at, rec.expires_at)
        token = sign()
        etag = '"' + hashlib.sha256(token.encode()).hexdigest()[:32] + '"'
        publication = Publication(token, etag, now, now + lifetime)
        with self._db.transaction() as session:
            rec = session.get(PublicationRecord, name, with_for_update=True)
            if rec is None:
                session.add(
                    PublicationRecord(
                        name=name,
                        token=token,
                        etag=etag,
                        source=source,
                        issued_at=now,
                        expires_at=now + lifetime,
                    )
                )
            elif rec.issued_at <= now:
                rec.token, rec.etag, rec.source = token, etag, source
                rec.issued_at, rec.expires_at = now, now + lifetime
        return publication


def _check_holder(kind: str, code: str, name: str) -> tuple[str, str]:
    if not isinstance(code, str) or not isinstance(name, str):
        raise LicenceDataInvalid("holder.code and holder.name must be strings")
    code, name = code.strip(), name.strip()
    if kind == "entity":
        if len(code) != 18 or not code.isascii() or not code.isalnum() or code != code.upper():
            raise LicenceDataInvalid("holder.code: a unified social credit code has 18 characters")
    elif not code or len(code) > 32 or not code.isascii() or not code.isprintable() or " " in code:
        raise LicenceDataInvalid("holder.code: 1 to 32 printable ASCII characters")
    if not name or len(name) > 100 or not name.isprintable():
        raise LicenceDataInvalid("holder.name: 1 to 100 printable characters")
    return code, name


def _replace(view: LicenceView, **changes: Any) -> LicenceView:
    from dataclasses import replace

    return replace(view, **changes)


def _replace_check(result: CheckResult, **changes: Any) -> CheckResult:
    from dataclasses import replace

    return replace(result, **changes)
