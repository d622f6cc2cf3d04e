"""Approvals (批复文件): submitted, stamped, stored, and found again by their applicant.

Every approval is a row before it is stamped, written in one transaction with what is
needed to stamp it (template data or the uploaded PDF), the Idempotency-Key that
claims it, and an outbox message that finishes it should the submitting process die.
Then:

* **one approval** is stamped at once by the request that submitted it. The row is
  held (``claimed_until``) meanwhile, and its outbox message waits until the hold ends,
  so the worker only steps in when the request never finished.
* **a batch** is N rows and one outbox message, written together; the worker claims
  rows a few at a time and stamps them one by one.

A stamp is recorded by one conditional update (``pending`` → ``signed``) in the same
transaction that stores the signed PDF and the seal-use audit event, so nothing is
recorded as signed without its file, and a row two workers raced for is recorded once.
After a crash the rows still pending are simply done again: no approval is lost and
none is recorded twice.

Errors: for a single submission every failure is the caller's answer and leaves
nothing behind (the row is removed); in a batch, a permanent failure (bad data, a
revoked seal) marks the row ``failed`` and the batch carries on, while a transient one
(the TSA is down) leaves it pending for the outbox's next attempt.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Final
from typing import cast

from sqlalchemy import CursorResult
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audit.trail import record as audit_record
from config.settings import SigningSettings
from signing.errors import ApprovalDataInvalid
from signing.errors import ApprovalNotFound
from signing.errors import BatchNotFound
from signing.errors import CANotReady
from signing.errors import IdempotencyKeyReused
from signing.errors import PDFTooLarge
from signing.errors import PDFUnreadable
from signing.errors import RequestInvalid
from signing.errors import SigningError
from signing.errors import StampingFailed
from signing.errors import TimestampUnavailable
from signing.models import ApprovalBatchRecord
from signing.models import ApprovalDocumentRecord
from signing.models import ApprovalRecord
from signing.models import SealRecord
from signing.pades import AtPosition
from signing.pades import Placement
from signing.render import ApprovalData
from signing.render import parse_approval_data
from signing.render import render_approval
from signing.render import seal_anchor_name
from signing.seals import Seals
from signing.stamping import Stamping
from signing.stamping import placement_from
from store.db import Database
from store.errors import StoreError
from store.outbox import DeliveryFailed
from store.outbox import enqueue
from store.outbox import mark_delivered

__all__ = [
    "APPROVAL_KIND",
    "BATCH_KIND",
    "TEMPLATES",
    "ApprovalInfo",
    "ApprovalRequest",
    "ApprovalSummary",
    "Approvals",
    "BatchInfo",
    "Submitted",
]

log = logging.getLogger("tongban.signing")

APPROVAL_KIND: Final = "signing.approval"
BATCH_KIND: Final = "signing.batch"
TEMPLATES: Final = ("approval",)
#: How long a process holds an approval it is stamping before others may take it over.
HOLD: Final = timedelta(minutes=2)
#: Rows a batch worker claims at a time.
CLAIM: Final = 8
_TRANSIENT: Final = (TimestampUnavailable, StampingFailed, CANotReady, StoreError)


@dataclass(frozen=True)
class ApprovalRequest:
    """One approval to stamp: template data, or a PDF with a title."""

    seal_id: str
    person_id: str | None
    template: str | None = None
    data: Mapping[str, Any] | None = None
    pdf: bytes | None = None
    title: str | None = None
    document_number: str | None = None
    placement: Mapping[str, Any] | None = None

    def fingerprint(self) -> dict[str, Any]:
        """What identifies the request for Idempotency-Key comparison."""
        return {
            "seal": self.seal_id,
            "person": self.person_id,
            "template": self.template,
            "data": self.data,
            "pdf": hashlib.sha256(self.pdf).hexdigest() if self.pdf is not None else None,
            "title": self.title,
            "document_number": self.document_number,
            "placement": self.placement,
        }


@dataclass(frozen=True)
class ApprovalInfo:
    """An approval as its department system sees it."""

    id: str
    status: str
    seal_id: str
    department_id: str
    department_name: str | None
    title: str
    document_number: str | None
    source: str
    batch_id: str | None
    batch_index: int | None
    created_at: datetime
    signed_at: datetime | None
    sha256: str | None
    size: int | None
    error_code: str | None
    error_message: str | None


@dataclass(frozen=True)
class Submitted:
    """The outcome of a submission: the approval, and whether it replayed an earlier one."""

    approval: ApprovalInfo
    replayed: bool


@dataclass(frozen=True)
class BatchInfo:
    id: str
    seal_id: str
    department_id: str
    total: int
    pending: int
    signed: int
    failed: int
    created_at: datetime
    completed_at: datetime | None
    last_error: str | None
    approvals: tuple[ApprovalInfo, ...]
    replayed: bool = False

    @property
    def status(self) -> str:
        """``pending`` while any approval is, else ``completed``."""
        return "pending" if self.pending else "completed"


@dataclass(frozen=True)
class ApprovalSummary:
    """An approval as the user space lists it for its applicant."""

    id: str
    title: str
    document_number: str | None
    department_id: str
    department_name: str | None
    signed_at: datetime
    download_path: str


def request_hash(value: Any) -> str:
    """A digest of a request's canonical JSON."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def decode_pdf(value: Any, field: str, max_bytes: int) -> bytes:
    """A PDF sent as base64 in JSON; only its size and header are checked here."""
    if not isinstance(value, str):
        raise RequestInvalid(f"{field} must be a base64 string")
    if len(value) > max_bytes * 4 // 3 + 4:
        raise PDFTooLarge()
    try:
        pdf = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise RequestInvalid(f"{field} is not valid base64") from exc
    check_pdf_shape(pdf, max_bytes)
    return pdf


def check_pdf_shape(pdf: bytes, max_bytes: int) -> None:
    """Refuse oversized input and input that is not a PDF at all, before storing it."""
    if len(pdf) > max_bytes:
        raise PDFTooLarge()
    if not pdf.lstrip()[:5] == b"%PDF-":
        raise PDFUnreadable()


@dataclass(frozen=True)
class _Work:
    """What stamping one approval needs, when the caller has it at hand already."""

    seal: SealRecord
    data: ApprovalData | None
    pdf: bytes | None
    placement: dict[str, Any] | None


class _Lost(Exception):
    """The row was completed or removed by someone else meanwhile."""


class Approvals:
    """Submission, processing and lookup of approvals."""

    def __init__(
        self,
        db: Database,
        seals: Seals,
        stamping: Stamping,
        settings: SigningSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._seals = seals
        self._stamping = stamping
        self._settings = settings
        self._clock = clock
        #: Test hook: called after a stamp, before it is recorded (a crash goes here).
        self.after_stamp: Callable[[str], None] | None = None

    # -- submitting ----------------------------------------------------------------------

    def submit(
        self,
        request: ApprovalRequest,
        *,
        department_id: str | None,
        client_id: str | None,
        idempotency_key: str | None,
        now: datetime,
        actor: str,
    ) -> Submitted:
        """Record and stamp one approval; returns it signed (or replayed).

        ``department_id`` limits the seal to that department (a department system's
        own); None is for operators. Raises the stamping error, leaving nothing behind.
        """
        prepared = self._prepare(request)
        digest = request_hash(request.fingerprint())
        if client_id is not None and idempotency_key is not None:
            replay = self._replay(client_id, idempotency_key, digest)
            if replay is not None:
                return Submitted(replay, True)
        approval_id = _new_id()
        try:
            with self._db.transaction() as session:
                seal = self._seals.usable(session, request.seal_id, department_id)
                work = _Work(
                    seal,
                    prepared,
                    request.pdf,
                    dict(request.placement) if request.placement is not None else None,
                )
                self._insert(
                    session,
                    approval_id,
                    request,
                    prepared,
                    seal,
                    client_id=client_id,
                    actor=actor,
                    idempotency_key=idempotency_key,
                    digest=digest,
                    now=now,
                    batch=None,
                )
        except IntegrityError:
            # The same key raced in from a concurrent request: that one holds it.
            if client_id is None or idempotency_key is None:
                raise
            replay = self._replay(client_id, idempotency_key, digest)
            if replay is None:
                raise
            return Submitted(replay, True)
        try:
            info = self._complete(approval_id, now=now, work=work)
        except SigningError:
            self._remove(approval_id)
            raise
        return Submitted(info or self.get(approval_id), False)

    def submit_batch(
        self,
        requests: Sequence[ApprovalRequest],
        *,
        department_id: str,
        client_id: str | None,
        idempotency_key: str | None,
        now: datetime,
        actor: str,
    ) -> BatchInfo:
        """Record a batch for the worker; every item is checked before anything is written."""
        if not 1 <= len(requests) <= self._settings.max_batch_items:
            raise RequestInvalid(f"A batch holds 1 to {self._settings.max_batch_items} approvals.")
        seal_ids = {r.seal_id for r in requests}
        if len(seal_ids) != 1:
            raise RequestInvalid("All approvals of a batch use the same seal.")
        prepared = []
        for index, request in enumerate(requests):
            try:
                prepared.append(self._prepare(request))
            except ApprovalDataInvalid as exc:
                problem = exc.message.split(": ", 1)[-1]
                raise ApprovalDataInvalid(f"items[{index}].data.{exc.field}", problem) from exc
            except SigningError as exc:
                raise type(exc)(f"items[{index}]: {exc.message}", detail=exc.detail or "") from exc
        digest = request_hash([r.fingerprint() for r in requests])
        if client_id is not None and idempotency_key is not None:
            replay = self._replay_batch(client_id, idempotency_key, digest)
            if replay is not None:
                return replay
        batch_id = _new_id()
        try:
            with self._db.transaction() as session:
                seal = self._seals.usable(session, requests[0].seal_id, department_id)
                outbox_id = enqueue(
                    session, BATCH_KIND, f"batch:{batch_id}", {"batch": batch_id}, now=now
                )
                session.add(
                    ApprovalBatchRecord(
                        id=batch_id,
                        department_id=seal.department_id,
                        client_id=client_id,
                        seal_id=seal.id,
                        idempotency_key=idempotency_key,
                        request_hash=digest,
                        total=len(requests),
                        outbox_id=outbox_id,
                        created_at=now,
                    )
                )
                session.flush()
                for index, (request, data) in enumerate(zip(requests, prepared, strict=True)):
                    self._insert(
                        session,
                        _new_id(),
                        request,
                        data,
                        seal,
                        client_id=client_id,
                        actor=actor,
                        idempotency_key=None,
                        digest=None,
                        now=now,
                        batch=(batch_id, index),
                    )
                audit_record(
                    session,
                    actor=actor,
                    action="approval.batch",
                    target=f"seal:{seal.id}",
                    now=now,
                    details={"batch": batch_id, "total": len(requests), "client": client_id},
                )
        except IntegrityError:
            if client_id is None or idempotency_key is None:
                raise
            replay = self._replay_batch(client_id, idempotency_key, digest)
            if replay is None:
                raise
            return replay
        return self.batch(batch_id, department_id=department_id)

    # -- the worker's side ---------------------------------------------------------------

    def process_approval(self, payload: Mapping[str, Any]) -> None:
        """Outbox handler: finish one approval whose request did not."""
        approval_id = str(payload["approval"])
        now = self._clock()
        if not self._claim([approval_id], now):
            with self._db.transaction() as session:
                row = session.get(ApprovalRecord, approval_id)
                if row is None or row.status != "pending":
                    return
            raise DeliveryFailed("the approval is being stamped elsewhere")
        try:
            self._complete(approval_id, now=now)
        except _TRANSIENT as exc:
            self._release(approval_id)
            raise DeliveryFailed(f"{exc.code}: {exc.message}") from exc
        except SigningError as exc:
            self._fail(approval_id, exc, now)

    def process_batch(self, payload: Mapping[str, Any]) -> None:
        """Outbox handler: stamp a batch's pending approvals, a few claimed at a time."""
        batch_id = str(payload["batch"])
        while True:
            now = self._clock()
            with self._db.transaction() as session:
                candidates = list(
                    session.execute(
                        select(ApprovalRecord.id)
                        .where(
                            ApprovalRecord.batch_id == batch_id,
                            ApprovalRecord.status == "pending",
                            or_(
                                ApprovalRecord.claimed_until.is_(None),
                                ApprovalRecord.claimed_until <= now,
                            ),
                        )
                        .order_by(ApprovalRecord.batch_index)
                        .limit(CLAIM)
                    ).scalars()
                )
            claimed = self._claim(candidates, now) if candidates else []
            if not claimed:
                break
            for approval_id in claimed:
                try:
                    self._complete(approval_id, now=self._clock())
                except _TRANSIENT as exc:
                    for unfinished in claimed:
                        self._release(unfinished)
                    self._batch_error(batch_id, f"{exc.code}: {exc.message}")
                    raise DeliveryFailed(f"{exc.code}: {exc.message}") from exc
                except SigningError as exc:
                    self._fail(approval_id, exc, self._clock())
        with self._db.transaction() as session:
            pending = session.execute(
                select(func.count())
                .select_from(ApprovalRecord)
                .where(ApprovalRecord.batch_id == batch_id, ApprovalRecord.status == "pending")
            ).scalar_one()
            if pending:
                raise DeliveryFailed(f"{pending} approval(s) are being stamped elsewhere")
            batch = session.get(ApprovalBatchRecord, batch_id)
            if batch is not None and batch.completed_at is None:
                batch.completed_at = self._clock()

    # -- reading -------------------------------------------------------------------------

    def get(self, approval_id: str, *, department_id: str | None = None) -> ApprovalInfo:
        with self._db.transaction() as session:
            row = session.get(ApprovalRecord, approval_id)
            if row is None or (department_id is not None and row.department_id != department_id):
                raise ApprovalNotFound()
            return _info(row)

    def batch(self, batch_id: str, *, department_id: str | None = None) -> BatchInfo:
        with self._db.transaction() as session:
            batch = session.get(ApprovalBatchRecord, batch_id)
            if batch is None or (
                department_id is not None and batch.department_id != department_id
            ):
                raise BatchNotFound()
            rows = list(
                session.execute(
                    select(ApprovalRecord)
                    .where(ApprovalRecord.batch_id == batch_id)
                    .order_by(ApprovalRecord.batch_index)
                ).scalars()
            )
            counts = {
                s: sum(1 for r in rows if r.status == s) for s in ("pending", "signed", "failed")
            }
            return BatchInfo(
                id=batch.id,
                seal_id=batch.seal_id,
                department_id=batch.department_id,
                total=batch.total,
                pending=counts["pending"],
                signed=counts["signed"],
                failed=counts["failed"],
                created_at=batch.created_at,
                completed_at=batch.completed_at,
                last_error=batch.last_error,
                approvals=tuple(_info(r) for r in rows),
            )

    def document(
        self,
        approval_id: str,
        *,
        department_id: str | None = None,
        person_id: str | None = None,
    ) -> tuple[ApprovalInfo, bytes]:
        """The signed PDF, for the issuing department's system or for the applicant.

        Exactly one of ``department_id`` and ``person_id`` must be given; anyone else
        (and an approval not yet signed) gets :class:`ApprovalNotFound`.
        """
        if (department_id is None) == (person_id is None):
            raise ValueError("give exactly one of department_id and person_id")
        with self._db.transaction() as session:
            row = session.get(ApprovalRecord, approval_id)
            if row is None or row.status != "signed":
                raise ApprovalNotFound()
            if department_id is not None and row.department_id != department_id:
                raise ApprovalNotFound()
            if person_id is not None and row.person_id != person_id:
                raise ApprovalNotFound()
            document = session.get(ApprovalDocumentRecord, (approval_id, "signed"))
            if document is None:  # pragma: no cover - signed rows always have one
                raise ApprovalNotFound()
            return _info(row), document.data

    def for_person(self, person_id: str, *, limit: int = 200) -> list[ApprovalSummary]:
        """The applicant's signed approvals, newest first (for the user space)."""
        with self._db.transaction() as session:
            rows = session.execute(
                select(ApprovalRecord)
                .where(ApprovalRecord.person_id == person_id, ApprovalRecord.status == "signed")
                .order_by(ApprovalRecord.signed_at.desc())
                .limit(limit)
            ).scalars()
            return [
                ApprovalSummary(
                    id=r.id,
                    title=r.title,
                    document_number=r.document_number,
                    department_id=r.department_id,
                    department_name=r.department_name,
                    signed_at=r.signed_at or r.created_at,
                    download_path=f"/approvals/{r.id}/download",
                )
                for r in rows
            ]

    # -- internals -----------------------------------------------------------------------

    def _prepare(self, request: ApprovalRequest) -> ApprovalData | None:
        """Check a request fully before anything is written; template data parsed."""
        if (request.data is None) == (request.pdf is None):
            raise RequestInvalid("Give either template data or a PDF.")
        if request.placement is not None:
            try:
                placement_from(dict(request.placement))
            except (KeyError, TypeError) as exc:
                raise RequestInvalid(
                    'placement is {"anchor": name} or {"page": n, "x": x, "y": y}'
                ) from exc
        if request.pdf is not None:
            check_pdf_shape(request.pdf, self._settings.max_pdf_bytes)
            if not request.title or not 1 <= len(request.title.strip()) <= 200:
                raise RequestInvalid("A PDF needs a title of 1 to 200 characters.")
            if request.document_number is not None and len(request.document_number) > 40:
                raise RequestInvalid("document_number is at most 40 characters.")
            return None
        if (request.template or "approval") not in TEMPLATES:
            raise RequestInvalid(f"Unknown template; known: {', '.join(TEMPLATES)}.")
        assert request.data is not None  # noqa: S101 - checked above
        return parse_approval_data(request.data)

    def _insert(
        self,
        session: Session,
        approval_id: str,
        request: ApprovalRequest,
        data: ApprovalData | None,
        seal: SealRecord,
        *,
        client_id: str | None,
        actor: str,
        idempotency_key: str | None,
        digest: str | None,
        now: datetime,
        batch: tuple[str, int] | None,
    ) -> None:
        outbox_id = None
        if batch is None:
            outbox_id = enqueue(
                session,
                APPROVAL_KIND,
                f"approval:{approval_id}",
                {"approval": approval_id},
                now=now,
                not_before=now + HOLD,
            )
        session.add(
            ApprovalRecord(
                id=approval_id,
                department_id=seal.department_id,
                seal_id=seal.id,
                client_id=client_id,
                actor=actor,
                person_id=request.person_id,
                title=data.title if data is not None else (request.title or "").strip(),
                document_number=data.document_number
                if data is not None
                else request.document_number,
                source="template" if data is not None else "pdf",
                data=dict(request.data) if request.data is not None else None,
                placement=dict(request.placement) if request.placement is not None else None,
                status="pending",
                idempotency_key=idempotency_key,
                request_hash=digest,
                batch_id=batch[0] if batch else None,
                batch_index=batch[1] if batch else None,
                claimed_until=now + HOLD if batch is None else None,
                attempts=0,
                outbox_id=outbox_id,
                created_at=now,
            )
        )
        if request.pdf is not None:
            session.flush()
            session.add(
                ApprovalDocumentRecord(approval_id=approval_id, kind="input", data=request.pdf)
            )

    def _complete(
        self, approval_id: str, *, now: datetime, work: _Work | None = None
    ) -> ApprovalInfo | None:
        """Stamp one held approval and record it; returns it, or None if someone else did.

        ``work`` is what the submitting request already has; the worker reads it back.
        """
        if work is None:
            work = self._read_work(approval_id)
            if work is None:
                return None
        seal, parsed, source_pdf = work.seal, work.data, work.pdf
        placement_value = work.placement
        placement: Placement
        if parsed is not None:
            rendered = render_approval(parsed)
            pdf = rendered.pdf
            # The renderer says where its anchors are: no need to look them up in the file.
            anchor = rendered.anchors[_issuer_index(parsed, seal.department_name)]
            placement = (
                placement_from(placement_value)
                if placement_value
                else AtPosition(anchor.page, anchor.x, anchor.y)
            )
        else:
            assert source_pdf is not None  # noqa: S101 - a pdf source has its input
            pdf, placement = source_pdf, placement_from(placement_value, seal_anchor_name(0))
        signed = self._stamping.stamp(seal, pdf, placement, now=now)
        if self.after_stamp is not None:
            self.after_stamp(approval_id)
        digest = hashlib.sha256(signed).hexdigest()
        try:
            with self._db.transaction() as session:
                # Re-read the seal in the recording transaction: a suspension or
                # revocation committed while this stamp was made wins.
                seal = self._seals.usable(session, seal.id, None)
                updated = _execute(
                    session,
                    update(ApprovalRecord)
                    .where(ApprovalRecord.id == approval_id, ApprovalRecord.status == "pending")
                    .values(
                        status="signed",
                        signed_at=now,
                        sha256=digest,
                        size=len(signed),
                        department_name=seal.department_name,
                        claimed_until=None,
                        attempts=ApprovalRecord.attempts + 1,
                        error_code=None,
                        error_message=None,
                    )
                    .execution_options(synchronize_session=False),
                )
                if updated.rowcount != 1:
                    raise _Lost
                session.add(
                    ApprovalDocumentRecord(approval_id=approval_id, kind="signed", data=signed)
                )
                session.execute(
                    delete(ApprovalDocumentRecord).where(
                        ApprovalDocumentRecord.approval_id == approval_id,
                        ApprovalDocumentRecord.kind == "input",
                    )
                )
                row = session.get(ApprovalRecord, approval_id)
                if row is not None and row.outbox_id is not None:
                    mark_delivered(session, row.outbox_id, now=now)
                info = _info(row) if row is not None else None
                audit_record(
                    session,
                    actor=row.actor if row is not None else "system",
                    action="seal.use",
                    target=f"seal:{seal.id}",
                    now=now,
                    details={
                        "approval": approval_id,
                        "client": row.client_id if row is not None else None,
                        "batch": row.batch_id if row is not None else None,
                        "sha256": digest,
                        "certificate_serial": seal.certificate_serial,
                    },
                )
        except _Lost:
            log.info(
                "approval %s was recorded by another worker; this stamp is dropped", approval_id
            )
            return None
        return info

    def _read_work(self, approval_id: str) -> _Work | None:
        with self._db.transaction() as session:
            row = session.get(ApprovalRecord, approval_id)
            if row is None or row.status != "pending":
                return None
            seal = self._seals.usable(session, row.seal_id, None)
            source_pdf = None
            if row.source == "pdf":
                document = session.get(ApprovalDocumentRecord, (approval_id, "input"))
                if document is None:
                    raise PDFUnreadable(detail="input document missing")
                source_pdf = document.data
            data = dict(row.data) if row.data is not None else None
            placement = dict(row.placement) if row.placement is not None else None
        parsed = parse_approval_data(data) if data is not None else None
        return _Work(seal, parsed, source_pdf, placement)

    def _claim(self, approval_ids: Sequence[str], now: datetime) -> list[str]:
        claimed = []
        with self._db.transaction() as session:
            for approval_id in approval_ids:
                result = _execute(
                    session,
                    update(ApprovalRecord)
                    .where(
                        ApprovalRecord.id == approval_id,
                        ApprovalRecord.status == "pending",
                        or_(
                            ApprovalRecord.claimed_until.is_(None),
                            ApprovalRecord.claimed_until <= now,
                        ),
                    )
                    .values(claimed_until=now + HOLD)
                    .execution_options(synchronize_session=False),
                )
                if result.rowcount == 1:
                    claimed.append(approval_id)
        return claimed

    def _release(self, approval_id: str) -> None:
        with self._db.transaction() as session:
            session.execute(
                update(ApprovalRecord)
                .where(ApprovalRecord.id == approval_id, ApprovalRecord.status == "pending")
                .values(claimed_until=None, attempts=ApprovalRecord.attempts + 1)
                .execution_options(synchronize_session=False)
            )

    def _fail(self, approval_id: str, error: SigningError, now: datetime) -> None:
        with self._db.transaction() as session:
            row = session.get(ApprovalRecord, approval_id)
            if row is None or row.status != "pending":
                return
            row.status = "failed"
            row.error_code = error.code
            row.error_message = error.message[:500]
            row.claimed_until = None
            row.attempts += 1
            if row.outbox_id is not None:
                mark_delivered(session, row.outbox_id, now=now)
            session.execute(
                delete(ApprovalDocumentRecord).where(
                    ApprovalDocumentRecord.approval_id == approval_id
                )
            )
            audit_record(
                session,
                actor=row.actor,
                action="approval.fail",
                target=f"seal:{row.seal_id}",
                now=now,
                outcome="failure",
                details={"approval": approval_id, "batch": row.batch_id, "code": error.code},
            )

    def _remove(self, approval_id: str) -> None:
        """Undo a single submission whose stamping failed: nothing stays behind."""
        with self._db.transaction() as session:
            row = session.get(ApprovalRecord, approval_id)
            if row is None or row.status != "pending":
                return
            session.execute(
                delete(ApprovalDocumentRecord).where(
                    ApprovalDocumentRecord.approval_id == approval_id
                )
            )
            outbox_id = row.outbox_id
            session.delete(row)
            if outbox_id is not None:
                from store.outbox import OutboxMessage

                message = session.get(OutboxMessage, outbox_id)
                if message is not None:
                    session.delete(message)

    def _batch_error(self, batch_id: str, error: str) -> None:
        with self._db.transaction() as session:
            batch = session.get(ApprovalBatchRecord, batch_id)
            if batch is not None:
                batch.last_error = error[:500]

    def _replay(self, client_id: str, key: str, digest: str) -> ApprovalInfo | None:
        with self._db.transaction() as session:
            row = session.execute(
                select(ApprovalRecord).where(
                    ApprovalRecord.client_id == client_id, ApprovalRecord.idempotency_key == key
                )
            ).scalar_one_or_none()
            if row is None:
                return None
            if row.request_hash != digest:
                raise IdempotencyKeyReused()
            return _info(row)

    def _replay_batch(self, client_id: str, key: str, digest: str) -> BatchInfo | None:
        with self._db.transaction() as session:
            batch = session.execute(
                select(ApprovalBatchRecord).where(
                    ApprovalBatchRecord.client_id == client_id,
                    ApprovalBatchRecord.idempotency_key == key,
                )
            ).scalar_one_or_none()
            if batch is None:
                return None
            if batch.request_hash != digest:
                raise IdempotencyKeyReused()
            batch_id, department_id = batch.id, batch.department_id
        found = self.batch(batch_id, department_id=department_id)
        return BatchInfo(**{**found.__dict__, "replayed": True})


def _execute(session: Session, statement: Any) -> CursorResult[Any]:
    """Run an UPDATE whose ``rowcount`` tells whether it applied."""
    return cast(CursorResult[Any], session.execute(statement))


def _issuer_index(data: ApprovalData, department_name: str) -> int:
    for index, issuer in enumerate(data.issuers):
        if issuer == department_name:
            return index
    return 0


def _new_id() -> str:
    return secrets.token_urlsafe(16)


def _info(row: ApprovalRecord) -> ApprovalInfo:
    return ApprovalInfo(
        id=row.id,
        status=row.status,
        seal_id=row.seal_id,
        department_id=row.department_id,
        department_name=row.department_name,
        title=row.title,
        document_number=row.document_number,
        source=row.source,
        batch_id=row.batch_id,
        batch_index=row.batch_index,
        created_at=row.created_at,
        signed_at=row.signed_at,
        sha256=row.sha256,
        size=row.size,
        error_code=row.error_code,
        error_message=row.error_message,
    )
