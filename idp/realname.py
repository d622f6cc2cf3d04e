"""Real-name verification (实名认证): a name and an identity document checked against the
configured registry before anything is stored.

The order is always: validate the document (GB 11643 and the permit formats), ask the
registry, and only on a match write the account's level 2 in one transaction. A
registry that cannot answer raises :class:`~idp.registry.errors.RegistryUnavailable`
before anything is written, so nothing is half-created and the person can retry.
Every answer (match or not) is in the audit trail, with masked numbers only.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

from audit.trail import record as audit_record
from idp.accounts import Accounts
from idp.accounts import Person
from idp.accounts import check_name
from idp.accounts import named
from idp.errors import RealNameMismatch
from idp.identity.documents import Document
from idp.identity.documents import DocumentType
from idp.identity.documents import parse_document
from idp.identity.errors import IdentityError
from idp.identity.masking import mask_id_number
from idp.registry.errors import RegistryUnavailable
from idp.registry.port import RealNameRegistry
from idp.registry.port import Verdict
from store.db import Database

MISMATCH = (
    "the name and document number do not match the registry's record; check both and try again"
)


def parse_id_document(doc_type: str | DocumentType, number: str, *, today: date) -> Document:
    """A validated document, or an error whose message names the field."""
    try:
        return parse_document(doc_type or DocumentType.RESIDENT_ID, number, today=today)
    except IdentityError as exc:
        raise named("id_number", exc) from None


class RealNames:
    def __init__(self, db: Database, registry: RealNameRegistry, accounts: Accounts) -> None:
        self._db = db
        self.registry = registry
        self._accounts = accounts

    def check(
        self,
        name: str,
        document: Document,
        *,
        now: datetime,
        actor: str,
        target: str,
        request_id: str | None = None,
    ) -> Verdict:
        """Ask the registry; return the matching verdict or raise :class:`RealNameMismatch`.

        :raises RegistryUnavailable: the registry did not answer; nothing was decided.
        """
        name = check_name(name)
        try:
            verdict = self.registry.verify_person(name, document)
        except RegistryUnavailable as exc:
            self._audit(actor, target, now, document, "unavailable", None, request_id, exc.detail)
            raise
        self._audit(
            actor, target, now, document, verdict.outcome.value, verdict.reference, request_id
        )
        if not verdict.matched:
            raise RealNameMismatch(MISMATCH, detail=f"registry outcome {verdict.outcome.value}")
        return verdict

    def verify_account(
        self,
        person_id: str,
        name: str,
        document: Document,
        *,
        now: datetime,
        actor: str,
        request_id: str | None = None,
    ) -> Person:
        """Lift an existing account to level 2 once the registry matched."""
        verdict = self.check(
            name,
            document,
            now=now,
            actor=actor,
            target=f"person:{person_id}",
            request_id=request_id,
        )
        return self._accounts.set_realname(
            person_id,
            name,
            document,
            verified_by=verdict.registry,
            reference=verdict.reference,
            now=now,
            actor=actor,
            request_id=request_id,
        )

    def _audit(
        self,
        actor: str,
        target: str,
        now: datetime,
        document: Document,
        outcome: str,
        reference: str | None,
        request_id: str | None,
        detail: str | None = None,
    ) -> None:
        with self._db.transaction() as session:
            audit_record(
                session,
                actor=actor,
                action="realname.check",
                target=target,
                now=now,
                outcome="success" if outcome == "match" else "failure",
                request_id=request_id,
                details={
                    "registry": self.registry.name,
                    "result": outcome,
                    "reference": reference,
                    "id_type": document.type.value,
                    "id_number": mask_id_number(document.number),
                    "detail": (detail or "")[:200] or None,
                },
            )
