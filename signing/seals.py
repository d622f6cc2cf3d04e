"""Seals (电子印章) as durable records: create, certify, suspend, resume, revoke.

A seal belongs to a department. Its key lives in the key store under its own purpose
(``seal:<id>``); its certificate comes from the internal CA, or from an external CA
through a CSR and an imported chain; its picture is drawn as vector graphics from the
department's name (or uploaded as a PNG). Status moves

    awaiting_certificate → active ⇄ suspended,   any → revoked (final)

and every change is a row of ``seal_history`` and an audit event, written together.
Suspension is a state of the seal, not a certificate hold: documents sealed before it
stay valid. Revocation of a certificate of the internal CA reissues its CRL at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.trail import record as audit_record
from keys.keystore import KeyStore
from keys.pki import RevocationReason
from keys.pki import SealSubject
from keys.pki import build_seal_csr
from keys.pki import import_chain
from keys.pki import issue_seal_certificate
from keys.signer import Signer
from signing.ca import InternalCA
from signing.ca import serial_hex
from signing.errors import DepartmentUnknown
from signing.errors import SealAwaitingCertificate
from signing.errors import SealCredentialsInvalid
from signing.errors import SealDesignInvalid
from signing.errors import SealExists
from signing.errors import SealNotFound
from signing.errors import SealRevoked
from signing.errors import SealStateInvalid
from signing.errors import SealSuspended
from signing.models import SealHistoryRecord
from signing.models import SealRecord
from signing.pades import SealCredentials
from signing.seal_image import SealDesign
from signing.seal_image import SealImage
from signing.seal_image import draw_seal
from signing.seal_image import seal_from_png
from store.db import Database

__all__ = [
    "SEAL_ID_PATTERN",
    "STATUSES",
    "DepartmentNames",
    "SealEvent",
    "SealInfo",
    "Seals",
]

SEAL_ID_PATTERN: Final = re.compile(r"^[a-z][a-z0-9-]{1,47}$")
STATUSES: Final = ("awaiting_certificate", "active", "suspended", "revoked")
_KEY_ALG: Final = "ES256"

DepartmentNames = Callable[[str], "str | None"]
"""A department code → its name, or None when there is no such department."""


@dataclass(frozen=True)
class SealInfo:
    """What may be shown about a seal (never its key)."""

    id: str
    department_id: str
    name: str
    department_name: str
    purpose: str | None
    code: str | None
    credit_code: str | None
    status: str
    certified_by: str
    kid: str
    certificate_serial: str | None
    certificate_issuer: str | None
    not_before: datetime | None
    not_after: datetime | None
    image_kind: str
    image_width_mm: float
    image_height_mm: float
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SealEvent:
    """One line of a seal's history."""

    at: datetime
    action: str
    status: str
    actor: str
    reason: str | None


class Seals:
    """The seal registry of one deployment."""

    def __init__(
        self, db: Database, keys: KeyStore, ca: InternalCA, departments: DepartmentNames
    ) -> None:
        self._db = db
        self._keys = keys
        self._ca = ca
        self._departments = departments

    # -- creating ------------------------------------------------------------------------

    def create(
        self,
        department_id: str,
        *,
        now: datetime,
        actor: str,
        seal_id: str | None = None,
        name: str | None = None,
        department_name: str | None = None,
        purpose: str | None = None,
        code: str | None = None,
        credit_code: str | None = None,
        diameter_mm: float = 42.0,
        png: bytes | None = None,
        external: bool = False,
    ) -> SealInfo:
        """Create a seal for ``department_id``: key, picture and (internal) certificate.

        :param name: the seal's certified name (default: department name + purpose)
        :param department_name: the name drawn and certified (default: the department's)
        :param png: an uploaded picture instead of the drawn one
        :param external: leave the certificate to an external CA (``csr``, then
            ``import_certificate``)
        """
        registered = self._departments(department_id)
        if registered is None:
            raise DepartmentUnknown(f"There is no department {department_id!r}.")
        drawn_name = (department_name or registered).strip()
        purpose = purpose.strip() if purpose else None
        seal_name = (name or f"{drawn_name}{purpose or '印章'}").strip()
        seal_id = seal_id or self._free_id(department_id)
        if not SEAL_ID_PATTERN.match(seal_id):
            raise SealDesignInvalid(
                "A seal id is 2-48 lower-case letters, digits or '-', starting with a letter."
            )
        subject = SealSubject(drawn_name, seal_name, seal_code=code, credit_code=credit_code)
        if png is not None:
            image = seal_from_png(png, width_mm=diameter_mm)
        else:
            image = draw_seal(
                SealDesign(drawn_name, purpose=purpose, code=code, diameter_mm=diameter_mm)
            )
        with self._db.transaction() as session:
            if session.get(SealRecord, seal_id) is not None:
                raise SealExists(f"A seal {seal_id!r} exists already.")
        key_purpose = f"seal:{seal_id}"
        self._keys.ensure(key_purpose, now, alg=_KEY_ALG, actor=actor)
        signer = self._keys.active(key_purpose)
        certificate: x509.Certificate | None = None
        chain_pem: str | None = None
        if not external:
            pki = self._ca.pki()
            certificate = issue_seal_certificate(pki.issuing, signer.public_key(), subject, now=now)
            chain_pem = _pem(pki.issuing.certificate, pki.root.certificate)
        status = "awaiting_certificate" if external else "active"
        with self._db.transaction() as session:
            if session.get(SealRecord, seal_id) is not None:
                raise SealExists(f"A seal {seal_id!r} exists already.")
            record = SealRecord(
                id=seal_id,
                department_id=department_id,
                name=seal_name,
                department_name=drawn_name,
                purpose=purpose,
                code=code,
                credit_code=credit_code,
                key_purpose=key_purpose,
                kid=signer.kid,
                status=status,
                certified_by="external" if external else "internal",
                certificate_der=_der(certificate) if certificate else None,
                chain_pem=chain_pem,
                certificate_serial=serial_hex(certificate) if certificate else None,
                image_kind="png" if png is not None else "drawn",
                image_pdf=image.pdf,
                image_width_mm=image.width_mm,
                image_height_mm=image.height_mm,
                created_at=now,
                updated_at=now,
            )
            session.add(record)
            session.flush()
            if certificate is not None:
                self._ca.register_seal_certificate(session, certificate, seal_id)
            self._history(session, record, "created", actor, now, None)
            audit_record(
                session,
                actor=actor,
                action="seal.create",
                target=f"seal:{seal_id}",
                now=now,
                details={
                    "department": department_id,
                    "name": seal_name,
                    "kid": signer.kid,
                    "certificate_serial": record.certificate_serial,
                    "certified_by": record.certified_by,
                    "image": record.image_kind,
                },
            )
            return _info(record)

    def csr(self, seal_id: str) -> bytes:
        """A PEM certificate signing request for the seal's key, for an external CA."""
        with self._db.transaction() as session:
            record = _get(session, seal_id)
            subject = SealSubject(
                record.department_name,
                record.name,
                seal_code=record.code,
                credit_code=record.credit_code,
            )
            if record.status == "revoked":
                raise SealRevoked()
        return build_seal_csr(self._signer(record), subject)

    def import_certificate(
        self, seal_id: str, chain: bytes, *, now: datetime, actor: str
    ) -> SealInfo:
        """Take the seal's certificate and the CAs above it from an external CA (PEM)."""
        with self._db.transaction() as session:
            record = _get(session, seal_id)
        if record.status == "revoked":
            raise SealRevoked()
        signer = self._signer(record)
        imported = import_chain(chain, public_key=signer.public_key(), now=now)
        with self._db.transaction() as session:
            record = _get(session, seal_id, lock=True)
            if record.status == "revoked":
                raise SealRevoked()
            record.certificate_der = _der(imported.certificate)
            record.chain_pem = _pem(
                *imported.intermediates, *((imported.root,) if imported.root else ())
            )
            record.certificate_serial = serial_hex(imported.certificate)
            record.certified_by = "external"
            if record.status == "awaiting_certificate":
                record.status = "active"
            record.updated_at = now
            self._history(session, record, "certificate_imported", actor, now, None)
            audit_record(
                session,
                actor=actor,
                action="seal.import_certificate",
                target=f"seal:{seal_id}",
                now=now,
                details={
                    "certificate_serial": record.certificate_serial,
                    "issuer": imported.certificate.issuer.rfc4514_string(),
                },
            )
            return _info(record)

    # -- status --------------------------------------------------------------------------

    def suspend(self, seal_id: str, *, reason: str, now: datetime, actor: str) -> SealInfo:
        """Stop a seal from stamping until it is resumed."""
        return self._change(seal_id, "suspended", ("active",), reason, now, actor)

    def resume(self, seal_id: str, *, reason: str | None, now: datetime, actor: str) -> SealInfo:
        """Let a suspended seal stamp again."""
        return self._change(seal_id, "active", ("suspended",), reason, now, actor)

    def revoke(
        self,
        seal_id: str,
        *,
        reason: RevocationReason,
        note: str | None,
        now: datetime,
        actor: str,
    ) -> SealInfo:
        """Revoke a seal for good; an internal certificate goes on the CRL at once."""
        pki = self._ca.pki()
        with self._db.transaction() as session:
            record = _get(session, seal_id, lock=True)
            if record.status == "revoked":
                raise SealStateInvalid(f"Seal {seal_id!r} is revoked already.")
            record.status = "revoked"
            record.updated_at = now
            on_crl = False
            if record.certificate_der is not None:
                certificate = x509.load_der_x509_certificate(record.certificate_der)
                on_crl = self._ca.revoke(session, pki, certificate, reason, now)
            text = f"{reason.value}: {note}" if note else reason.value
            self._history(session, record, "revoked", actor, now, text)
            audit_record(
                session,
                actor=actor,
                action="seal.revoke",
                target=f"seal:{seal_id}",
                now=now,
                details={
                    "reason": reason.value,
                    "note": note,
                    "certificate_serial": record.certificate_serial,
                    "on_internal_crl": on_crl,
                },
            )
            return _info(record)

    # -- reading -------------------------------------------------------------------------

    def get(self, seal_id: str) -> SealInfo:
        with self._db.transaction() as session:
            return _info(_get(session, seal_id))

    def for_department(self, department_id: str | None = None) -> list[SealInfo]:
        """Every seal, or one department's, by department and id."""
        with self._db.transaction() as session:
            stmt = select(SealRecord).order_by(SealRecord.department_id, SealRecord.id)
            if department_id is not None:
                stmt = stmt.where(SealRecord.department_id == department_id)
            return [_info(r) for r in session.execute(stmt).scalars()]

    def history(self, seal_id: str) -> list[SealEvent]:
        with self._db.transaction() as session:
            _get(session, seal_id)
            rows = session.execute(
                select(SealHistoryRecord)
                .where(SealHistoryRecord.seal_id == seal_id)
                .order_by(SealHistoryRecord.id)
            ).scalars()
            return [SealEvent(r.at, r.action, r.status, r.actor, r.reason) for r in rows]

    def image(self, seal_id: str) -> SealImage:
        with self._db.transaction() as session:
            record = _get(session, seal_id)
            return SealImage(record.image_pdf, record.image_width_mm, record.image_height_mm)

    def usable(self, session: Session, seal_id: str, department_id: str | None) -> SealRecord:
        """The seal's row if it may stamp now (for ``department_id``, when given).

        Read inside the caller's transaction, so a suspension or revocation made by any
        process stops the very next stamp.
        """
        record = session.get(SealRecord, seal_id)
        if record is None or (department_id is not None and record.department_id != department_id):
            raise SealNotFound(f"There is no seal {seal_id!r} for this department.")
        require_active(record.status)
        return record

    def credentials(self, record: SealRecord) -> SealCredentials:
        """The seal's key and certificate chain, ready to stamp."""
        if record.certificate_der is None:
            raise SealAwaitingCertificate()
        certificate = x509.load_der_x509_certificate(record.certificate_der)
        chain = (
            tuple(x509.load_pem_x509_certificates(record.chain_pem.encode()))
            if record.chain_pem
            else ()
        )
        return SealCredentials(self._signer(record), certificate, chain)

    # -- internals -----------------------------------------------------------------------

    def _signer(self, record: SealRecord) -> Signer:
        signer = self._keys.active(record.key_purpose)
        if signer.kid != record.kid:
            raise SealCredentialsInvalid(
                "The seal's key was rotated away from its certificate.",
                detail=f"seal {record.id}: certificate for {record.kid}, active {signer.kid}",
            )
        return signer

    def _change(
        self,
        seal_id: str,
        status: str,
        allowed_from: tuple[str, ...],
        reason: str | None,
        now: datetime,
        actor: str,
    ) -> SealInfo:
        action = {"suspended": "suspended", "active": "resumed"}[status]
        with self._db.transaction() as session:
            record = _get(session, seal_id, lock=True)
            if record.status not in allowed_from:
                raise SealStateInvalid(
                    f"Seal {seal_id!r} is {record.status.replace('_', ' ')}; it cannot be {action}."
                )
            record.status = status
            record.updated_at = now
            self._history(session, record, action, actor, now, reason)
            audit_record(
                session,
                actor=actor,
                action=f"seal.{'suspend' if status == 'suspended' else 'resume'}",
                target=f"seal:{seal_id}",
                now=now,
                details={"reason": reason},
            )
            return _info(record)

    def _history(
        self,
        session: Session,
        record: SealRecord,
        action: str,
        actor: str,
        now: datetime,
        reason: str | None,
    ) -> None:
        session.add(
            SealHistoryRecord(
                seal_id=record.id,
                at=now,
                action=action,
                status=record.status,
                actor=actor,
                reason=reason[:500] if reason else None,
            )
        )

    def _free_id(self, department_id: str) -> str:
        with self._db.transaction() as session:
            taken = set(
                session.execute(
                    select(SealRecord.id).where(SealRecord.department_id == department_id)
                ).scalars()
            )
        index = len(taken) + 1
        while f"{department_id}-{index}" in taken:
            index += 1
        return f"{department_id}-{index}"


def require_active(status: str) -> None:
    """Raise the error that says why a seal in ``status`` may not stamp."""
    if status == "active":
        return
    raise {
        "suspended": SealSuspended,
        "revoked": SealRevoked,
        "awaiting_certificate": SealAwaitingCertificate,
    }.get(status, SealStateInvalid)()


def _get(session: Session, seal_id: str, *, lock: bool = False) -> SealRecord:
    record = session.get(SealRecord, seal_id, with_for_update=lock or None)
    if record is None:
        raise SealNotFound(f"There is no seal {seal_id!r}.")
    return record


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _pem(*certificates: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates)


def _info(record: SealRecord) -> SealInfo:
    certificate = (
        x509.load_der_x509_certificate(record.certificate_der) if record.certificate_der else None
    )
    return SealInfo(
        id=record.id,
        department_id=record.department_id,
        name=record.name,
        department_name=record.department_name,
        purpose=record.purpose,
        code=record.code,
        credit_code=record.credit_code,
        status=record.status,
        certified_by=record.certified_by,
        kid=record.kid,
        certificate_serial=record.certificate_serial,
        certificate_issuer=certificate.issuer.rfc4514_string() if certificate else None,
        not_before=certificate.not_valid_before_utc if certificate else None,
        not_after=certificate.not_valid_after_utc if certificate else None,
        image_kind=record.image_kind,
        image_width_mm=record.image_width_mm,
        image_height_mm=record.image_height_mm,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
