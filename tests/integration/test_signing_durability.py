"""Approvals survive crashes and outages: nothing lost, nothing recorded twice, nothing
half-written — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from audit.models import AuditEventRecord
from config.settings import Settings
from config.settings import SigningSettings
from idp.departments import add_department
from keys.keystore import KeyStore
from keys.master import MasterKeys
from keys.master import generate_master_key
from keys.master import load_master_keys
from signing.approvals import ApprovalRequest
from signing.errors import TimestampUnavailable
from signing.models import ApprovalDocumentRecord
from signing.models import ApprovalRecord
from signing.service import SigningService
from store.db import Database
from store.outbox import Outbox
from store.outbox import OutboxMessage

APPROVAL = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "signing" / "approval.json").read_text(
        "utf-8"
    )
)


class Crash(BaseException):
    """The process dies here (not an Exception: nothing may catch it)."""


@dataclass
class Deps:
    settings: Settings
    db: Database
    keys: KeyStore


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def _master() -> MasterKeys:
    return load_master_keys({"TONGBAN_MASTER_KEY": generate_master_key()}, Path("/nonexistent"))


def _service(database: Database, tmp_path: Path, clock: Clock, **signing: str) -> SigningService:
    settings = replace(Settings(), data_dir=tmp_path, signing=SigningSettings(**signing))  # type: ignore[arg-type]
    deps = Deps(settings, database, KeyStore(database, _master(), settings.keys))
    service = SigningService(
        deps, lambda code: "浙江省市场监督管理局" if code == "scjgj" else None, clock=clock
    )
    add_department(database, "scjgj", "浙江省市场监督管理局", name_en=None, now=clock(), actor="t")
    service.ca.ensure(clock(), actor="test")
    return service


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(database: Database, tmp_path: Path, clock: Clock) -> SigningService:
    return _service(database, tmp_path, clock)


def _count(service: SigningService, statement: object) -> int:
    with service.deps.db.transaction() as session:
        return int(session.execute(statement).scalar_one())  # type: ignore[call-overload]


def _seal_uses(service: SigningService) -> int:
    return _count(
        service,
        select(func.count())
        .select_from(AuditEventRecord)
        .where(AuditEventRecord.action == "seal.use"),
    )


def _statuses(service: SigningService) -> dict[str, int]:
    with service.deps.db.transaction() as session:
        rows = session.execute(
            select(ApprovalRecord.status, func.count()).group_by(ApprovalRecord.status)
        )
        return {status: int(n) for status, n in rows}


def _outbox(service: SigningService) -> Outbox:
    return Outbox(service.deps.db, service.outbox_handlers())


def test_a_crash_mid_batch_resumes_without_duplicates_or_losses(
    service: SigningService, clock: Clock
) -> None:
    seal = service.seals.create("scjgj", purpose="行政审批专用章", now=clock(), actor="t")
    requests = [
        ApprovalRequest(seal.id, None, data={**APPROVAL, "title": f"关于第{i}号申请的批复"})
        for i in range(6)
    ]
    batch = service.approvals.submit_batch(
        requests,
        department_id="scjgj",
        client_id="svc",
        idempotency_key="b1",
        now=clock(),
        actor="t",
    )
    stamps: list[str] = []

    def crash_on_third(approval_id: str) -> None:
        stamps.append(approval_id)
        if len(stamps) == 3:
            raise Crash  # the third stamp is made but never recorded

    service.approvals.after_stamp = crash_on_third
    with pytest.raises(Crash):
        _outbox(service).run_due(clock())
    assert _statuses(service) == {"signed": 2, "pending": 4}
    assert _seal_uses(service) == 2

    # A restarted worker: the outbox message and the held rows come free after their leases.
    service.approvals.after_stamp = stamps.append
    _outbox(service).run_due(clock())  # too early: the crashed worker's lease still holds
    assert _statuses(service) == {"signed": 2, "pending": 4}
    clock.now += timedelta(minutes=6)
    _outbox(service).run_due(clock.now)
    assert _statuses(service) == {"signed": 6}
    assert len(stamps) == 7  # the lost stamp was made again, once
    assert _seal_uses(service) == 6  # ... and every approval recorded once
    assert (
        _count(
            service,
            select(func.count())
            .select_from(ApprovalDocumentRecord)
            .where(ApprovalDocumentRecord.kind == "signed"),
        )
        == 6
    )
    assert (
        _count(
            service,
            select(func.count())
            .select_from(ApprovalDocumentRecord)
            .where(ApprovalDocumentRecord.kind == "input"),
        )
        == 0
    )
    done = service.approvals.batch(batch.id)
    assert (done.status, done.signed, done.completed_at is not None) == ("completed", 6, True)
    assert {a.sha256 for a in done.approvals} == {a.sha256 for a in done.approvals if a.sha256}


def test_a_crash_inside_a_single_submission_is_finished_by_the_worker(
    service: SigningService, clock: Clock
) -> None:
    seal = service.seals.create("scjgj", purpose="行政审批专用章", now=clock(), actor="t")
    request = ApprovalRequest(seal.id, None, data=APPROVAL)

    def crash(approval_id: str) -> None:
        raise Crash

    service.approvals.after_stamp = crash
    with pytest.raises(Crash):
        service.approvals.submit(
            request,
            department_id="scjgj",
            client_id="svc",
            idempotency_key="k1",
            now=clock(),
            actor="t",
        )
    service.approvals.after_stamp = None
    assert _statuses(service) == {"pending": 1}
    # The client retries: the same key finds the pending approval, and nothing is stamped.
    retried = service.approvals.submit(
        request,
        department_id="scjgj",
        client_id="svc",
        idempotency_key="k1",
        now=clock(),
        actor="t",
    )
    assert (retried.replayed, retried.approval.status) == (True, "pending")
    assert _seal_uses(service) == 0
    clock.now += timedelta(minutes=3)
    _outbox(service).run_due(clock.now)
    again = service.approvals.submit(
        request,
        department_id="scjgj",
        client_id="svc",
        idempotency_key="k1",
        now=clock(),
        actor="t",
    )
    assert (again.replayed, again.approval.status) == (True, "signed")
    assert _seal_uses(service) == 1


def test_a_finished_single_submission_leaves_its_outbox_message_delivered(
    service: SigningService, clock: Clock
) -> None:
    seal = service.seals.create("scjgj", now=clock(), actor="t")
    service.approvals.submit(
        ApprovalRequest(seal.id, None, data=APPROVAL),
        department_id=None,
        client_id=None,
        idempotency_key=None,
        now=clock(),
        actor="t",
    )
    assert _outbox(service).run_due(clock.now + timedelta(hours=1)) == 0


@dataclass
class FlakyTSA:
    url: str
    up: bool = False


@pytest.fixture
def flaky_tsa(service: SigningService, clock: Clock) -> Iterator[FlakyTSA]:
    """A TSA over HTTP that answers with the internal TSA only while ``up``."""
    state = FlakyTSA("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if not state.up:
                self.send_response(503)
                self.end_headers()
                return
            answer = service.ca.respond_timestamp(body, clock())
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/tsa"
    yield state
    server.shutdown()
    server.server_close()


def test_an_unreachable_tsa_fails_a_submission_cleanly_and_delays_a_batch(
    database: Database, tmp_path: Path, clock: Clock, service: SigningService, flaky_tsa: FlakyTSA
) -> None:
    external = SigningService(
        replace(
            service.deps,  # type: ignore[type-var]
            settings=replace(
                service.deps.settings,
                signing=SigningSettings(tsa_url=flaky_tsa.url, tsa_timeout=2.0),
            ),
        ),
        lambda code: "浙江省市场监督管理局",
        clock=clock,
    )
    seal = external.seals.create("scjgj", now=clock(), actor="t")
    request = ApprovalRequest(seal.id, None, data=APPROVAL)
    with pytest.raises(TimestampUnavailable):
        external.approvals.submit(
            request,
            department_id="scjgj",
            client_id="svc",
            idempotency_key="t1",
            now=clock(),
            actor="t",
        )
    assert _statuses(external) == {}
    assert _count(external, select(func.count()).select_from(OutboxMessage)) == 0

    batch = external.approvals.submit_batch(
        [request, request],
        department_id="scjgj",
        client_id="svc",
        idempotency_key=None,
        now=clock(),
        actor="t",
    )
    _outbox(external).run_due(clock())
    waiting = external.approvals.batch(batch.id)
    assert (waiting.pending, waiting.signed) == (2, 0)
    assert waiting.last_error is not None
    assert waiting.last_error.startswith("timestamp_unavailable")
    flaky_tsa.up = True
    clock.now += timedelta(minutes=1)
    _outbox(external).run_due(clock.now)
    assert external.approvals.batch(batch.id).signed == 2
