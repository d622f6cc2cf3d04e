"""Entities registered by their legal representative, agents with scopes and expiry,
the choice of whom a person acts for, and the claims that reach relying parties."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import update

from audit.trail import recent_events
from idp.clients import ClientMetadata
from idp.models import AgentRecord
from tests.e2e.idp.conftest import CLOSED
from tests.e2e.idp.conftest import COMPANY
from tests.e2e.idp.conftest import COMPANY_NAME
from tests.e2e.idp.conftest import LI_ID
from tests.e2e.idp.conftest import LI_PHONE
from tests.e2e.idp.conftest import Browser
from tests.e2e.idp.conftest import IdWorld
from tests.e2e.oidc.conftest import NOW
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import query_of


def add_client(
    idw: IdWorld, client_id: str, *, allow_id_number: bool, scopes: tuple[str, ...]
) -> None:
    _, secret = idw.provider.clients.create(
        "scjgj",
        ClientMetadata(
            name=f"client {client_id}",
            redirect_uris=("https://rp1.example.gov.cn/cb",),
            scopes=scopes,
            allow_id_number=allow_id_number,
        ),
        now=NOW,
        actor="test",
        client_id=client_id,
    )
    assert secret
    idw.world.secrets[client_id] = secret


def register_company(idw: IdWorld) -> Browser:
    browser = idw.browser()
    assert browser.login("lisi").status_code == 303
    browser.get("/account/entities")
    done = browser.post("/account/entities", {"uscc": COMPANY.lower(), "name": COMPANY_NAME})
    assert done.status_code == 303, browser.last
    return browser


def test_a_legal_representative_registers_the_entity(idw: IdWorld) -> None:
    register_company(idw)
    entity = idw.provider.entities.get(COMPANY)
    assert entity.legal_representative_id == idw.persons["lisi"]
    assert entity.type_name == "企业"


@pytest.mark.parametrize(
    ("username", "uscc", "name", "message"),
    [
        ("zhangsan", COMPANY, COMPANY_NAME, "real name must be verified"),
        ("lisi", COMPANY, "别的公司", "登记机关的记录与您填写的单位信息或法定代表人不一致"),
        ("lisi", CLOSED, "杭州某某有限公司", "登记机关的记录"),
        ("lisi", COMPANY[:-1] + ("0" if COMPANY[-1] != "0" else "1"), COMPANY_NAME, "校验位不正确"),
        ("lisi", "91350100M0001009I", COMPANY_NAME, "格式不正确"),
    ],
)
def test_entity_registrations_that_must_fail(
    idw: IdWorld, username: str, uscc: str, name: str, message: str
) -> None:
    browser = idw.browser()
    browser.login(username)
    browser.get("/account/entities")
    refused = browser.post("/account/entities", {"uscc": uscc, "name": name})
    assert refused.status_code in (400, 403), browser.last
    assert message in browser.last
    assert idw.provider.entities.find(COMPANY) is None


def appoint(browser: Browser, username: str = "zhangsan", expires: str | None = None) -> Any:
    browser.get(f"/account/entities/{COMPANY}")
    return browser.post(
        f"/account/entities/{COMPANY}",
        {
            "action": "appoint",
            "username": username,
            "scopes": "licences approvals",
            "expires": expires or (NOW + dt.timedelta(days=30)).date().isoformat(),
        },
    )


def sign_in_as_agent(idw: IdWorld, rp: RP, **params: str) -> Any:
    """Authorize, log in as 张三, choose the company, consent; return the token response."""
    response = rp.authorize(scope="openid profile entity", **params)
    browser = Browser(rp.browser)
    browser.follow(response)
    logged = browser.post(
        "/login",
        {
            "username": "zhangsan",
            "password": "correct horse battery staple",
            "interaction": response.headers["Location"].split("interaction=")[1],
        },
    )
    return browser, logged


def test_agents_act_for_the_entity_only_while_appointed(idw: IdWorld) -> None:
    representative = register_company(idw)
    appointed = appoint(representative)
    assert appointed.status_code == 303, representative.last
    add_client(idw, "ent1", allow_id_number=False, scopes=("openid", "profile", "entity"))
    rp = idw.rp("ent1")
    browser, logged = sign_in_as_agent(idw, rp)
    assert logged.headers["Location"].startswith("/login/entity")
    choice_page = browser.follow(logged)
    assert COMPANY_NAME in browser.last
    assert "经办人" in browser.last
    assert choice_page.status_code == 200
    entity_id = idw.provider.entities.get(COMPANY).id
    chosen = browser.post(
        "/login/entity",
        {
            "choice": entity_id,
            "interaction": logged.headers["Location"].split("interaction=")[1],
        },
    )
    consented = rp.consent(chosen)
    tokens = rp.token(rp.code(consented)).json
    claims = idw.world.verify_id_token(tokens["id_token"], "ent1")
    assert claims["entity"] == {
        "name": COMPANY_NAME,
        "credit_code": COMPANY,
        "type": "企业",
        "role": "agent",
        "scopes": ["licences", "approvals"],
        "expires_at": claims["entity"]["expires_at"],
    }
    info = (
        idw.world.client()
        .get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        .json
    )
    assert info["entity"]["credit_code"] == COMPANY
    # Revoked: the next userinfo no longer names the entity, and logins offer no choice.
    representative.get(f"/account/entities/{COMPANY}")
    revoked = representative.post(
        f"/account/entities/{COMPANY}", {"action": "revoke", "agent": idw.persons["zhangsan"]}
    )
    assert revoked.status_code == 303
    info = (
        idw.world.client()
        .get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        .json
    )
    assert "entity" not in info
    actions = [e.action for e in _events(idw, f"entity:{COMPANY}")]
    assert {"entity.register", "agent.appoint", "agent.revoke"} <= set(actions)


def _events(idw: IdWorld, target: str) -> list[Any]:
    with idw.provider.db.transaction() as session:
        return recent_events(session, 50, target)


def test_an_expired_appointment_counts_for_nothing(idw: IdWorld) -> None:
    representative = register_company(idw)
    assert appoint(representative).status_code == 303
    with idw.provider.db.connection() as conn:
        conn.execute(update(AgentRecord).values(expires_at=NOW - dt.timedelta(minutes=1)))
    assert (
        idw.provider.entities.roles_of(idw.persons["zhangsan"], now=dt.datetime.now(dt.UTC)) == []
    )
    browser = idw.browser()
    assert browser.login("zhangsan").headers["Location"] == "/me/"  # no choice offered
    representative.get(f"/account/entities/{COMPANY}")
    assert "（已过期）" in representative.last


def test_appointments_that_must_be_refused(idw: IdWorld) -> None:
    representative = register_company(idw)
    past = appoint(representative, expires="2020-01-01")
    assert past.status_code == 400
    assert "future" in representative.last
    assert appoint(representative, username="lisi").status_code == 400
    other = idw.browser()
    other.login("zhangsan")
    assert other.get(f"/account/entities/{COMPANY}").status_code == 404


def test_the_client_can_name_the_entity_with_a_hint(idw: IdWorld) -> None:
    representative = register_company(idw)
    add_client(idw, "ent1", allow_id_number=False, scopes=("openid", "entity"))
    rp = idw.rp("ent1", browser=representative)
    tokens = rp.sign_in("lisi", scope="openid entity", entity_hint=COMPANY)
    claims = idw.world.verify_id_token(tokens["id_token"], "ent1")
    assert claims["entity"]["role"] == "legal_representative"
    assert claims["entity"]["credit_code"] == COMPANY


def test_realname_phone_and_idnumber_claims(idw: IdWorld) -> None:
    add_client(
        idw,
        "gov1",
        allow_id_number=True,
        scopes=("openid", "profile", "phone", "realname", "idnumber"),
    )
    add_client(idw, "gov2", allow_id_number=False, scopes=("openid", "realname", "phone"))
    rp = idw.rp("gov1")
    tokens = rp.sign_in("lisi", scope="openid profile phone realname idnumber")
    info = (
        idw.world.client()
        .get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        .json
    )
    assert info["legal_name"] == "李四"
    assert info["realname_verified"] is True
    assert info["id_type"] == "resident_id"
    assert info["loa"] == 2
    assert info["id_number_masked"] == LI_ID[:4] + "*" * 10 + LI_ID[-4:]
    assert info["id_number"] == LI_ID
    assert info["phone_number"] == "+86" + LI_PHONE
    assert info["phone_number_verified"] is True
    other = idw.rp("gov2")
    tokens = other.sign_in("lisi", scope="openid realname phone")
    info = (
        idw.world.client()
        .get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        .json
    )
    assert "id_number" not in info
    assert info["id_number_masked"].startswith(LI_ID[:4])
    refused = query_of(other.authorize(scope="openid idnumber"))
    assert refused["error"] == "invalid_request"


def test_pages_show_numbers_masked_only(idw: IdWorld) -> None:
    browser = idw.browser()
    browser.login("lisi")
    browser.get("/account")
    assert LI_ID not in browser.last
    assert LI_PHONE not in browser.last
    assert LI_ID[:4] + "*" * 10 + LI_ID[-4:] in browser.last
    assert "138****5678" in browser.last
