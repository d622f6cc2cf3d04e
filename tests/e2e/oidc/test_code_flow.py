"""The authorization code flow, end to end, as a strict relying party sees it."""

from __future__ import annotations

import threading

import jwt

from idp.oauth.tokens import half_hash
from tests.e2e.oidc.conftest import NOW
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import basic
from tests.e2e.oidc.conftest import query_of


def test_login_consent_code_token_userinfo(any_world: World) -> None:
    rp = RP(any_world, "rp1")
    response = rp.authorize(state="xyz", nonce="n-0S6_WzA2Mj")
    response = rp.consent(rp.login(response))
    params = query_of(response)
    assert params["state"] == "xyz"
    assert params["iss"] == any_world.provider.issuer  # RFC 9207
    tokens = rp.token(params["code"]).json
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "openid profile"
    assert tokens["refresh_token"]
    claims = any_world.verify_id_token(tokens["id_token"], "rp1")
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["acr"] == "urn:tongban:loa:1"
    assert claims["amr"] == ["pwd"]
    assert claims["sid"]
    assert claims["auth_time"] <= claims["iat"]
    assert claims["at_hash"] == half_hash(tokens["access_token"], "ES256")
    assert claims["c_hash"] == half_hash(params["code"], "ES256")
    info = rp.browser.get(
        "/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]}
    )
    assert info.status_code == 200
    assert info.json == {"sub": claims["sub"], "name": "张三"}
    assert info.headers["Cache-Control"] == "no-store"


def test_access_token_is_an_rfc9068_jwt(world: World, rp: RP) -> None:
    tokens = rp.sign_in()
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["typ"] == "at+jwt"
    key = world.jwks()[header["kid"]]
    claims = jwt.decode(
        tokens["access_token"],
        key=key,
        algorithms=["ES256"],
        audience=world.provider.issuer,
        issuer=world.provider.issuer,
    )
    assert claims["client_id"] == "rp1"
    assert claims["scope"] == "openid profile"
    assert {"jti", "iat", "exp", "sub", "auth_time", "acr"} <= set(claims)


def test_userinfo_accepts_post_with_the_token_in_the_body(world: World, rp: RP) -> None:
    tokens = rp.sign_in()
    info = world.client().post("/userinfo", data={"access_token": tokens["access_token"]})
    assert info.status_code == 200
    assert info.json["name"] == "张三"


def test_form_post_response_mode_delivers_code_state_and_iss(rp: RP) -> None:
    response = rp.consent(rp.login(rp.authorize(response_mode="form_post", state="abc")))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'action="https://rp1.example.gov.cn/cb"' in page
    assert 'name="state" value="abc"' in page
    assert 'name="code" value="' in page
    assert 'name="iss" value="http://127.0.0.1:8000"' in page
    assert "form_post.js" in page  # no inline script: the CSP forbids it


def test_consent_is_remembered_and_skipped_next_time(world: World, rp: RP) -> None:
    rp.sign_in()
    again = rp.authorize(prompt="login")
    after_login = rp.login(again)
    assert after_login.status_code == 302  # straight to the client, no consent page
    assert "code" in query_of(after_login)


def test_denied_consent_tells_the_client(rp: RP) -> None:
    response = rp.consent(rp.login(rp.authorize(state="s")), decision="deny")
    params = query_of(response)
    assert params["error"] == "access_denied"
    assert params["state"] == "s"
    assert params["iss"] == "http://127.0.0.1:8000"


def test_first_party_clients_skip_consent(world: World) -> None:
    world.provider.clients.update("rp2", {"first_party": True}, now=NOW, actor="test")
    rp2 = RP(world, "rp2", redirect_uri="https://rp2.example.gov.cn/cb")
    response = rp2.login(rp2.authorize())
    assert response.status_code == 302
    assert "code" in query_of(response)


def test_wrong_password_is_refused_without_saying_why(rp: RP) -> None:
    response = rp.login(rp.authorize(), password="wrong password!")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    unknown = rp.login(rp.authorize(), username="nobody")
    assert unknown.status_code == 401
    assert unknown.get_data(as_text=True).count("用户名或密码错误") == 1


def test_login_page_follows_the_form_contract(rp: RP) -> None:
    page = rp.browser.get(rp.authorize().headers["Location"]).get_data(as_text=True)
    assert 'autocomplete="username"' in page
    assert 'autocomplete="current-password"' in page
    assert 'type="submit"' in page
    assert 'name="csrf_token"' in page


def test_login_without_a_csrf_token_is_refused(rp: RP) -> None:
    response = rp.authorize()
    page = rp.browser.get(response.headers["Location"]).get_data(as_text=True)
    from tests.e2e.oidc.conftest import form_field

    posted = rp.browser.post(
        "/login",
        data={
            "interaction": form_field(page, "interaction"),
            "username": "zhangsan",
            "password": "x",
        },
    )
    assert posted.status_code == 400


def test_a_new_session_id_at_every_login(rp: RP) -> None:
    rp.sign_in()
    first = rp.browser.get_cookie("tb_sid")
    assert first is not None
    rp.login(rp.authorize(prompt="login"))
    second = rp.browser.get_cookie("tb_sid")
    assert second is not None
    assert second.value != first.value
    # The old session is gone: it cannot be replayed.
    assert rp.world.provider.sessions.get(first.value, now=10**10) is None


def test_codes_redeem_once_even_when_raced(any_world: World) -> None:
    rp = RP(any_world, "rp1")
    response = rp.consent(rp.login(rp.authorize()))
    code = rp.code(response)
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def redeem() -> None:
        barrier.wait()
        statuses.append(rp.token(code).status_code)

    threads = [threading.Thread(target=redeem) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 400, 400, 400, 400, 400]


def test_a_reused_code_revokes_what_the_first_use_issued(any_world: World) -> None:
    rp = RP(any_world, "rp1")
    code = rp.code(rp.consent(rp.login(rp.authorize())))
    tokens = rp.token(code).json
    again = rp.token(code)
    assert again.status_code == 400
    assert again.json["error"] == "invalid_grant"
    client = any_world.client()
    info = client.get("/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]})
    assert info.status_code == 401
    refreshed = client.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=basic("rp1", rp.secret),
    )
    assert refreshed.status_code == 400


def test_a_code_is_bound_to_its_client(world: World, rp: RP) -> None:
    code = rp.code(rp.consent(rp.login(rp.authorize())))
    stolen = world.client().post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": rp.redirect_uri,
            "code_verifier": rp.verifier,
        },
        headers=basic("rp2", world.secrets["rp2"]),
    )
    assert stolen.status_code == 400
    assert stolen.json["error"] == "invalid_grant"


def test_the_redirect_uri_must_be_repeated_exactly_at_the_token_endpoint(rp: RP) -> None:
    code = rp.code(rp.consent(rp.login(rp.authorize())))
    response = rp.token(code, redirect_uri="https://rp1.example.gov.cn/cb/other")
    assert response.status_code == 400
    assert response.json["error"] == "invalid_grant"


def test_pairwise_subjects_differ_between_departments(world: World) -> None:
    rp1 = RP(world, "rp1")
    sub1 = world.verify_id_token(rp1.sign_in()["id_token"], "rp1")["sub"]
    rp2 = RP(world, "rp2", redirect_uri="https://rp2.example.gov.cn/cb")
    rp2.browser = rp1.browser  # the same person, already logged in
    sub2 = world.verify_id_token(rp2.sign_in()["id_token"], "rp2")["sub"]
    mz = RP(world, "mz1", redirect_uri="https://mz1.example.gov.cn/cb")
    mz.browser = rp1.browser
    sub3 = world.verify_id_token(mz.sign_in()["id_token"], "mz1")["sub"]
    assert sub1 == sub2  # one department, one sector
    assert sub3 != sub1  # another department cannot correlate


def test_public_subject_type_is_the_same_everywhere(world: World) -> None:
    for client_id in ("rp2", "mz1"):
        world.provider.clients.update(client_id, {"subject_type": "public"}, now=NOW, actor="test")
    rp2 = RP(world, "rp2", redirect_uri="https://rp2.example.gov.cn/cb")
    sub2 = world.verify_id_token(rp2.sign_in()["id_token"], "rp2")["sub"]
    mz = RP(world, "mz1", redirect_uri="https://mz1.example.gov.cn/cb")
    mz.browser = rp2.browser
    assert world.verify_id_token(mz.sign_in()["id_token"], "mz1")["sub"] == sub2


def test_rs256_id_tokens_for_clients_that_ask(world: World) -> None:
    world.provider.clients.update(
        "rp2", {"id_token_signed_response_alg": "RS256"}, now=NOW, actor="test"
    )
    rp2 = RP(world, "rp2", redirect_uri="https://rp2.example.gov.cn/cb")
    token = rp2.sign_in()["id_token"]
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert world.verify_id_token(token, "rp2")["aud"] == "rp2"


def test_the_claims_parameter_puts_claims_in_the_id_token(world: World, rp: RP) -> None:
    tokens = rp.sign_in(claims='{"id_token":{"name":null}}')
    assert world.verify_id_token(tokens["id_token"], "rp1")["name"] == "张三"
    plain = RP(world, "rp1").sign_in()
    assert "name" not in world.verify_id_token(plain["id_token"], "rp1")


def test_a_malformed_claims_parameter_is_an_invalid_request(rp: RP) -> None:
    response = rp.authorize(claims="{not json")
    assert query_of(response)["error"] == "invalid_request"


def test_withdrawn_consent_is_asked_again_and_revokes_the_grants(world: World, rp: RP) -> None:
    tokens = rp.sign_in()
    person = world.provider.accounts.by_username("zhangsan")
    revoked = world.provider.consents.withdraw(person.id, "rp1", now=NOW, actor="person:test")
    assert revoked == 1
    refreshed = world.client().post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=basic("rp1", rp.secret),
    )
    assert refreshed.status_code == 400
    info = world.client().get(
        "/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]}
    )
    assert info.status_code == 401
    assert rp.authorize(prompt="none").status_code == 302
    assert query_of(rp.authorize(prompt="none"))["error"] == "consent_required"


def test_protocol_endpoints_never_answer_with_html(world: World) -> None:
    response = world.client().get("/token", headers={"Accept": "text/html"})
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
