"""Append to and verify the hash-chained audit trail (电子监察).

Every event's hash covers its own fields and the previous event's hash, so changing,
deleting or reordering any stored event breaks the chain at that point. An event is
written with :func:`record` in the *same* session as the change it records: both
commit or neither does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Final
from typing import Literal

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from audit.errors import AuditDetailsInvalid
from audit.models import GENESIS_HASH
from audit.models import AuditEventRecord
from audit.models import AuditHead

HASH_VERSION: Final = "tba1"
HEAD_ID: Final = 1
Outcome = Literal["success", "failure", "denied"]


@dataclass(frozen=True)
class AuditEvent:
    """One recorded event, as read back."""

    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    outcome: str
    request_id: str | None
    details: dict[str, Any]
    hash: str


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    kind: Literal["missing", "modified", "broken_link", "truncated"]
    message: str


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_seq: int
    head_hash: str
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    now: datetime,
    outcome: Outcome = "success",
    details: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append an event inside ``session``'s transaction and return it.

    ``details`` must be JSON without floats (str keys; str, int, bool, None, lists,
    objects) and must not carry secrets or unmasked personal data.
    """
    body = _canonical_details(details or {})
    at = _to_micros(now)
    seq, prev_hash = session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
    ).one()
    digest = event_hash(seq, at, actor, action, target, outcome, request_id, body, prev_hash)
    session.add(
        AuditEventRecord(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            target=target,
            outcome=outcome,
            request_id=request_id,
            details=body,
            prev_hash=prev_hash,
            hash=digest,
        )
    )
    session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(hash=digest))
    return AuditEvent(seq, at, actor, action, target, outcome, request_id, body, digest)


def event_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    outcome: str,
    request_id: str | None,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 over the version-tagged canonical JSON of the event and its predecessor."""
    payload = [
        HASH_VERSION,
        seq,
        _iso(at),
        actor,
        action,
        target,
        outcome,
        request_id,
        details,
        prev_hash,
    ]
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verify_chain(session: Session, batch: int = 1000) -> ChainReport:
    """Walk the whole trail and report every place where the chain does not hold."""
    problems: list[ChainProblem] = []
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    rows = session.execute(
        select(AuditEventRecord).order_by(AuditEventRecord.seq).execution_options(yield_per=batch)
    ).scalars()
    for row in rows:
        count += 1
        label = f"event #{row.seq} ({row.action} at {_iso(row.at)})"
        if row.seq != expected_seq:
            gap = (
                f"#{expected_seq}"
                if row.seq == expected_seq + 1
                else f"#{expected_seq}..#{row.seq - 1}"
            )
            problems.append(ChainProblem(expected_seq, "missing", f"event {gap} deleted"))
        if row.prev_hash != prev_hash:
            problems.append(
                ChainProblem(
                    row.seq,
                    "broken_link",
                    f"{label} does not follow the event before it (deleted, reordered or altered)",
                )
            )
        recomputed = event_hash(
            row.seq,
            row.at,
            row.actor,
            row.action,
            row.target,
            row.outcome,
            row.request_id,
            row.details,
            row.prev_hash,
        )
        if recomputed != row.hash:
            problems.append(
                ChainProblem(row.seq, "modified", f"{label} was modified after it was written")
            )
        expected_seq, prev_hash = row.seq + 1, row.hash
    head = session.get(AuditHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != expected_seq - 1 or head_hash != prev_hash:
        problems.append(
            ChainProblem(
                expected_seq,
                "truncated",
                f"the trail ends at #{expected_seq - 1} but its head records #{head_seq}: "
                "events at the end were deleted or the head was altered",
            )
        )
    return ChainReport(events=count, head_seq=head_seq, head_hash=head_hash, problems=problems)


def recent_events(session: Session, limit: int = 50, target: str | None = None) -> list[AuditEvent]:
    """The newest events first, optionally for one target."""
    stmt = select(AuditEventRecord).order_by(AuditEventRecord.seq.desc()).limit(limit)
    if target is not None:
        stmt = stmt.where(AuditEventRecord.target == target)
    return [
        AuditEvent(
            r.seq, r.at, r.actor, r.action, r.target, r.outcome, r.request_id, r.details, r.hash
        )
        for r in session.execute(stmt).scalars()
    ]


def _canonical_details(details: Mapping[str, Any]) -> dict[str, Any]:
    try:
        text = json.dumps(dict(details), sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AuditDetailsInvalid(f"audit details must be plain JSON: {exc}") from None
    parsed: dict[str, Any] = json.loads(text)
    _reject_floats(parsed)
    return parsed


def _reject_floats(value: Any) -> None:
    # Floats may not survive a database round trip bit for bit; the hash must.
    if isinstance(value, float):
        raise AuditDetailsInvalid("audit details must not contain floats; use strings or integers")
    if isinstance(value, dict):
        for item in value.values():
            _reject_floats(item)
    elif isinstance(value, list):
        for item in value:
            _reject_floats(item)


def _to_micros(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return now.astimezone(UTC)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
