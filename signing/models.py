"""The signing service's tables: the internal CA, seals and their history, approvals.

Signed PDFs live in the database (``approval_documents``), not on a local disk, so any
number of ``tongban serve`` processes share them; list queries never read the blobs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from store.base import Base


class PKIAuthority(Base):
    """One part of the internal PKI (``root``, ``issuing``, ``tsa``) and its latest CRL."""

    __tablename__ = "pki_authorities"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: The key store purpose holding its key, and the key's kid.
    key_purpose: Mapped[str] = mapped_column(String(64), nullable=False)
    kid: Mapped[str] = mapped_column(String(64), nullable=False)
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    #: The number of the latest CRL (RFC 5280 5.2.3: it only grows); 0 before the first.
    crl_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    crl_der: Mapped[bytes | None] = mapped_column(LargeBinary)
    crl_this_update: Mapped[datetime | None]
    crl_next_update: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(nullable=False)


class PKICertificate(Base):
    """Every certificate the internal CA issued: what OCSP and CRLs answer from."""

    __tablename__ = "pki_certificates"

    #: The serial number in lower-case hex.
    serial: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: ``root`` or ``issuing``: which CA signed it.
    issuer: Mapped[str] = mapped_column(String(16), nullable=False)
    #: ``ca``, ``tsa`` or ``seal``.
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    subject: Mapped[str] = mapped_column(String(500), nullable=False)
    seal_id: Mapped[str | None] = mapped_column(String(48))
    not_before: Mapped[datetime] = mapped_column(nullable=False)
    not_after: Mapped[datetime] = mapped_column(nullable=False)
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_pki_certificates_issuer_revoked", "issuer", "revoked_at"),)


class SealRecord(Base):
    """A department's electronic seal (电子印章): key, certificate, image and status."""

    __tablename__ = "seals"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    department_id: Mapped[str] = mapped_column(
        ForeignKey("departments.id"), nullable=False, index=True
    )
    #: The seal's name as certified (CN), e.g. 浙江省市场监督管理局行政审批专用章.
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    #: The department's name as certified (O) and drawn along the arc.
    department_name: Mapped[str] = mapped_column(String(64), nullable=False)
    #: The line under the star, e.g. 行政审批专用章.
    purpose: Mapped[str | None] = mapped_column(String(12))
    #: The registration code along the lower arc (印章编码).
    code: Mapped[str | None] = mapped_column(String(20))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    key_purpose: Mapped[str] = mapped_column(String(64), nullable=False)
    kid: Mapped[str] = mapped_column(String(64), nullable=False)
    #: awaiting_certificate → active ⇄ suspended; any → revoked (final)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    #: ``internal`` (Tongban's CA) or ``external`` (an imported chain).
    certified_by: Mapped[str] = mapped_column(String(16), nullable=False)
    certificate_der: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The CA certificates above the seal's, PEM, leaf-side first.
    chain_pem: Mapped[str | None] = mapped_column(Text)
    certificate_serial: Mapped[str | None] = mapped_column(String(40), index=True)
    #: ``drawn`` (vector, from the names) or ``png`` (uploaded).
    image_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    image_pdf: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    image_width_mm: Mapped[float] = mapped_column(Float, nullable=False)
    image_height_mm: Mapped[float] = mapped_column(Float, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)


class SealHistoryRecord(Base):
    """One change of a seal: creation, certificate, suspension, resumption, revocation."""

    __tablename__ = "seal_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seal_id: Mapped[str] = mapped_column(ForeignKey("seals.id"), nullable=False)
    at: Mapped[datetime] = mapped_column(nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    #: The seal's status after the change.
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_seal_history_seal", "seal_id", "id"),)


class ApprovalBatchRecord(Base):
    """A batch submission: its approvals are rows of their own, done one by one."""

    __tablename__ = "approval_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    department_id: Mapped[str] = mapped_column(String(32), nullable=False)
    client_id: Mapped[str | None] = mapped_column(String(64))
    seal_id: Mapped[str] = mapped_column(ForeignKey("seals.id"), nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    outbox_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    completed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("client_id", "idempotency_key"),)


class ApprovalRecord(Base):
    """An approval (批复文件): pending until its signed PDF is stored, then signed.

    A row is written before any stamping, holding what is needed to stamp it (its
    input), so a crash loses nothing: the outbox worker finishes pending rows.
    """

    __tablename__ = "approvals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    department_id: Mapped[str] = mapped_column(String(32), nullable=False)
    seal_id: Mapped[str] = mapped_column(ForeignKey("seals.id"), nullable=False)
    #: The department system that submitted it; empty for the command line.
    client_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    #: The applicant (a person id), who may download it from the user space.
    person_id: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    document_number: Mapped[str | None] = mapped_column(String(40))
    #: ``template`` (rendered by Tongban from ``data``) or ``pdf`` (uploaded).
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: {"page": n, "x": x, "y": y} or {"anchor": name}; empty: the first seal anchor.
    placement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: pending → signed | failed
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("approval_batches.id"))
    batch_index: Mapped[int | None] = mapped_column(Integer)
    #: Whoever is stamping it holds it until then; after that, anyone may take it over.
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: The outbox message that finishes it if the request that created it cannot.
    outbox_id: Mapped[str | None] = mapped_column(String(32))
    #: The department's name as its seal certifies it, at signing time.
    department_name: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    signed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("client_id", "idempotency_key"),
        Index("ix_approvals_person", "person_id", "signed_at"),
        Index("ix_approvals_batch", "batch_id", "batch_index"),
        Index("ix_approvals_status", "status", "claimed_until"),
    )


class ApprovalDocumentRecord(Base):
    """The bytes of an approval: the uploaded ``input`` PDF and the ``signed`` PDF."""

    __tablename__ = "approval_documents"

    approval_id: Mapped[str] = mapped_column(ForeignKey("approvals.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
