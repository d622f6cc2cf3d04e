"""What a login through the upstream refuses: ID tokens that fail any check of OpenID
Connect Core §3.1.3.7, a replayed or transplanted state, an upstream error or mix-up,
and — with federation off — the routes themselves. The upstream is a loopback fake
whose tokens each test shapes; a valid one is accepted, so each refusal means something."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest

from tests.e2e.federation.conftest import Journey
from tests.e2e.federation.conftest import begin
from tests.e2e.federation.conftest import fake_callback
from tests.e2e.federation.conftest import fake_journey
from tests.e2e.federation.conftest import fake_settings
from tests.e2e.federation.conftest import query
from tests.e2e.idp.conftest import Browser
from tests.e2e.idp.conftest import IdWorld
from tests.fakes.upstream_op import CLIENT_ID
from tests.fakes.upstream_op import CLIENT_SECRET
from tests.fakes.upstream_op import FakeUpstream
from tests.fakes.upstream_op import new_signer


def logged_in(browser: Browser) -> bool:
    return browser.client.get_cookie("tb_sid") is not None


def refused(response: Any, browser: Browser, status: int = 401) -> None:
    assert response.status_code == status, browser.last[:600]
    assert not logged_in(browser)
    assert 'name="password"' in browser.last, "back on the login page"


@pytest.fixture
def idw(make_idworld: Any, fake_upstream: FakeUpstream) -> IdWorld:
    world: IdWorld = make_idworld(**fake_settings(fake_upstream))
    return world


def run(idw: IdWorld, fake: FakeUpstream) -> tuple[Any, Journey]:
    journey = fake_journey(idw, fake)
    return fake_callback(journey, fake), journey


def test_a_valid_token_logs_in_with_rfc_encoded_client_authentication(
    idw: IdWorld, fake_upstream: FakeUpstream
) -> None:
    response, journey = run(idw, fake_upstream)
    assert response.status_code == 303, journey.browser.last[:600]
    assert logged_in(journey.browser)
    [token_request] = fake_upstream.token_requests
    assert token_request["grant_type"] == "authorization_code"
    assert token_request["redirect_uri"] == "http://127.0.0.1:8000/login/upstream/callback"
    assert "client_secret" not in token_request, "client_secret_basic only"


def _unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _tampered(fake: FakeUpstream) -> Any:
    def make(claims: dict[str, Any]) -> str:
        header, _payload, signature = fake.sign(claims).split(".")
        other = dict(claims, sub="someone-else")
        forged = base64.urlsafe_b64encode(json.dumps(other).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"

    return make


BAD_TOKENS = {
    "expired": {"claims": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}},
    "wrong audience": {"claims": {"aud": "another-client"}},
    "wrong issuer": {"claims": {"iss": "https://evil.example"}},
    "wrong nonce": {"claims": {"nonce": "not-this-login"}},
    "no nonce": {"claims": {"nonce": None}},
    "no sub": {"claims": {"sub": None}},
    "several audiences without azp": {"claims": {"aud": [CLIENT_ID, "other"]}},
    "another azp": {"claims": {"aud": [CLIENT_ID, "other"], "azp": "other"}},
    "issued long before this login": {"claims": {"iat": int(time.time()) - 7200}},
    "issued in the future": {"claims": {"iat": int(time.time()) + 3600}},
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_tokens_failing_a_claim_check_are_refused(
    idw: IdWorld, fake_upstream: FakeUpstream, case: str
) -> None:
    fake_upstream.claims = BAD_TOKENS[case]["claims"]
    response, journey = run(idw, fake_upstream)
    refused(response, journey.browser)


@pytest.mark.parametrize(
    "case",
    [
        "tampered",
        "alg none",
        "HS256 with the client secret",
        "unknown key",
        "same kid, another key",
    ],
)
def test_tokens_with_a_bad_signature_or_algorithm_are_refused(
    idw: IdWorld, fake_upstream: FakeUpstream, case: str
) -> None:
    stranger = new_signer("k1")  # Same kid, another key.
    makers = {
        "tampered": _tampered(fake_upstream),
        "alg none": _unsigned,
        "HS256 with the client secret": lambda c: jwt.encode(
            c, CLIENT_SECRET.encode() * 2, algorithm="HS256", headers={"kid": "k1"}
        ),
        "unknown key": lambda c: fake_upstream.sign(c, new_signer("k9")),
        "same kid, another key": lambda c: fake_upstream.sign(c, stranger),
    }
    fake_upstream.id_token = makers[case]
    response, journey = run(idw, fake_upstream)
    refused(response, journey.browser)


def test_a_rotated_upstream_key_is_fetched_once_and_used(
    idw: IdWorld, fake_upstream: FakeUpstream
) -> None:
    first, _ = run(idw, fake_upstream)
    assert first.status_code == 303
    assert fake_upstream.jwks_fetches == 1
    rotated = new_signer("k2")
    fake_upstream.signers.insert(0, rotated)
    second, journey = run(idw, fake_upstream)
    assert second.status_code == 303, journey.browser.last[:600]
    assert fake_upstream.jwks_fetches == 2, "an unknown kid re-reads the keys once"
    # A kid that is nowhere costs one more read, and then none for a while.
    fake_upstream.id_token = lambda c: fake_upstream.sign(c, new_signer("k-made-up"))
    for _ in range(2):
        third, journey = run(idw, fake_upstream)
        refused(third, journey.browser)
    assert fake_upstream.jwks_fetches == 3


def test_userinfo_for_another_subject_is_refused(idw: IdWorld, fake_upstream: FakeUpstream) -> None:
    fake_upstream.userinfo = {"sub": "up-9999", "phone_number": "+8613700001111"}
    response, journey = run(idw, fake_upstream)
    refused(response, journey.browser)


def test_userinfo_claims_fill_in_and_the_id_token_wins(
    idw: IdWorld, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.userinfo = {"phone_number": "+86 137 0000 2222", "legal_name": "冒名"}
    response, _journey = run(idw, fake_upstream)
    assert response.status_code == 303
    person_id = idw.provider.federation.linked_person(fake_upstream.base_url, "up-0001")
    assert idw.provider.accounts.get(person_id).name == "张三"
    assert idw.provider.accounts.phone_of(person_id) == "13700002222"


def test_an_invalid_id_number_from_the_upstream_creates_nothing(
    idw: IdWorld, fake_upstream: FakeUpstream
) -> None:
    fake_upstream.claims = {"id_number": "110105194912310021"}  # Wrong check digit.
    response, journey = run(idw, fake_upstream)
    refused(response, journey.browser, 400)
    assert idw.provider.federation.linked_person(fake_upstream.base_url, "up-0001") is None


def test_a_missing_name_creates_nothing(idw: IdWorld, fake_upstream: FakeUpstream) -> None:
    fake_upstream.claims = {"legal_name": None}
    response, journey = run(idw, fake_upstream)
    refused(response, journey.browser, 400)
    assert "姓名" in journey.browser.last


# -- state ---------------------------------------------------------------------------------------


def test_a_state_is_used_once(idw: IdWorld, fake_upstream: FakeUpstream) -> None:
    journey = fake_journey(idw, fake_upstream)
    assert fake_callback(journey, fake_upstream).status_code == 303
    again = fake_callback(journey, fake_upstream)
    assert again.status_code == 400
    assert "已超时" in journey.browser.last
    assert len(fake_upstream.token_requests) == 1, "the code was not redeemed again"


def test_a_state_from_another_browser_is_refused(idw: IdWorld, fake_upstream: FakeUpstream) -> None:
    # Login CSRF: the attacker starts a login and hands the victim the callback URL.
    attacker = fake_journey(idw, fake_upstream)
    victim = idw.browser()
    victim.get("/login")
    stolen = Journey(victim, attacker.start, attacker.authorize_url)
    response = fake_callback(stolen, fake_upstream)
    refused(response, victim, 400)
    assert fake_upstream.token_requests == [], "no code is redeemed for a transplanted state"
    # And it is spent: the attacker cannot use it either.
    assert fake_callback(attacker, fake_upstream).status_code == 400


def test_an_unknown_state_is_refused(idw: IdWorld, fake_upstream: FakeUpstream) -> None:
    journey = fake_journey(idw, fake_upstream)
    response = fake_callback(journey, fake_upstream, state="x" * 43)
    refused(response, journey.browser, 400)


def test_an_upstream_error_returns_to_the_login_page(
    idw: IdWorld, fake_upstream: FakeUpstream
) -> None:
    journey = fake_journey(idw, fake_upstream)
    params = query(journey.authorize_url)
    response = journey.browser.get(
        "/login/upstream/callback",
        error="temporarily_unavailable",
        state=params["state"],
        iss=fake_upstream.base_url,
    )
    refused(response, journey.browser, 503)
    assert fake_upstream.token_requests == []


def test_a_response_from_another_issuer_is_refused(
    idw: IdWorld, fake_upstream: FakeUpstream
) -> None:
    # RFC 9207 mix-up defence: the upstream says it sends iss, so it must be its own.
    journey = fake_journey(idw, fake_upstream)
    response = fake_callback(journey, fake_upstream, iss="https://evil.example")
    refused(response, journey.browser)
    assert fake_upstream.token_requests == []


def test_an_unreachable_upstream_is_a_clear_error_not_a_500(
    make_idworld: Any,
) -> None:
    from tests.conftest import free_port

    world: IdWorld = make_idworld(
        FEDERATION__ISSUER=f"http://127.0.0.1:{free_port()}",
        FEDERATION__CLIENT_ID="x",
        FEDERATION__CLIENT_SECRET="y",
        FEDERATION__TIMEOUT="1",
    )
    browser = world.browser()
    response = browser.get("/login/upstream")
    assert response.status_code == 503
    assert "暂时无法访问" in browser.last


# -- federation off -------------------------------------------------------------------------------


def test_with_federation_off_there_is_no_button_and_no_route(make_idworld: Any) -> None:
    world: IdWorld = make_idworld()
    browser = world.browser()
    browser.get("/login")
    assert "login-upstream" not in browser.last
    assert browser.get("/login/upstream").status_code == 404
    assert browser.get("/login/upstream/callback", state="x" * 43, code="c").status_code == 404


def test_with_federation_on_the_button_is_there_in_both_languages(idw: IdWorld) -> None:
    browser = idw.browser()
    browser.get("/login")
    assert "使用 国家政务服务平台 登录" in browser.last
    browser.get("/login", lang="en")
    assert "Log in with National Government Service Platform" in browser.last


# -- a fresh login asked by the client ----------------------------------------------------------


def _journey_for_client(idw: IdWorld, fake: FakeUpstream, **params: str) -> Journey:
    rp = idw.rp()
    browser = Browser(rp.browser)
    response = rp.authorize(**params)
    assert response.status_code == 303
    interaction = query(response.headers["Location"])["interaction"]
    journey = begin(browser, interaction=interaction)
    sent = query(journey.authorize_url)
    fake.challenge, fake.nonce = sent["code_challenge"], sent["nonce"]
    return journey


def test_prompt_login_and_max_age_are_passed_on_and_auth_time_is_checked(
    idw: IdWorld, fake_upstream: FakeUpstream
) -> None:
    journey = _journey_for_client(idw, fake_upstream, prompt="login", max_age="0")
    sent = query(journey.authorize_url)
    assert (sent["prompt"], sent["max_age"]) == ("login", "0")
    # No auth_time although max_age was sent: refused (Core §3.1.3.7 item 13).
    refused(fake_callback(journey, fake_upstream), journey.browser)

    journey = _journey_for_client(idw, fake_upstream, max_age="0")
    fake_upstream.claims = {"auth_time": int(time.time()) - 3600}
    refused(fake_callback(journey, fake_upstream), journey.browser)

    journey = _journey_for_client(idw, fake_upstream, max_age="0")
    fake_upstream.claims = {"auth_time": int(time.time())}
    assert fake_callback(journey, fake_upstream).status_code == 303


def test_without_prompt_or_max_age_neither_is_sent(
    idw: IdWorld, fake_upstream: FakeUpstream
) -> None:
    sent = query(_journey_for_client(idw, fake_upstream).authorize_url)
    assert "prompt" not in sent
    assert "max_age" not in sent
