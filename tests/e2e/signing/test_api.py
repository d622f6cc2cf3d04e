"""The department API: submit, status, download, idempotency, batches, verification —
every response checked against the OpenAPI document the service serves."""

from __future__ import annotations

import base64
import io
from datetime import UTC
from datetime import datetime

from openapi_spec_validator import validate

from idp.clients import ClientMetadata
from keys.pki import RevocationReason
from signing.verify import Verdict
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import basic
from tests.e2e.signing.signing_world import APPROVAL
from tests.e2e.signing.signing_world import SigningWorld
from tests.e2e.signing.signing_world import conforms
from tests.unit.signing.signing_support import encrypted_pdf

API = "/api/signing/v1"


def test_the_served_openapi_document_is_valid_3_1(signing: SigningWorld) -> None:
    response = signing.world.client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"] == "3.1.0"
    assert document["servers"][0]["url"].endswith(API)
    validate(document)


def test_submit_template_data_returns_a_signed_approval(any_signing: SigningWorld) -> None:
    response = any_signing.submit({"seal": any_signing.seal_id, "data": APPROVAL})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.json
    assert body["status"] == "signed"
    assert body["department_name"] == "浙江省市场监督管理局"
    assert response.headers["Location"] == f"{API}/approvals/{body['id']}"
    status = conforms(
        any_signing.world.client().get(body["links"]["self"], headers=any_signing.headers())
    )
    assert status.json == body
    document = conforms(
        any_signing.world.client().get(body["links"]["document"], headers=any_signing.headers())
    )
    assert document.mimetype == "application/pdf"
    report = any_signing.service.verify(document.data, now=datetime.now(UTC))
    assert report.verdict is Verdict.VALID
    assert report.signatures[0].seal_name == "浙江省市场监督管理局行政审批专用章"


def test_submit_a_pdf_by_json_and_by_multipart(signing: SigningWorld) -> None:
    first = signing.submit({"seal": signing.seal_id, "data": APPROVAL})
    _, unsigned = signing.service.approvals.document(first.json["id"], department_id="scjgj")
    as_json = signing.submit(
        {
            "seal": signing.seal_id,
            "pdf": base64.b64encode(unsigned).decode(),
            "title": "会签",
            "placement": {"page": 1, "x": 200, "y": 300},
        }
    )
    assert as_json.status_code == 201, as_json.get_data(as_text=True)
    multipart = conforms(
        signing.world.client().post(
            f"{API}/approvals",
            data={
                "seal": signing.seal_id,
                "title": "上传的批复",
                "file": (io.BytesIO(unsigned), "a.pdf", "application/pdf"),
            },
            headers=signing.headers(),
        )
    )
    assert multipart.status_code == 201, multipart.get_data(as_text=True)
    assert multipart.json["source"] == "pdf"


def test_a_retried_submit_with_the_same_key_never_stamps_twice(signing: SigningWorld) -> None:
    body = {"seal": signing.seal_id, "data": APPROVAL}
    first = signing.submit(body, **{"Idempotency-Key": "req-0001"})
    again = signing.submit(body, **{"Idempotency-Key": '"req-0001"'})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    assert again.json["sha256"] == first.json["sha256"]
    assert _seal_uses(signing) == 1
    other = signing.submit(
        {**body, "data": {**APPROVAL, "title": "另一份批复"}}, **{"Idempotency-Key": "req-0001"}
    )
    assert other.status_code == 422
    assert other.json["code"] == "idempotency_key_reused"
    assert _seal_uses(signing) == 1


def test_the_applicant_is_named_by_the_pairwise_sub_and_only_they_can_download(
    signing: SigningWorld, rp: RP
) -> None:
    sub = signing.world.verify_id_token(rp.sign_in()["id_token"], "rp1")["sub"]
    response = signing.submit({"seal": signing.seal_id, "data": APPROVAL, "applicant_sub": sub})
    approval_id = response.json["id"]
    person = signing.world.provider.accounts.by_username("zhangsan")
    listed = signing.service.approvals_for_person(person.id)
    assert [(a.id, a.department_id) for a in listed] == [(approval_id, "scjgj")]
    assert listed[0].download_path == f"/approvals/{approval_id}/download"
    # The applicant's browser (rp.browser carries the session from sign-in) downloads it.
    download = rp.browser.get(listed[0].download_path)
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF-")
    # Another person, and nobody at all, cannot.
    assert signing.world.client().get(listed[0].download_path).status_code == 303
    other = RP(signing.world, "rp2", redirect_uri="https://rp2.example.gov.cn/cb")
    other.sign_in("lisi")
    assert other.browser.get(listed[0].download_path).status_code == 404
    unknown = signing.submit(
        {"seal": signing.seal_id, "data": APPROVAL, "applicant_sub": "not-a-sub"}
    )
    assert unknown.status_code == 422
    assert unknown.json["code"] == "applicant_unknown"


def test_tokens_and_scopes(signing: SigningWorld) -> None:
    client = signing.world.client()
    missing = conforms(client.post(f"{API}/approvals", json={}))
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    token = signing.token(scope="api:licences")
    wrong_scope = conforms(client.get(f"{API}/seals", headers={"Authorization": f"Bearer {token}"}))
    assert wrong_scope.status_code == 403
    assert 'scope="api:signing"' in wrong_scope.headers["WWW-Authenticate"]
    seals = conforms(client.get(f"{API}/seals", headers=signing.headers()))
    assert [s["id"] for s in seals.json["seals"]] == [signing.seal_id]


def test_another_departments_seal_and_approvals_are_out_of_reach(signing: SigningWorld) -> None:
    now = datetime.now(UTC)
    other = signing.service.seals.create("mzt", purpose="婚姻登记专用章", now=now, actor="test")
    refused = signing.submit({"seal": other.id, "data": APPROVAL})
    assert refused.status_code == 404
    assert refused.json["code"] == "seal_not_found"
    mine = signing.submit({"seal": signing.seal_id, "data": APPROVAL}).json
    _, secret = signing.world.provider.clients.create(
        "mzt",
        ClientMetadata(
            name="民政服务", grant_types=("client_credentials",), scopes=("api:signing",)
        ),
        now=now,
        actor="test",
        client_id="mzsvc",
    )
    assert secret
    token = (
        signing.world.client()
        .post(
            "/token",
            data={"grant_type": "client_credentials", "scope": "api:signing"},
            headers=basic("mzsvc", secret),
        )
        .json["access_token"]
    )
    theirs = {"Authorization": f"Bearer {token}"}
    for path in (mine["links"]["self"], mine["links"]["document"]):
        response = conforms(signing.world.client().get(path, headers=theirs))
        assert (response.status_code, response.json["code"]) == (404, "approval_not_found")


def test_bad_input_gives_clear_errors_and_records_nothing(signing: SigningWorld) -> None:
    seal = signing.seal_id
    junk = base64.b64encode(b"%PDF-1.7 junk").decode()
    locked = base64.b64encode(encrypted_pdf()).decode()
    off_page = {"page": 9, "x": 1, "y": 1}
    cases = [
        ({"seal": seal, "pdf": junk, "title": "x"}, 422, "pdf_unreadable"),
        ({"seal": seal, "pdf": locked, "title": "x"}, 422, "pdf_encrypted"),
        ({"seal": seal, "pdf": "not base64!", "title": "x"}, 400, "request_invalid"),
        ({"seal": seal, "data": {**APPROVAL, "title": ""}}, 422, "approval_data_invalid"),
        ({"seal": seal, "data": APPROVAL, "placement": off_page}, 422, "seal_placement_invalid"),
        ({"seal": "nope", "data": APPROVAL}, 404, "seal_not_found"),
        ({"seal": seal}, 400, "request_invalid"),
    ]  # fmt: skip
    for body, status, code in cases:
        response = signing.submit(body)
        assert (response.status_code, response.json["code"]) == (status, code), body
    assert _approval_count(signing) == 0
    big = b"%PDF-1.7\n" + b"0" * (21 * 1024 * 1024)
    too_large = signing.world.client().post(
        f"{API}/approvals",
        json={"seal": signing.seal_id, "title": "x", "pdf": base64.b64encode(big).decode()},
        headers=signing.headers(),
    )
    assert too_large.status_code == 413
    verify_too_large = signing.world.client().post(
        f"{API}/verify", data=big, headers={"Content-Type": "application/pdf"}
    )
    assert verify_too_large.status_code == 413
    assert _approval_count(signing) == 0


def test_a_suspended_or_revoked_seal_is_refused(signing: SigningWorld) -> None:
    now = datetime.now(UTC)
    signing.service.seals.suspend(signing.seal_id, reason="audit", now=now, actor="test")
    suspended = signing.submit({"seal": signing.seal_id, "data": APPROVAL})
    assert (suspended.status_code, suspended.json["code"]) == (409, "seal_suspended")
    signing.service.seals.resume(signing.seal_id, reason=None, now=now, actor="test")
    assert signing.submit({"seal": signing.seal_id, "data": APPROVAL}).status_code == 201
    signing.service.seals.revoke(
        signing.seal_id, reason=RevocationReason.KEY_COMPROMISE, note=None, now=now, actor="test"
    )
    revoked = signing.submit({"seal": signing.seal_id, "data": APPROVAL})
    assert (revoked.status_code, revoked.json["code"]) == (409, "seal_revoked")


def test_batches_are_done_by_the_worker(any_signing: SigningWorld) -> None:
    items = [{"data": {**APPROVAL, "title": f"关于第{i}号申请的批复"}} for i in range(3)] + [
        {
            "data": {**APPROVAL, "issuers": ["浙江省市场监督管理局"]},
            "placement": {"page": 5, "x": 1, "y": 1},
        }
    ]
    response = conforms(
        any_signing.world.client().post(
            f"{API}/batches",
            json={"seal": any_signing.seal_id, "items": items},
            headers=any_signing.headers(**{"Idempotency-Key": "batch-1"}),
        )
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.json["pending"] == 4
    replay = conforms(
        any_signing.world.client().post(
            f"{API}/batches",
            json={"seal": any_signing.seal_id, "items": items},
            headers=any_signing.headers(**{"Idempotency-Key": "batch-1"}),
        )
    )
    assert replay.status_code == 200
    assert replay.json["id"] == response.json["id"]
    _run_worker(any_signing)
    done = conforms(
        any_signing.world.client().get(response.headers["Location"], headers=any_signing.headers())
    ).json
    assert (done["status"], done["signed"], done["failed"]) == ("completed", 3, 1)
    assert done["approvals"][3]["error"]["code"] == "seal_placement_invalid"
    assert _seal_uses(any_signing) == 3


def test_a_bad_batch_item_is_named_and_nothing_is_recorded(signing: SigningWorld) -> None:
    items = [{"data": APPROVAL}, {"data": {**APPROVAL, "issued_on": "yesterday"}}]
    response = conforms(
        signing.world.client().post(
            f"{API}/batches",
            json={"seal": signing.seal_id, "items": items},
            headers=signing.headers(),
        )
    )
    assert response.status_code == 422
    assert response.json["detail"].startswith("items[1].data.issued_on")
    assert _approval_count(signing) == 0


def test_verify_api_and_page(signing: SigningWorld) -> None:
    signed_id = signing.submit({"seal": signing.seal_id, "data": APPROVAL}).json["id"]
    _, pdf = signing.service.approvals.document(signed_id, department_id="scjgj")
    client = signing.world.client()
    report = conforms(
        client.post(f"{API}/verify", data=pdf, headers={"Content-Type": "application/pdf"})
    )
    assert report.json["verdict"] == "valid"
    assert report.json["signatures"][0]["appearance"]["page"] >= 1
    page = client.post("/verify?lang=en", data={"file": (io.BytesIO(pdf), "a.pdf")}).get_data(
        as_text=True
    )
    assert 'data-verdict="valid"' in page
    assert "浙江省市场监督管理局行政审批专用章" in page
    assert "data:image/png;base64," in page  # the seal as the document shows it
    tampered = pdf.replace(b"/Title", b"/Tytle", 1)
    bad = client.post("/verify", data={"file": (io.BytesIO(tampered), "a.pdf")})
    assert 'data-verdict="invalid"' in bad.get_data(as_text=True)
    junk = conforms(
        client.post(
            f"{API}/verify", data=b"%PDF-1.4 no", headers={"Content-Type": "application/pdf"}
        )
    )
    assert junk.status_code == 422
    changed = conforms(
        client.post(
            f"{API}/verify", data=_append_content(pdf), headers={"Content-Type": "application/pdf"}
        )
    ).json
    assert changed["verdict"] == "invalid"
    assert changed["signatures"][0]["updated_after_signing"] is True
    assert changed["signatures"][0]["problems"] == ["modified_after_signing"]
    page = client.post(
        "/verify?lang=en", data={"file": (io.BytesIO(_append_content(pdf)), "a.pdf")}
    ).get_data(as_text=True)
    assert "including changes to the content" in page


def _append_content(pdf: bytes) -> bytes:
    """An incremental update that paints a rectangle on page 1 after the seal."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    stream = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 100 100 200 50 re f"))
    writer.add_stream_to_page(0, stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _run_worker(signing: SigningWorld) -> None:
    from store.outbox import Outbox

    outbox = Outbox(signing.service.deps.db, signing.service.outbox_handlers())
    outbox.run_due(datetime.now(UTC))


def _seal_uses(signing: SigningWorld) -> int:
    from sqlalchemy import func
    from sqlalchemy import select

    from audit.models import AuditEventRecord

    with signing.service.deps.db.transaction() as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(AuditEventRecord)
                .where(AuditEventRecord.action == "seal.use")
            ).scalar_one()
        )


def _approval_count(signing: SigningWorld) -> int:
    from sqlalchemy import func
    from sqlalchemy import select

    from signing.models import ApprovalRecord

    with signing.service.deps.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(ApprovalRecord)).scalar_one())
