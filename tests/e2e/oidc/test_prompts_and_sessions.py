"""Silent SSO and its errors, prompt values, max_age, acr step-up, id_token_hint."""

from __future__ import annotations

import jwt

from idp.clients import ClientMetadata
from tests.e2e.oidc.conftest import NOW
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import form_field
from tests.e2e.oidc.conftest import query_of


def test_prompt_none_with_a_session_returns_a_code(world: World, rp: RP) -> None:
    first = world.verify_id_token(rp.sign_in()["id_token"], "rp1")
    silent = rp.authorize(prompt="none")
    tokens = rp.token(rp.code(silent)).json
    again = world.verify_id_token(tokens["id_token"], "rp1")
    assert again["auth_time"] == first["auth_time"]  # one login, one auth_time
    assert again["sid"] == first["sid"]


def test_sso_into_a_second_client_of_another_department(world: World, rp: RP) -> None:
    rp.sign_in()
    other = RP(world, "mz1", redirect_uri="https://mz1.example.gov.cn/cb")
    other.browser = rp.browser
    response = other.authorize()
    # Logged in already: only the consent page for this new client, no password.
    assert response.headers["Location"].startswith("/consent")
    assert "code" in query_of(other.consent(response))


def test_prompt_none_without_a_session_is_login_required(rp: RP) -> None:
    params = query_of(rp.authorize(prompt="none", state="q"))
    assert params["error"] == "login_required"
    assert params["state"] == "q"
    assert params["iss"] == "http://127.0.0.1:8000"


def test_prompt_none_without_consent_is_consent_required(world: World, rp: RP) -> None:
    rp.sign_in()
    other = RP(world, "mz1", redirect_uri="https://mz1.example.gov.cn/cb")
    other.browser = rp.browser
    assert query_of(other.authorize(prompt="none"))["error"] == "consent_required"


def test_prompt_login_forces_a_new_login(world: World, rp: RP) -> None:
    rp.sign_in()
    response = rp.authorize(prompt="login")
    assert response.headers["Location"].startswith("/login")


def test_prompt_consent_asks_again(world: World, rp: RP) -> None:
    rp.sign_in()
    assert rp.authorize(prompt="consent").headers["Location"].startswith("/consent")


def test_max_age_zero_forces_a_new_login(rp: RP) -> None:
    rp.sign_in()
    assert rp.authorize(max_age="0").headers["Location"].startswith("/login")
    assert query_of(rp.authorize(max_age="0", prompt="none"))["error"] == "login_required"


def test_select_account_shows_the_chooser(world: World, rp: RP) -> None:
    rp.sign_in()
    response = rp.authorize(prompt="select_account")
    assert response.headers["Location"].startswith("/login/account")
    page = rp.browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "张三" in page
    chosen = rp.browser.post(
        "/login/account",
        data={
            "csrf_token": form_field(page, "csrf_token"),
            "interaction": form_field(page, "interaction"),
            "choice": "current",
        },
    )
    assert "code" in query_of(chosen)


def test_select_account_can_switch_to_another_person(world: World, rp: RP) -> None:
    rp.sign_in()
    response = rp.authorize(prompt="select_account")
    page = rp.browser.get(response.headers["Location"]).get_data(as_text=True)
    switch = rp.browser.post(
        "/login/account",
        data={
            "csrf_token": form_field(page, "csrf_token"),
            "interaction": form_field(page, "interaction"),
            "choice": "other",
        },
    )
    assert switch.headers["Location"].startswith("/login")
    result = rp.consent(rp.login(switch, username="lisi"))
    tokens = rp.token(rp.code(result)).json
    assert world.verify_id_token(tokens["id_token"], "rp1")["acr"] == "urn:tongban:loa:2"


def test_acr_step_up_is_never_a_silent_downgrade(world: World, rp: RP) -> None:
    rp.sign_in()  # 张三: level 1
    params = query_of(rp.authorize(prompt="none", acr_values="urn:tongban:loa:2"))
    assert params["error"] == "interaction_required"
    response = rp.authorize(acr_values="urn:tongban:loa:2")
    assert response.headers["Location"].startswith("/login")
    after = rp.login(response)  # a level-1 account is offered real-name verification
    assert after.status_code == 303
    assert after.headers["Location"].startswith("/account/realname")
    page = rp.browser.get(after.headers["Location"]).get_data(as_text=True)
    skipped = rp.browser.post(
        "/account/realname",
        data={
            "csrf_token": form_field(page, "csrf_token"),
            "interaction": form_field(page, "interaction"),
            "action": "skip",
        },
    )  # declined: the same person cannot reach level 2
    assert query_of(skipped)["error"] == "unmet_authentication_requirements"


def test_acr_met_by_a_verified_account(world: World, rp: RP) -> None:
    tokens = rp.sign_in(username="lisi", acr_values="urn:tongban:loa:2")
    assert world.verify_id_token(tokens["id_token"], "rp1")["acr"] == "urn:tongban:loa:2"


def test_an_essential_acr_claim_works_like_acr_values(rp: RP) -> None:
    rp.sign_in()
    claims = '{"id_token":{"acr":{"essential":true,"values":["urn:tongban:loa:2"]}}}'
    assert query_of(rp.authorize(prompt="none", claims=claims))["error"] == "interaction_required"


def test_a_clients_default_acr_applies_when_it_asks_nothing(world: World, rp: RP) -> None:
    world.provider.clients.update(
        "rp1", {"default_acr_values": ("urn:tongban:loa:2",)}, now=NOW, actor="test"
    )
    rp.sign_in(username="lisi")
    other = RP(world, "rp1")
    other.browser = rp.browser
    assert "code" in query_of(other.authorize(prompt="none"))


def test_id_token_hint_for_another_person_needs_a_new_login(world: World, rp: RP) -> None:
    lisi = RP(world, "rp1")
    hint = lisi.sign_in(username="lisi")["id_token"]
    rp.sign_in()  # 张三 in this browser
    assert query_of(rp.authorize(prompt="none", id_token_hint=hint))["error"] == "login_required"
    own = rp.sign_in()["id_token"]
    assert "code" in query_of(rp.authorize(prompt="none", id_token_hint=own))


def test_a_disabled_person_loses_silent_sso(world: World, rp: RP) -> None:
    rp.sign_in()
    person = world.provider.accounts.by_username("zhangsan")
    world.provider.accounts.set_status(person.id, "disabled", now=NOW, actor="test")
    assert query_of(rp.authorize(prompt="none"))["error"] == "login_required"


def test_an_expired_interaction_is_explained(rp: RP) -> None:
    response = rp.browser.get("/authorize/resume?interaction=nonexistent")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_the_login_page_names_the_client_and_prefills_the_hint(rp: RP) -> None:
    response = rp.authorize(login_hint="zhangsan")
    page = rp.browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "市场监管业务系统" in page
    assert "市场监督管理局" in page
    assert 'value="zhangsan"' in page


def test_sid_is_not_the_session_cookie(world: World, rp: RP) -> None:
    tokens = rp.sign_in()
    sid = jwt.decode(tokens["id_token"], options={"verify_signature": False})["sid"]
    cookie = rp.browser.get_cookie("tb_sid")
    assert cookie is not None
    assert sid != cookie.value
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_native_public_client_end_to_end(world: World) -> None:
    world.provider.clients.create(
        "mzt",
        ClientMetadata(
            name="移动端",
            redirect_uris=("cn.gov.example.app:/oauth2redirect",),
            application_type="native",
            token_endpoint_auth_method="none",
        ),
        now=NOW,
        actor="test",
        client_id="mobile",
    )
    app = RP(world, "mobile", redirect_uri="cn.gov.example.app:/oauth2redirect")
    code = app.code(app.consent(app.login(app.authorize())))
    response = world.client().post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "mobile",
            "redirect_uri": app.redirect_uri,
            "code_verifier": app.verifier,
        },
    )
    assert response.status_code == 200
    assert "refresh_token" not in response.json
