"""The licence service on SQLite and PostgreSQL: issue, change, history, publication, rotation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from audit.trail import recent_events
from audit.trail import verify_chain
from config.settings import KeySettings
from config.settings import LicenceSettings
from config.settings import Settings
from keys.keystore import KeyStore
from keys.master import generate_master_key
from keys.master import parse_master_keys
from licences import codec
from licences.licence_types import example_types
from licences.models import CredentialRecord
from licences.offline import LicenceStatus
from licences.offline import OfflineVerifier
from licences.public_keys import TrustedKey
from licences.record_digest import check_record_digest
from licences.sealing import UnsealedPDF
from licences.service import ROOT_PURPOSE
from licences.service import LicenceService
from licences.service import licence_purpose
from licences.service_errors import IdempotencyKeyReused
from licences.service_errors import IssuerNotRegistered
from licences.service_errors import LicenceDataInvalid
from licences.service_errors import NotIssuingDepartment
from licences.service_errors import StatusChangeInvalid
from licences.status_list import Status
from licences.status_list import verify_status_list
from licences.trust_list import parse_root_keys
from licences.trust_list import verify_trust_list
from store.db import Database
from store.outbox import Outbox

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "licences"
HOLDER = ("91330106MA2H2KFU2B", "杭州西湖云帆智联数字科技有限公司")


def business_data() -> dict[str, Any]:
    record = json.loads((VECTORS / "business-licence.json").read_text(encoding="utf-8"))["record"]
    skip = ("licence_type", "licence_id", "holder", "registration_authority_code")
    return {k: v for k, v in record.items() if k not in skip}


FOOD_DATA = {
    "permit_number": "JY13301060012345",
    "legal_representative": "陈晓明",
    "address": "浙江省杭州市西湖区文三路478号",
    "premises": "浙江省杭州市西湖区文三路478号一楼",
    "main_business": "食品销售经营者",
    "business_items": ["预包装食品销售（含冷藏冷冻食品）", "散装食品销售"],
    "authority": "杭州市西湖区市场监督管理局",
    "complaints_hotline": "12315",
}


@pytest.fixture
def service(database: Database) -> LicenceService:
    settings = Settings(
        issuer="https://tongban.example.gov.cn",
        keys=KeySettings(cache_seconds=0),
        licences=LicenceSettings(status_list_size=1024),
    )
    keys = KeyStore(database, parse_master_keys(generate_master_key(), "test"), settings.keys)
    service = LicenceService(database, keys, settings, UnsealedPDF())
    for licence_type in example_types():
        service.put_type(licence_type.definition, now=T0, actor="test")
    service.register_issuer(
        "scjgj",
        name="杭州市西湖区市场监督管理局",
        credit_code="11330106MB1C586785",
        now=T0,
        actor="test",
    )
    return service


def issue(service: LicenceService, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "type_id": "business_licence",
        "department_id": "scjgj",
        "holder_kind": "entity",
        "holder_code": HOLDER[0],
        "holder_name": HOLDER[1],
        "data": business_data(),
        "now": T0,
        "actor": "test",
    }
    arguments.update(changes)
    return service.issue(**arguments)


def offline(service: LicenceService, now: datetime) -> OfflineVerifier:
    roots = parse_root_keys(service.roots_document())
    trust = verify_trust_list(service.trust_list(now).token, roots=roots, now=now)
    tokens = [
        verify_status_list(service.status_list(n, now).token, keys=trust.by_kid, now=now)
        for n in service.status_list_ids()
    ]
    return OfflineVerifier(trust, tokens)


def test_issue_signs_a_credential_whose_digest_binds_the_record(service: LicenceService) -> None:
    view = issue(service)
    assert view.id.startswith("YYZZ-2026-")
    assert view.state_at(T0) == "valid"
    # 长期 or a fixed end: the business term sets the validity, in China time.
    assert view.not_before == datetime(2019, 3, 14, 16, 0, tzinfo=UTC)
    assert view.not_after == datetime(2049, 3, 14, 15, 59, 59, tzinfo=UTC)
    claims = codec.decode(view.credential).unverified_claims
    assert claims.licence_id == view.id
    assert claims.status.uri == "https://tongban.example.gov.cn/s/1"
    check_record_digest(view.record(), claims.record_digest)
    assert view.qr_version <= 15
    assert service.qr_image(view.id, "png").startswith(b"\x89PNG")
    assert service.pdf(view.id).startswith(b"%PDF-")
    result = offline(service, T0).verify(view.credential, now=T0)
    assert result.status is LicenceStatus.VALID
    assert result.licence is not None
    assert result.licence.issuer_name == "杭州市西湖区市场监督管理局"


def test_a_food_permit_runs_five_years_from_the_day_of_issue(service: LicenceService) -> None:
    view = issue(service, type_id="food_business_permit", data=FOOD_DATA)
    assert view.id.startswith("SPJY-")
    assert view.not_before == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)  # 2 March, China time.
    assert view.not_after == datetime(2031, 3, 1, 15, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"data": {**business_data(), "address": ""}}, "address"),
        ({"data": {**business_data(), "extra": "x"}}, "Additional properties"),
        ({"data": {**business_data(), "registered_capital": 5.5}}, "registered_capital"),
        ({"holder_code": "123"}, "holder.code"),
        ({"holder_kind": "person"}, "holder.kind"),
    ],
)
def test_bad_data_is_refused_naming_the_field(
    service: LicenceService, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(LicenceDataInvalid, match=message):
        issue(service, **change)


def test_only_listed_and_registered_departments_issue(service: LicenceService) -> None:
    with pytest.raises(NotIssuingDepartment):
        issue(service, department_id="mzt")
    definition = dict(service.get_type("business_licence").definition)
    service.put_type({**definition, "departments": ["scjgj", "xhq"]}, now=T0, actor="test")
    with pytest.raises(IssuerNotRegistered):
        issue(service, department_id="xhq")


def test_status_changes_reach_the_status_list_and_the_history(
    service: LicenceService, database: Database
) -> None:
    view = issue(service)
    service.suspend(view.id, now=T0, actor="test", reason="整改")
    assert offline(service, T0).verify(view.credential, now=T0).status is LicenceStatus.SUSPENDED
    assert service.check(view.credential, now=T0).shown == "suspended"
    with pytest.raises(StatusChangeInvalid):
        service.suspend(view.id, now=T0, actor="test")
    service.reinstate(view.id, now=T0, actor="test")
    assert offline(service, T0).verify(view.credential, now=T0).status is LicenceStatus.VALID
    service.revoke(view.id, now=T0, actor="test", reason="吊销")
    assert offline(service, T0).verify(view.credential, now=T0).status is LicenceStatus.REVOKED
    with pytest.raises(StatusChangeInvalid):
        service.reinstate(view.id, now=T0, actor="test")
    actions = [(h.action, h.status) for h in service.history(view.id)]
    assert actions == [
        ("issue", "valid"),
        ("suspend", "suspended"),
        ("reinstate", "valid"),
        ("revoke", "revoked"),
    ]
    with database.transaction() as session:
        assert verify_chain(session).intact
        events = [e.action for e in recent_events(session, 10, f"licence:{view.id}")]
    assert events[0] == "licence.revoke"
    # Every change queued a re-signing of the list, durably.
    assert len(Outbox(database).list(kind="licence.status_list")) == 3


def test_an_amendment_supersedes_the_old_code_and_keeps_the_history(
    service: LicenceService,
) -> None:
    view = issue(service)
    amended = service.amend(
        view.id,
        data={**business_data(), "address": "浙江省杭州市西湖区新地址1号"},
        now=T0,
        actor="test",
        reason="住所变更",
    )
    assert amended.version == 2
    assert amended.credential != view.credential
    assert service.check(view.credential, now=T0).shown == "superseded"
    assert service.check(amended.credential, now=T0).shown == "valid"
    verifier = offline(service, T0)
    assert verifier.verify(view.credential, now=T0).status is LicenceStatus.REVOKED
    assert verifier.verify(amended.credential, now=T0).status is LicenceStatus.VALID
    history = service.history(view.id)
    assert [h.version for h in history] == [1, 2]
    assert history[0].data["address"] != history[1].data["address"]


def test_positions_are_random_and_never_reused(service: LicenceService, database: Database) -> None:
    views = [issue(service) for _ in range(6)]
    service.amend(views[0].id, data=business_data(), now=T0, actor="test")
    with database.transaction() as session:
        positions = list(
            session.execute(select(CredentialRecord.status_list_id, CredentialRecord.status_index))
        )
    assert len(positions) == len(set(positions)) == 7
    indices = sorted(index for _, index in positions)
    assert indices != list(range(indices[0], indices[0] + 7))  # Not sequential.


def test_a_full_list_is_followed_by_a_new_one(database: Database, service: LicenceService) -> None:
    small = LicenceService(
        database,
        service._keys,
        replace(service.settings, licences=LicenceSettings(status_list_size=4)),
        UnsealedPDF(),
    )
    lists = {codec.decode(issue(small).credential).unverified_claims.status.uri for _ in range(5)}
    assert len(lists) >= 2


def test_idempotent_issue_replays_and_refuses_a_changed_request(service: LicenceService) -> None:
    view = issue(service, idempotency=("svc", "key-1", "f1"))
    assert service.replay("svc", "key-1", "f1") == view
    assert service.replay("svc", "key-2", "f1") is None
    with pytest.raises(IdempotencyKeyReused):
        service.replay("svc", "key-1", "f2")


def test_rotation_keeps_old_licences_verifiable(service: LicenceService) -> None:
    before = issue(service)
    later = T0 + timedelta(days=100)
    service._keys.rotate(licence_purpose("scjgj"), later, actor="test")
    service._trust = None
    after = issue(service, now=later + timedelta(hours=1))
    kids = {codec.decode(v.credential).kid for v in (before, after)}
    assert len(kids) == 2
    checked = later + timedelta(days=1)
    verifier = offline(service, checked)
    for view in (before, after):
        assert verifier.verify(view.credential, now=checked).status is LicenceStatus.VALID
        assert service.check(view.credential, now=checked).shown == "valid"
    retired = [k for k in verifier.trust_list.keys if k.valid_until is not None]
    assert len(retired) == 1


def test_forged_and_tampered_codes_show_nothing(service: LicenceService) -> None:
    view = issue(service)
    tampered = view.credential[:-3] + ("000" if not view.credential.endswith("000") else "111")
    for bad, reason in [
        (tampered, {"tampered", "truncated", "malformed"}),
        (view.credential[:-40], {"truncated", "malformed"}),
        (view.credential + "1" * 5000, {"oversized"}),
        ("https://x.example/v/02" + view.credential.rsplit("/v/01", 1)[1], {"bad_version"}),
    ]:
        result = service.check(bad, now=T0)
        assert result.shown == "forged"
        assert result.reason in reason
        assert result.claims is None
        assert result.licence is None


def test_a_code_signed_by_an_untrusted_key_is_forged(service: LicenceService) -> None:
    view = issue(service)
    claims = codec.decode(view.credential).unverified_claims
    from cryptography.hazmat.primitives.asymmetric import ec

    class Rogue:
        kid, alg = "rogue", "ES256"
        key = ec.generate_private_key(ec.SECP256R1())

        def public_key(self) -> Any:
            return self.key.public_key()

        def public_jwk(self) -> dict[str, Any]:
            return {}

        def sign(self, data: bytes) -> bytes:
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

            r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    forged = codec.encode(claims, Rogue(), "https://tongban.example.gov.cn/v/")
    result = service.check(forged, now=T0)
    assert (result.shown, result.reason, result.claims) == ("forged", "untrusted_key", None)


def test_publications_are_stored_and_resigned_only_when_stale(service: LicenceService) -> None:
    view = issue(service)
    first = service.status_list(1, T0)
    assert service.status_list(1, T0 + timedelta(minutes=5)) == first
    service.suspend(view.id, now=T0, actor="test")
    second = service.status_list(1, T0 + timedelta(minutes=6))
    assert second.etag != first.etag
    trust = service.trust_list(T0)
    assert service.trust_list(T0 + timedelta(hours=1)) == trust
    assert service.trust_list(T0 + timedelta(days=4)).etag != trust.etag  # Past half its life.
    token = verify_status_list(
        second.token,
        keys={k.kid: k for k in service.trusted_keys()},
        now=T0 + timedelta(minutes=6),
    )
    index = codec.decode(view.credential).unverified_claims.status.index
    assert token.status_list[index] == Status.SUSPENDED


def test_the_roots_are_the_trust_list_root_keys(service: LicenceService) -> None:
    roots = parse_root_keys(service.roots_document())
    published = {k.kid for k in service._keys.published(ROOT_PURPOSE)}
    assert {r.kid for r in roots} == published
    assert all(isinstance(r, TrustedKey) for r in roots)
