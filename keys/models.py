"""The ``signing_keys`` table: public halves in the clear, private halves enveloped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from store.base import Base


class KeyRecord(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), nullable=False)
    alg: Mapped[str] = mapped_column(String(16), nullable=False)
    #: next → active → retired → removed
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    activated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    #: A retired key's public half is published until then, and removed after.
    publish_until: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]
    public_jwk: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    #: ``keys.envelope`` blob of the PKCS#8 private key; wiped when the key is removed.
    private_blob: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (
        Index("ix_signing_keys_purpose_state", "purpose", "state"),
        # At most one active and one next key per purpose, enforced by the database.
        Index(
            "uq_signing_keys_one_active",
            "purpose",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
        Index(
            "uq_signing_keys_one_next",
            "purpose",
            unique=True,
            sqlite_where=text("state = 'next'"),
            postgresql_where=text("state = 'next'"),
        ),
    )
