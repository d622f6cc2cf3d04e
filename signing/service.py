"""The signing service: one object per process joining the CA, seals, stamping and approvals.

No Flask here. The composition root builds a :class:`SigningService` from what it
already has (database, key store, settings) plus a lookup of department names; the
web layer, the command line, the outbox worker and other domains call it.

For other domains (the licence service seals licence PDFs):
:meth:`SigningService.stamp_document` stamps a PDF with a department's seal and
records the use of the seal in the audit trail, without making it an approval.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from functools import cached_property
from typing import Protocol

from audit.trail import record as audit_record
from config.settings import Settings
from keys.keystore import KeyStore
from signing.approvals import APPROVAL_KIND
from signing.approvals import BATCH_KIND
from signing.approvals import Approvals
from signing.approvals import ApprovalSummary
from signing.ca import InternalCA
from signing.errors import PDFTooLarge
from signing.errors import SealNotFound
from signing.pades import Placement
from signing.seals import DepartmentNames
from signing.seals import Seals
from signing.stamping import Stamping
from signing.verify import VerificationReport
from signing.verify import verify_pdf
from store.db import Database
from store.outbox import Handler

__all__ = ["SigningDeps", "SigningService"]


class SigningDeps(Protocol):
    """What the signing service needs from its host (the composition root's runtime)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def keys(self) -> KeyStore: ...


class SigningService:
    """Seals, the internal CA, stamping, approvals and verification for one process."""

    def __init__(
        self,
        deps: SigningDeps,
        departments: DepartmentNames,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.deps = deps
        self.settings = deps.settings.signing
        self._departments = departments
        self.clock = clock

    @cached_property
    def ca(self) -> InternalCA:
        return InternalCA(
            self.deps.db,
            self.deps.keys,
            self.settings,
            issuer_url=self.deps.settings.issuer,
            data_dir=self.deps.settings.data_dir,
            clock=self.clock,
        )

    @cached_property
    def seals(self) -> Seals:
        return Seals(self.deps.db, self.deps.keys, self.ca, self._departments)

    @cached_property
    def stamping(self) -> Stamping:
        return Stamping(self.seals, self.ca, self.settings)

    @cached_property
    def approvals(self) -> Approvals:
        return Approvals(self.deps.db, self.seals, self.stamping, self.settings, self.clock)

    def outbox_handlers(self) -> dict[str, Handler]:
        """The outbox kinds this service handles, for the worker to register."""
        return {
            APPROVAL_KIND: self.approvals.process_approval,
            BATCH_KIND: self.approvals.process_batch,
        }

    # -- for other domains ---------------------------------------------------------------

    def stamp_document(
        self,
        department_id: str,
        pdf: bytes,
        *,
        placement: Placement | None,
        now: datetime,
        actor: str,
        seal_id: str | None = None,
        purpose: str = "document",
    ) -> bytes:
        """Stamp ``pdf`` with a seal of ``department_id``; returns the signed PDF.

        :param placement: where the visible seal goes (``None``: an invisible signature)
        :param seal_id: which of the department's seals; default: its only active seal
        :param purpose: what the document is, for the audit trail (e.g. ``licence``)

        The seal must be active at the moment of stamping; its use is audited. Raises
        :class:`~signing.errors.SigningError` subclasses (seal missing or not active,
        unreadable PDF, TSA down); nothing is recorded then.
        """
        if len(pdf) > self.settings.max_pdf_bytes:
            raise PDFTooLarge()
        if seal_id is None:
            seal_id = self._only_active_seal(department_id)
        with self.deps.db.transaction() as session:
            record = self.seals.usable(session, seal_id, department_id)
        signed = self.stamping.stamp(record, pdf, placement, now=now)
        with self.deps.db.transaction() as session:
            record = self.seals.usable(session, seal_id, department_id)
            audit_record(
                session,
                actor=actor,
                action="seal.use",
                target=f"seal:{seal_id}",
                now=now,
                details={
                    "purpose": purpose,
                    "sha256": hashlib.sha256(signed).hexdigest(),
                    "certificate_serial": record.certificate_serial,
                },
            )
        return signed

    def approvals_for_person(self, person_id: str) -> list[ApprovalSummary]:
        """The applicant's signed approvals for the user space, newest first."""
        return self.approvals.for_person(person_id)

    # -- verification --------------------------------------------------------------------

    def verify(self, pdf: bytes, *, now: datetime) -> VerificationReport:
        """Verify every seal on ``pdf`` against our root, configured roots and current CRLs."""
        if len(pdf) > self.settings.max_pdf_bytes:
            raise PDFTooLarge()
        return verify_pdf(pdf, self.ca.trust_anchors(now), now=now)

    # -- internals -----------------------------------------------------------------------

    def _only_active_seal(self, department_id: str) -> str:
        active = [s.id for s in self.seals.for_department(department_id) if s.status == "active"]
        if len(active) != 1:
            raise SealNotFound(
                f"Department {department_id!r} has {len(active)} active seals; name one."
            )
        return active[0]
