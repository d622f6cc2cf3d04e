"""The local real-name registry's tables, loaded by ``tongban registry import``.

Persons hold no ID number: only its keyed lookup hash (:mod:`keys.pii`, purpose
``id_number`` over :attr:`~idp.identity.documents.Document.lookup_value`), so a copy of
the table does not disclose who has which number. The hash depends on the primary
master key: after a master key rotation the files are imported again and
:func:`idp.registry.importer.prune_stale_persons` drops rows under the old key.
Entities are public register data and are kept in the clear.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from store.base import Base


class RegistryPerson(Base):
    __tablename__ = "registry_persons"

    id_hash: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)


class RegistryEntity(Base):
    __tablename__ = "registry_entities"

    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    legal_representative_name: Mapped[str] = mapped_column(String(100), nullable=False)
    #: ``active``, ``revoked`` or ``cancelled`` (:class:`idp.registry.port.EntityStatus`).
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)
