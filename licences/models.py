"""The licence service's tables: types, issuers, licences, credentials, history, publications.

* A **licence** (``licences``) is the current record; every change leaves a row in
  ``licence_history`` with the data as it stood, so nothing is ever lost.
* A **credential** (``licence_credentials``) is one signed QR code of one version of a
  licence, at one status-list position. An amendment signs a new credential at a new
  position and marks the old one superseded (revoked in the status list): a printed old
  code can never vouch for changed data. (list, index) is the primary key, so a position
  is never handed out twice, whatever happens to the licence.
* A **publication** (``licence_publications``) is a signed trust list or status list as
  served, with the version of the data it was signed from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from store.base import Base


class LicenceTypeRecord(Base):
    """A licence type's definition (see :mod:`licences.types`), as loaded by an operator."""

    __tablename__ = "licence_types"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)


class LicenceIssuerRecord(Base):
    """A department registered to issue licences, with its name and credit code as the
    trust list shows them. Its key purpose is ``licence:<department_id>``."""

    __tablename__ = "licence_issuers"

    department_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)


class StatusListRecord(Base):
    """One status list of one issuing department; ``revision`` counts status changes."""

    __tablename__ = "licence_status_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    department_id: Mapped[str] = mapped_column(
        ForeignKey("licence_issuers.department_id"), nullable=False
    )
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    allocated: Mapped[int] = mapped_column(Integer, nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (Index("ix_licence_status_lists_department", "department_id"),)


class LicenceRecord(Base):
    """A licence as it stands now."""

    __tablename__ = "licences"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type_id: Mapped[str] = mapped_column(ForeignKey("licence_types.id"), nullable=False)
    department_id: Mapped[str] = mapped_column(
        ForeignKey("licence_issuers.department_id"), nullable=False
    )
    #: ``entity`` (a unified social credit code) or ``person`` (a person id of the IdP).
    holder_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    holder_code: Mapped[str] = mapped_column(String(32), nullable=False)
    holder_name: Mapped[str] = mapped_column(String(100), nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    #: ``valid``, ``suspended`` or ``revoked`` (expiry follows from ``not_after``).
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    not_before: Mapped[datetime] = mapped_column(nullable=False)
    not_after: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
    #: The current credential's position.
    status_list_id: Mapped[int] = mapped_column(Integer, nullable=False)
    status_index: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The current credential URL, its QR code (SVG and PNG, rendered once) and the sealed PDF.
    credential: Mapped[str] = mapped_column(Text, nullable=False)
    qr_version: Mapped[int] = mapped_column(Integer, nullable=False)
    qr_svg: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    qr_png: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)

    __table_args__ = (
        Index("ix_licences_holder", "holder_kind", "holder_code"),
        Index("ix_licences_department_type", "department_id", "type_id"),
    )


class CredentialRecord(Base):
    """One signed QR credential: the position in a status list it owns for ever."""

    __tablename__ = "licence_credentials"

    status_list_id: Mapped[int] = mapped_column(
        ForeignKey("licence_status_lists.id"), primary_key=True
    )
    status_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: Not a foreign key: the position is reserved before the licence row is written.
    licence_id: Mapped[str] = mapped_column(String(64), nullable=False)
    licence_version: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The status-list value: 0 valid, 1 revoked (also: superseded), 2 suspended.
    status: Mapped[int] = mapped_column(Integer, nullable=False)
    #: Empty while reserved; a reservation whose issuance failed stays, unused, for ever.
    kid: Mapped[str | None] = mapped_column(String(64))
    record_digest: Mapped[bytes | None] = mapped_column(LargeBinary)
    issued_at: Mapped[datetime] = mapped_column(nullable=False)
    superseded_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_licence_credentials_licence", "licence_id"),)


class LicenceHistoryRecord(Base):
    """One change of a licence, with the data and status as they stood after it."""

    __tablename__ = "licence_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    licence_id: Mapped[str] = mapped_column(ForeignKey("licences.id"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    at: Mapped[datetime] = mapped_column(nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)

    __table_args__ = (Index("ix_licence_history_licence", "licence_id", "id"),)


class PublicationRecord(Base):
    """A signed document as served: ``trust-list`` or ``status/<n>``."""

    __tablename__ = "licence_publications"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(Text, nullable=False)
    etag: Mapped[str] = mapped_column(String(80), nullable=False)
    #: What it was signed from (a status list's revision, a hash of the trust list's keys).
    source: Mapped[str] = mapped_column(String(80), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)


class APIRequestRecord(Base):
    """An API request made with an ``Idempotency-Key``, and the answer it got."""

    __tablename__ = "licence_api_requests"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[int] = mapped_column(Integer, nullable=False)
    response: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
