"""The licence service over HTTP: department API (checked against its OpenAPI document),
verify page, published lists, consent sharing, and what reaches the access log."""

from __future__ import annotations

import io
import json
import logging
import subprocess
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from PIL import Image
from werkzeug.test import TestResponse

from licences.licence_types import example_types
from licences.qr import make_qr
from licences.qr import render_png
from licences.service import LicenceService
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import basic
from tests.integration.test_licence_service import FOOD_DATA
from tests.integration.test_licence_service import HOLDER
from tests.integration.test_licence_service import business_data

NOW = datetime.now(UTC)


def licence_service(world: World) -> LicenceService:
    service: LicenceService = world.app.extensions["licences"].service
    return service


@pytest.fixture
def lworld(world: World) -> World:
    service = licence_service(world)
    for licence_type in example_types():
        service.put_type(licence_type.definition, now=NOW, actor="test")
    service.register_issuer(
        "scjgj",
        name="杭州市西湖区市场监督管理局",
        credit_code="11330106MB1C586785",
        now=NOW,
        actor="test",
    )
    # Licences are sealed by the signing service with the department's one active seal.
    world.app.extensions["signing"].service.seals.create(
        "scjgj", purpose="证照专用章", now=NOW, actor="test"
    )
    return world


def token(world: World, client_id: str = "svc", scope: str = "api:licences") -> str:
    response = world.client().post(
        "/token",
        data={"grant_type": "client_credentials", "scope": scope},
        headers=basic(client_id, world.secrets[client_id]),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.json["access_token"])  # type: ignore[index]


class OpenAPI:
    """Validates responses against the schema the served document gives their operation."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def check(self, response: TestResponse, path: str, method: str) -> None:
        operation = self.document["paths"][path][method]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method} {path}: {status} undocumented"
        content = operation["responses"][status].get("content", {})
        media = response.mimetype
        assert media in content, f"{method} {path} {status}: {media} undocumented"
        schema = content[media].get("schema")
        if schema is None:
            return
        # The operation's schema with the document's components beside it, so every
        # "#/components/schemas/..." reference resolves as it does in the document.
        rooted = {**schema, "components": self.document["components"]}
        Draft202012Validator(rooted).validate(json.loads(response.get_data(as_text=True)))


@pytest.fixture
def api(lworld: World) -> OpenAPI:
    response = lworld.client().get("/api/licences/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"] == "3.1.0"  # type: ignore[index]
    return OpenAPI(document)  # type: ignore[arg-type]


def issue_body(**changes: Any) -> dict[str, Any]:
    body = {
        "type": "business_licence",
        "holder": {"kind": "entity", "code": HOLDER[0], "name": HOLDER[1]},
        "data": business_data(),
    }
    body.update(changes)
    return body


def test_the_openapi_document_is_valid_openapi_3_1(lworld: World) -> None:
    document = lworld.client().get("/api/licences/openapi.json").json
    for schema in document["components"]["schemas"].values():  # type: ignore[index]
        Draft202012Validator.check_schema(schema)
    for path, operations in document["paths"].items():  # type: ignore[index]
        assert path.startswith("/api/licences")
        for operation in operations.values():
            assert operation["responses"]
            assert operation["security"]


def test_issue_read_change_over_the_api(lworld: World, api: OpenAPI) -> None:
    client = lworld.client()
    headers = {"Authorization": f"Bearer {token(lworld)}"}
    types = client.get("/api/licences/types", headers=headers)
    api.check(types, "/api/licences/types", "get")
    one_type = client.get("/api/licences/types/business_licence", headers=headers)
    api.check(one_type, "/api/licences/types/{type_id}", "get")

    created = client.post(
        "/api/licences", json=issue_body(), headers={**headers, "Idempotency-Key": "order-1"}
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    api.check(created, "/api/licences", "post")
    licence = created.json
    assert licence is not None
    replay = client.post(
        "/api/licences", json=issue_body(), headers={**headers, "Idempotency-Key": "order-1"}
    )
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json["id"] == licence["id"]  # type: ignore[index]
    reused = client.post(
        "/api/licences",
        json=issue_body(type="food_business_permit", data=FOOD_DATA),
        headers={**headers, "Idempotency-Key": "order-1"},
    )
    assert reused.status_code == 422
    api.check(reused, "/api/licences", "post")

    path = f"/api/licences/{licence['id']}"
    got = client.get(path, headers=headers)
    api.check(got, "/api/licences/{licence_id}", "get")
    assert got.json["record"]["licence_id"] == licence["id"]  # type: ignore[index]
    suspended = client.post(path + "/suspend", json={"reason": "整改"}, headers=headers)
    api.check(suspended, "/api/licences/{licence_id}/suspend", "post")
    assert suspended.json["state"] == "suspended"  # type: ignore[index]
    conflict = client.post(path + "/suspend", json={}, headers=headers)
    assert conflict.status_code == 409
    api.check(conflict, "/api/licences/{licence_id}/suspend", "post")
    reinstated = client.post(path + "/reinstate", headers=headers)
    api.check(reinstated, "/api/licences/{licence_id}/reinstate", "post")
    amended = client.post(
        path + "/amend", json={"data": {**business_data(), "address": "新住所"}}, headers=headers
    )
    api.check(amended, "/api/licences/{licence_id}/amend", "post")
    assert amended.json["version"] == 2  # type: ignore[index]
    history = client.get(path + "/history", headers=headers)
    api.check(history, "/api/licences/{licence_id}/history", "get")
    assert [h["action"] for h in history.json["history"]] == [  # type: ignore[index]
        "issue",
        "suspend",
        "reinstate",
        "amend",
    ]
    pdf = client.get(path + "/pdf", headers=headers)
    api.check(pdf, "/api/licences/{licence_id}/pdf", "get")
    assert pdf.data.startswith(b"%PDF-")
    png = client.get(path + "/qr.png", headers=headers)
    api.check(png, "/api/licences/{licence_id}/qr.{kind}", "get")
    search = client.get("/api/licences", query_string={"holder_code": HOLDER[0]}, headers=headers)
    api.check(search, "/api/licences", "get")
    assert [v["id"] for v in search.json["licences"]] == [licence["id"]]  # type: ignore[index]
    checked = client.post(
        "/api/licences/verify",
        json={"credential": amended.json["credential"]},
        headers=headers,  # type: ignore[index]
    )
    api.check(checked, "/api/licences/verify", "post")
    assert checked.json["status"] == "valid"  # type: ignore[index]
    revoked = client.post(path + "/revoke", json={"reason": "吊销"}, headers=headers)
    api.check(revoked, "/api/licences/{licence_id}/revoke", "post")


def test_the_api_refuses_missing_tokens_scopes_and_other_departments(
    lworld: World, api: OpenAPI
) -> None:
    client = lworld.client()
    anonymous = client.post("/api/licences", json=issue_body())
    assert anonymous.status_code == 401
    api.check(anonymous, "/api/licences", "post")
    signing_only = {"Authorization": f"Bearer {token(lworld, scope='api:signing')}"}
    refused = client.post("/api/licences", json=issue_body(), headers=signing_only)
    assert refused.status_code == 403
    api.check(refused, "/api/licences", "post")
    bad = client.post(
        "/api/licences",
        json=issue_body(data={"address": 1}),
        headers={"Authorization": f"Bearer {token(lworld)}"},
    )
    assert bad.status_code == 422
    api.check(bad, "/api/licences", "post")
    assert "problem+json" in bad.content_type
    missing = client.get(
        "/api/licences/NOPE-1", headers={"Authorization": f"Bearer {token(lworld)}"}
    )
    assert missing.status_code == 404
    api.check(missing, "/api/licences/{licence_id}", "get")


def issued(world: World) -> dict[str, Any]:
    view = licence_service(world).issue(
        type_id="business_licence",
        department_id="scjgj",
        holder_kind="entity",
        holder_code=HOLDER[0],
        holder_name=HOLDER[1],
        data=business_data(),
        now=NOW,
        actor="test",
    )
    return {"id": view.id, "credential": view.credential}


def path_of(credential: str) -> str:
    return "/v/" + credential.rsplit("/v/", 1)[1]


def test_the_verify_page_shows_the_current_status(lworld: World) -> None:
    licence = issued(lworld)
    client = lworld.client()
    page = client.get(path_of(licence["credential"]))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "证照有效" in html
    assert HOLDER[1] in html
    assert "杭州市西湖区市场监督管理局" in html
    assert "data:image/svg+xml;base64," in html  # The QR preview.
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    english = lworld.client().get(path_of(licence["credential"]) + "?lang=en")
    english = english.get_data(as_text=True)
    assert "Valid licence" in english
    licence_service(lworld).suspend(licence["id"], now=NOW, actor="test", reason="整改")
    assert "证照已暂停" in client.get(path_of(licence["credential"])).get_data(as_text=True)
    licence_service(lworld).revoke(licence["id"], now=NOW, actor="test")
    assert "证照已吊销" in client.get(path_of(licence["credential"])).get_data(as_text=True)


@pytest.mark.parametrize("damage", ["flip", "truncate", "oversize", "version"])
def test_a_damaged_code_is_forged_and_shows_no_field(lworld: World, damage: str) -> None:
    credential = issued(lworld)["credential"]
    path = path_of(credential)
    if damage == "flip":
        path = path[:-10] + ("1" if path[-10] != "1" else "2") + path[-9:]
    elif damage == "truncate":
        path = path[:-30]
    elif damage == "oversize":
        path = path + "7" * 5000
    else:
        path = "/v/02" + path[5:]
    html = lworld.client().get(path).get_data(as_text=True)
    assert "不是真实的证照" in html
    assert HOLDER[1] not in html
    assert HOLDER[0] not in html


def test_an_uploaded_photo_of_the_code_is_read_and_checked(lworld: World) -> None:
    credential = issued(lworld)["credential"]
    png = render_png(make_qr(credential), module_px=5)
    # A photo-like image: the code small on a larger grey page, as a JPEG.
    photo = Image.new("L", (900, 900), 200)
    photo.paste(Image.open(io.BytesIO(png)), (200, 150))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=85)
    response = lworld.client().post(
        "/v", data={"image": (io.BytesIO(buffer.getvalue()), "photo.jpg")}
    )
    assert response.status_code == 200
    assert "证照有效" in response.get_data(as_text=True)
    blank = io.BytesIO()
    Image.new("L", (200, 200), 255).save(blank, "PNG")
    nothing = lworld.client().post("/v", data={"image": (io.BytesIO(blank.getvalue()), "x.png")})
    assert nothing.status_code == 422
    assert "未能识别二维码" in nothing.get_data(as_text=True)
    assert lworld.client().get("/v").status_code == 200


def test_an_uploaded_licence_pdf_is_read(lworld: World) -> None:
    licence = issued(lworld)
    pdf = licence_service(lworld).pdf(licence["id"])
    response = lworld.client().post("/v", data={"image": (io.BytesIO(pdf), "licence.pdf")})
    assert "证照有效" in response.get_data(as_text=True)


def test_the_access_log_never_holds_the_digits(
    lworld: World, caplog: pytest.LogCaptureFixture
) -> None:
    credential = issued(lworld)["credential"]
    digits = credential.rsplit("/v/", 1)[1]
    logger = logging.getLogger("tongban")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="tongban.access"):
            lworld.client().get(path_of(credential))
    finally:
        logger.removeHandler(caplog.handler)
    lines = [r.getMessage() + json.dumps(getattr(r, "path", "")) for r in caplog.records]
    assert any("/v/01…" in line for line in lines)
    assert not any(digits[:20] in line for line in lines)


def test_published_lists_carry_caching_headers(lworld: World) -> None:
    issued(lworld)
    client = lworld.client()
    status = client.get("/s/1")
    assert status.status_code == 200
    assert status.mimetype == "application/statuslist+jwt"
    assert "max-age" in status.headers["Cache-Control"]
    again = client.get("/s/1", headers={"If-None-Match": status.headers["ETag"]})
    assert again.status_code == 304
    trust = client.get("/licences/trust-list.jwt")
    assert trust.status_code == 200
    assert trust.headers["ETag"]
    roots = client.get("/licences/roots.json")
    assert roots.json["keys"]  # type: ignore[index]
    assert client.get("/s/99").status_code == 404


def test_a_department_reads_licences_the_holder_consented_to(lworld: World, rp: RP) -> None:
    service = licence_service(lworld)
    person_id = lworld.provider.accounts.by_username("zhangsan").id
    definition = dict(service.get_type("food_business_permit").definition)
    service.put_type({**definition, "holder": "any"}, now=NOW, actor="test")
    service.issue(
        type_id="food_business_permit",
        department_id="scjgj",
        holder_kind="person",
        holder_code=person_id,
        holder_name="张三",
        data=FOOD_DATA,
        now=NOW,
        actor="test",
    )
    from idp.clients import ClientMetadata

    _, secret = lworld.provider.clients.create(
        "scjgj",
        ClientMetadata(
            name="食品经营系统",
            redirect_uris=("https://rp1.example.gov.cn/cb",),
            scopes=("openid", "licence:food_business_permit"),
        ),
        now=NOW,
        actor="test",
        client_id="food",
    )
    lworld.secrets["food"] = secret
    food = RP(lworld, "food")
    tokens = food.sign_in(scope="openid licence:food_business_permit")
    client = lworld.client()
    shared = client.get(
        "/api/licences/shared", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert shared.status_code == 200, shared.get_data(as_text=True)
    licences = shared.json["licences"]  # type: ignore[index]
    assert [item["type"] for item in licences] == ["food_business_permit"]
    assert licences[0]["record"]["data"]["permit_number"] == FOOD_DATA["permit_number"]
    # Client credentials tokens do not stand for a person.
    refused = client.get(
        "/api/licences/shared", headers={"Authorization": f"Bearer {token(lworld)}"}
    )
    assert refused.status_code == 401


@pytest.mark.slow
def test_the_sealed_pdf_passes_pdfsig_and_its_qr_decodes(lworld: World, tmp_path: Any) -> None:
    licence = issued(lworld)
    path = tmp_path / "licence.pdf"
    path.write_bytes(licence_service(lworld).pdf(licence["id"]))
    completed = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    assert "Signature #1" in completed.stdout
    from licences.scan import read_qr_from_file

    assert read_qr_from_file(path) == licence["credential"]
