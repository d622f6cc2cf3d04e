"""What other domains use: stamp a document with a department's seal; a person's approvals."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import select

from audit.models import AuditEventRecord
from signing.errors import SealNotFound
from signing.errors import SealSuspended
from signing.pades import AtAnchor
from signing.render import parse_approval_data
from signing.render import render_approval
from signing.verify import Verdict
from tests.e2e.signing.signing_world import APPROVAL
from tests.e2e.signing.signing_world import SigningWorld


def test_stamp_document_uses_the_departments_only_active_seal_and_audits_it(
    signing: SigningWorld,
) -> None:
    pdf = render_approval(parse_approval_data(APPROVAL)).pdf
    now = datetime.now(UTC)
    signed = signing.service.stamp_document(
        "scjgj", pdf, placement=AtAnchor("seal-1"), now=now, actor="licences", purpose="licence"
    )
    report = signing.service.verify(signed, now=now)
    assert report.verdict is Verdict.VALID
    with signing.service.deps.db.transaction() as session:
        event = session.execute(
            select(AuditEventRecord).where(AuditEventRecord.action == "seal.use")
        ).scalar_one()
        assert (event.actor, event.target, event.details["purpose"]) == (
            "licences",
            f"seal:{signing.seal_id}",
            "licence",
        )
    invisible = signing.service.stamp_document("scjgj", pdf, placement=None, now=now, actor="x")
    assert signing.service.verify(invisible, now=now).signatures[0].appearance is None


def test_stamp_document_refuses_an_unusable_or_ambiguous_seal(signing: SigningWorld) -> None:
    pdf = render_approval(parse_approval_data(APPROVAL)).pdf
    now = datetime.now(UTC)
    with pytest.raises(SealNotFound):
        signing.service.stamp_document("mzt", pdf, placement=None, now=now, actor="x")
    signing.service.seals.create("scjgj", purpose="合同专用章", now=now, actor="t")
    with pytest.raises(SealNotFound):
        signing.service.stamp_document("scjgj", pdf, placement=None, now=now, actor="x")
    signing.service.seals.suspend(signing.seal_id, reason="t", now=now, actor="t")
    with pytest.raises(SealSuspended):
        signing.service.stamp_document(
            "scjgj", pdf, placement=None, now=now, actor="x", seal_id=signing.seal_id
        )
