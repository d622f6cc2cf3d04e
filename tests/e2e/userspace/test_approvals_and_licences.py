"""The user space's "my approvals" and "my licences": what the signing and licence services
hold for a person, and for the entities they may act for, and nobody else's."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest

from licences.licence_types import example_types
from licences.service import LicenceService
from signing.approvals import ApprovalRequest
from signing.service import SigningService
from signing.verify import Verdict
from tests.e2e.idp.conftest import COMPANY
from tests.e2e.idp.conftest import COMPANY_NAME
from tests.e2e.idp.conftest import IdWorld
from tests.e2e.signing.signing_world import APPROVAL
from tests.integration.test_licence_service import HOLDER
from tests.integration.test_licence_service import business_data

NOW = datetime.now(UTC)


def services(idw: IdWorld) -> tuple[SigningService, LicenceService]:
    app = idw.world.app
    return app.extensions["signing"].service, app.extensions["licences"].service


def issue(licences: LicenceService, code: str, name: str) -> str:
    return licences.issue(
        type_id="business_licence",
        department_id="scjgj",
        holder_kind="entity",
        holder_code=code,
        holder_name=name,
        data=business_data(),
        now=NOW,
        actor="test",
    ).id


@pytest.fixture
def docs(idw: IdWorld) -> dict[str, Any]:
    """李四 heads COMPANY, which holds a licence; another company holds one too; 李四 has
    a signed approval."""
    signing, licences = services(idw)
    seal = signing.seals.create("scjgj", purpose="行政审批专用章", now=NOW, actor="test")
    for licence_type in example_types():
        licences.put_type(licence_type.definition, now=NOW, actor="test")
    licences.register_issuer(
        "scjgj", name="市场监督管理局", credit_code="11330106MB1C586785", now=NOW, actor="test"
    )
    idw.provider.entities.register(
        COMPANY, COMPANY_NAME, idw.persons["lisi"], now=NOW, actor="test"
    )
    approval = signing.approvals.submit(
        ApprovalRequest(seal.id, idw.persons["lisi"], data=APPROVAL),
        department_id="scjgj",
        client_id=None,
        idempotency_key=None,
        now=NOW,
        actor="test",
    )
    return {
        "mine": issue(licences, COMPANY, COMPANY_NAME),
        "other": issue(licences, *HOLDER),
        "approval": approval.approval.id,
    }


def test_my_licences_lists_the_entitys_licence_sealed_by_the_department(
    idw: IdWorld, docs: dict[str, Any]
) -> None:
    browser = idw.browser()
    browser.login("lisi")
    page = browser.get("/me/licences").get_data(as_text=True)
    assert docs["mine"] in page
    assert COMPANY_NAME in page
    assert docs["other"] not in page
    qr = browser.get(f"/me/licences/{docs['mine']}/qr.svg")
    assert qr.status_code == 200
    assert qr.mimetype == "image/svg+xml"
    pdf = browser.get(f"/me/licences/{docs['mine']}.pdf")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")
    # The licence PDF carries the department's seal from the signing service: valid.
    report = services(idw)[0].verify(pdf.data, now=datetime.now(UTC))
    assert report.verdict is Verdict.VALID
    assert report.signatures[0].department == "市场监督管理局"


def test_another_holders_licence_is_not_found(idw: IdWorld, docs: dict[str, Any]) -> None:
    browser = idw.browser()
    browser.login("lisi")
    assert browser.get(f"/me/licences/{docs['other']}.pdf").status_code == 404
    assert browser.get(f"/me/licences/{docs['other']}/qr.svg").status_code == 404
    outsider = idw.browser()
    outsider.login("zhangsan")
    assert docs["mine"] not in outsider.get("/me/licences").get_data(as_text=True)
    assert outsider.get(f"/me/licences/{docs['mine']}.pdf").status_code == 404
    anonymous = idw.world.client()
    assert anonymous.get(f"/me/licences/{docs['mine']}.pdf").status_code == 302


def test_an_agent_sees_the_licences_only_with_the_licences_scope(
    idw: IdWorld, docs: dict[str, Any]
) -> None:
    entities = idw.provider.entities
    zhang = idw.persons["zhangsan"]
    until = NOW + timedelta(days=30)
    entities.appoint_agent(COMPANY, zhang, ("approvals",), until, now=NOW, actor="test")
    browser = idw.browser()
    browser.login("zhangsan")
    assert docs["mine"] not in browser.get("/me/licences").get_data(as_text=True)
    entities.appoint_agent(COMPANY, zhang, ("licences",), until, now=NOW, actor="test")
    assert docs["mine"] in browser.get("/me/licences").get_data(as_text=True)
    assert browser.get(f"/me/licences/{docs['mine']}.pdf").status_code == 200


def test_my_approvals_lists_and_downloads_only_the_applicants(
    idw: IdWorld, docs: dict[str, Any]
) -> None:
    browser = idw.browser()
    browser.login("lisi")
    page = browser.get("/me/approvals").get_data(as_text=True)
    link = f"/approvals/{docs['approval']}/download"
    assert link in page
    assert browser.get(link).data.startswith(b"%PDF")
    overview = browser.get("/me/").get_data(as_text=True)
    assert "<strong>1</strong> 份批复文件" in overview
    assert "<strong>1</strong> 张电子证照" in overview
    outsider = idw.browser()
    outsider.login("zhangsan")
    assert link not in outsider.get("/me/approvals").get_data(as_text=True)
    assert outsider.get(link).status_code in (403, 404)


def test_a_department_reads_shared_licences_after_consent(
    idw: IdWorld, docs: dict[str, Any]
) -> None:
    """licence:<type> is named on the consent page, and the token then reads only that
    type of the person's (and their entities') licences."""
    from idp.clients import ClientMetadata
    from tests.e2e.oidc.conftest import RP
    from tests.e2e.oidc.conftest import form_field

    provider = idw.provider
    meta = ClientMetadata(
        name="银行开户系统",
        redirect_uris=("https://rp1.example.gov.cn/cb",),
        scopes=("openid", "licence:business_licence", "licence:food_business_permit"),
    )
    _, secret = provider.clients.create("mzt", meta, now=NOW, actor="test", client_id="bank")
    idw.world.secrets["bank"] = secret
    rp = RP(idw.world, "bank")
    asked = rp.login(rp.authorize(scope="openid licence:business_licence"), "lisi")
    assert asked.headers["Location"].startswith("/login/entity")  # 李四 heads a company
    choose = rp.browser.get(asked.headers["Location"]).get_data(as_text=True)
    asked = rp.browser.post(
        "/login/entity",
        data={
            "csrf_token": form_field(choose, "csrf_token"),
            "interaction": form_field(choose, "interaction"),
            "choice": "self",
        },
    )
    consent_page = rp.browser.get(asked.headers["Location"]).get_data(as_text=True)
    assert "读取您（及您代办的企业、组织）的电子证照：营业执照" in consent_page
    tokens = rp.token(rp.code(rp.consent(asked))).json
    assert tokens is not None
    shared = idw.world.client().get(
        "/api/licences/shared", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert shared.status_code == 200, shared.get_data(as_text=True)
    ids = [item["id"] for item in shared.json["licences"]]  # type: ignore[index]
    assert ids == [docs["mine"]]
