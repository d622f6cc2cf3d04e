"""The ``local`` real-name registry: tables in Tongban's own database."""

from __future__ import annotations

from sqlalchemy import select

from idp.identity.documents import Document
from idp.identity.uscc import CreditCode
from idp.registry.models import RegistryEntity
from idp.registry.models import RegistryPerson
from idp.registry.port import EntityStatus
from idp.registry.port import Outcome
from idp.registry.port import Verdict
from idp.registry.port import same_name
from keys.pii import PersonalDataCipher
from store.db import Database

#: The lookup-hash purpose of ID numbers, shared with accounts.
ID_NUMBER_PURPOSE = "id_number"


class LocalRegistry:
    name = "local"

    def __init__(self, db: Database, cipher: PersonalDataCipher) -> None:
        self._db = db
        self._cipher = cipher

    def verify_person(self, name: str, doc: Document) -> Verdict:
        hashes = self._cipher.lookup_hashes(ID_NUMBER_PURPOSE, doc.lookup_value)
        stmt = select(RegistryPerson.name).where(RegistryPerson.id_hash.in_(hashes))
        with self._db.connection() as conn:
            names = list(conn.execute(stmt).scalars())
        if not names:
            return Verdict(Outcome.NOT_FOUND, self.name)
        if any(same_name(name, registered) for registered in names):
            return Verdict(Outcome.MATCH, self.name)
        return Verdict(Outcome.NAME_MISMATCH, self.name)

    def verify_entity(self, uscc: CreditCode, name: str, legal_representative_name: str) -> Verdict:
        stmt = select(RegistryEntity).where(RegistryEntity.credit_code == uscc.code)
        with self._db.transaction() as session:
            entity = session.execute(stmt).scalar_one_or_none()
            if entity is None:
                return Verdict(Outcome.NOT_FOUND, self.name)
            status = EntityStatus(entity.status)
            if status is not EntityStatus.ACTIVE:
                outcome = Outcome.INACTIVE
            elif not same_name(name, entity.name):
                outcome = Outcome.NAME_MISMATCH
            elif not same_name(legal_representative_name, entity.legal_representative_name):
                outcome = Outcome.REPRESENTATIVE_MISMATCH
            else:
                outcome = Outcome.MATCH
        return Verdict(outcome, self.name, entity_status=status)
