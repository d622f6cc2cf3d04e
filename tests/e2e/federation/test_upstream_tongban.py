"""Logging in through a second Tongban acting as the upstream provider, over real HTTP:
accounts created at the capped level, links reused, linking by verified ID number,
lifting, conflicts, relying parties' logins, and federation switched off."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func
from sqlalchemy import select

from audit.models import AuditEventRecord
from idp.models import FederationLink
from idp.models import PersonRecord
from idp.realname import parse_id_document
from tests.e2e.federation.conftest import WANG_PHONE
from tests.e2e.federation.conftest import Upstream
from tests.e2e.federation.conftest import UpstreamBrowser
from tests.e2e.federation.conftest import begin
from tests.e2e.federation.conftest import query
from tests.e2e.idp.conftest import LI_ID
from tests.e2e.idp.conftest import WANG_ID
from tests.e2e.idp.conftest import ZHAO_ID
from tests.e2e.idp.conftest import Browser
from tests.e2e.idp.conftest import IdWorld
from tests.e2e.oidc.conftest import NOW
from tests.e2e.oidc.conftest import PASSWORD


def session_of(idw: IdWorld, browser: Browser) -> Any:
    cookie = browser.client.get_cookie("tb_sid")
    assert cookie is not None, "no session was started"
    return idw.provider.sessions.get(cookie.value, now=int(time.time()))


def log_in_through(idw: IdWorld, username: str, browser: Browser | None = None) -> Browser:
    browser = browser or idw.browser()
    journey = begin(browser)
    done = journey.back(UpstreamBrowser().log_in(journey.authorize_url, username))
    assert done.status_code == 303, browser.last[:800]
    return browser


def links(idw: IdWorld) -> list[FederationLink]:
    with idw.provider.db.transaction() as session:
        found = list(session.execute(select(FederationLink)).scalars())
        session.expunge_all()
        return found


def audit_actions(idw: IdWorld) -> list[tuple[str, str]]:
    with idw.provider.db.transaction() as session:
        rows = session.execute(
            select(AuditEventRecord.action, AuditEventRecord.outcome)
            .where(AuditEventRecord.action.like("federation.%"))
            .order_by(AuditEventRecord.seq)
        ).all()
    return [(a, o) for a, o in rows]


def person_count(idw: IdWorld) -> int:
    with idw.provider.db.connection() as conn:
        return int(conn.execute(select(func.count()).select_from(PersonRecord)).scalar_one())


def test_the_authorization_request_carries_pkce_state_nonce_and_the_scopes(
    make_idworld: Any, upstream: Upstream
) -> None:
    idw: IdWorld = make_idworld(**upstream.settings())
    params = query(begin(idw.browser()).authorize_url)
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 40
    assert len(params["nonce"]) >= 40
    assert params["client_id"] == "fj-tongban"
    assert params["redirect_uri"] == "http://127.0.0.1:8000/login/upstream/callback"
    assert params["scope"].split() == ["openid", "profile", "realname", "idnumber", "phone"]
    assert params["response_type"] == "code"


def test_a_first_login_creates_a_verified_account_and_the_second_reuses_it(
    make_idworld: Any, upstream: Upstream
) -> None:
    idw: IdWorld = make_idworld(**upstream.settings())
    before = person_count(idw)
    browser = log_in_through(idw, "wangwu")
    session = session_of(idw, browser)
    person = idw.provider.accounts.get(session.person_id)
    assert person_count(idw) == before + 1
    assert (person.name, person.loa, person.realname_verified) == ("王五", 2, True)
    assert person.username.startswith("fed-")
    assert idw.provider.accounts.id_number_of(person.id) == WANG_ID
    assert idw.provider.accounts.phone_of(person.id) == WANG_PHONE
    assert session.acr == "urn:tongban:loa:2"
    assert session.amr == ("fed", "pwd")
    [link] = links(idw)
    assert (link.issuer, link.person_id, link.linked_by) == (upstream.issuer, person.id, "created")

    again = log_in_through(idw, "wangwu")
    assert session_of(idw, again).person_id == person.id
    assert person_count(idw) == before + 1
    assert audit_actions(idw) == [
        ("federation.created", "success"),
        ("federation.login", "success"),
    ]


def test_the_level_is_capped_and_an_unverified_number_is_not_kept(
    make_idworld: Any, upstream: Upstream
) -> None:
    idw: IdWorld = make_idworld(**upstream.settings(FEDERATION__MAX_LEVEL="1"))
    session = session_of(idw, log_in_through(idw, "wangwu"))
    person = idw.provider.accounts.get(session.person_id)
    assert session.acr == "urn:tongban:loa:1"
    assert (person.loa, person.has_id_number) == (1, False)


def test_an_upstream_level_1_person_gets_a_level_1_account(
    make_idworld: Any, upstream: Upstream
) -> None:
    idw: IdWorld = make_idworld(**upstream.settings())
    session = session_of(idw, log_in_through(idw, "zhaoliu"))
    person = idw.provider.accounts.get(session.person_id)
    assert (person.name, person.loa, person.has_id_number) == ("赵六", 1, False)
    assert session.acr == "urn:tongban:loa:1"


def test_a_verified_local_person_is_linked_by_id_number(
    make_idworld: Any, upstream: Upstream
) -> None:
    idw: IdWorld = make_idworld(**upstream.settings())
    upstream.verify("zhaoliu", LI_ID)  # The same person as the downstream's verified 李四.
    before = person_count(idw)
    session = session_of(idw, log_in_through(idw, "zhaoliu"))
    assert session.person_id == idw.persons["lisi"]
    assert person_count(idw) == before
    [link] = links(idw)
    assert link.linked_by == "id_number"
    assert ("federation.linked", "success") in audit_actions(idw)
    # The local verified name stays: a link never rewrites a verified identity.
    assert idw.provider.accounts.get(idw.persons["lisi"]).name == "李四"


def test_a_linked_level_1_account_is_lifted_when_the_upstream_verifies_the_person(
    make_idworld: Any, upstream: Upstream
) -> None:
    idw: IdWorld = make_idworld(**upstream.settings())
    first = session_of(idw, log_in_through(idw, "zhaoliu"))
    upstream.verify("zhaoliu", ZHAO_ID)
    second = session_of(idw, log_in_through(idw, "zhaoliu"))
    assert second.person_id == first.person_id
    person = idw.provider.accounts.get(first.person_id)
    assert (person.loa, person.realname_verified) == (2, True)
    assert idw.provider.accounts.id_number_of(person.id) == ZHAO_ID
    assert second.acr == "urn:tongban:loa:2"


def test_a_number_held_by_another_account_is_a_conflict_not_a_takeover(
    make_idworld: Any, upstream: Upstream
) -> None:
    idw: IdWorld = make_idworld(**upstream.settings())
    first = session_of(idw, log_in_through(idw, "zhaoliu"))
    holder = idw.provider.accounts.add(
        "zhaoliu-local", PASSWORD, "赵六", now=NOW, actor="test",
        document=parse_id_document("resident_id", ZHAO_ID, today=NOW.date()), verified_by="local",
    )  # fmt: skip
    upstream.verify("zhaoliu", ZHAO_ID)
    browser = idw.browser()
    journey = begin(browser)
    refused = journey.back(UpstreamBrowser().log_in(journey.authorize_url, "zhaoliu"))
    assert refused.status_code == 409
    assert "实名信息不一致" in browser.last
    assert browser.client.get_cookie("tb_sid") is None
    assert idw.provider.accounts.get(first.person_id).loa == 1
    assert idw.provider.accounts.get(holder.id).loa == 2
    assert audit_actions(idw)[-1] == ("federation.refused", "failure")


def test_a_different_verified_number_for_a_linked_person_is_refused(
    make_idworld: Any, upstream: Upstream
) -> None:
    idw: IdWorld = make_idworld(**upstream.settings())
    first = session_of(idw, log_in_through(idw, "wangwu"))
    upstream.verify("wangwu", ZHAO_ID)  # The upstream now says another number.
    browser = idw.browser()
    journey = begin(browser)
    refused = journey.back(UpstreamBrowser().log_in(journey.authorize_url, "wangwu"))
    assert refused.status_code == 409
    assert idw.provider.accounts.id_number_of(first.person_id) == WANG_ID
    with idw.provider.db.transaction() as session:
        details = session.execute(
            select(AuditEventRecord.details).where(AuditEventRecord.action == "federation.refused")
        ).scalar_one()
    assert details["reason"] == "id_number_differs"
    assert ZHAO_ID not in str(details), "only the masked number is recorded"


def test_no_account_is_created_when_creation_is_off(make_idworld: Any, upstream: Upstream) -> None:
    idw: IdWorld = make_idworld(**upstream.settings(FEDERATION__CREATE_ACCOUNTS="false"))
    before = person_count(idw)
    browser = idw.browser()
    journey = begin(browser)
    refused = journey.back(UpstreamBrowser().log_in(journey.authorize_url, "wangwu"))
    assert refused.status_code == 403
    assert "没有与该身份对应的可用账号" in browser.last
    assert person_count(idw) == before
    assert links(idw) == []


def test_a_relying_party_gets_a_federated_login_with_acr_and_amr(
    make_idworld: Any, upstream: Upstream
) -> None:
    idw: IdWorld = make_idworld(**upstream.settings())
    rp = idw.rp()
    browser = Browser(rp.browser)
    response = rp.authorize(scope="openid profile realname", acr_values="urn:tongban:loa:2")
    assert response.status_code == 303
    page = browser.get(response.headers["Location"])
    assert "使用 国家政务服务平台 登录" in browser.last
    interaction = query(response.headers["Location"])["interaction"]
    journey = begin(browser, interaction=interaction)
    # The client needs level 2: the upstream is asked for it (its values at 2 or more).
    assert query(journey.authorize_url)["acr_values"] == "urn:tongban:loa:2 urn:tongban:loa:3"
    done = journey.back(UpstreamBrowser().log_in(journey.authorize_url, "wangwu"))
    if done.headers["Location"].startswith("/consent"):
        done = rp.consent(done)
    tokens = rp.token(rp.code(done))
    claims = idw.world.verify_id_token(tokens.json["id_token"], "rp1")
    assert claims["acr"] == "urn:tongban:loa:2"
    assert claims["amr"] == ["fed", "pwd"]
    assert page.status_code == 200


def test_cancelling_at_the_upstream_returns_to_the_login_page(
    make_idworld: Any, upstream: Upstream
) -> None:
    idw: IdWorld = make_idworld(**upstream.settings())
    browser = idw.browser()
    journey = begin(browser)
    back = UpstreamBrowser().log_in(journey.authorize_url, "wangwu", consent="deny")
    assert query(back)["error"] == "access_denied"
    page = journey.back(back)
    assert page.status_code == 400
    assert "取消了登录" in browser.last
    assert 'name="password"' in browser.last, "the login page, to try another way"
