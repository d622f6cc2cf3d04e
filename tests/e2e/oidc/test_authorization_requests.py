"""Validation at the authorization endpoint: PKCE, redirect URIs, parameters."""

from __future__ import annotations

import pytest

from idp.clients import ClientMetadata
from tests.e2e.oidc.conftest import NOW
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import query_of


def test_pkce_is_required(rp: RP) -> None:
    response = rp.authorize(code_challenge=None, code_challenge_method=None, state="s")
    params = query_of(response)
    assert params["error"] == "invalid_request"
    assert "PKCE" in params["error_description"]
    assert params["state"] == "s"
    assert params["iss"] == "http://127.0.0.1:8000"


def test_plain_pkce_is_refused(rp: RP) -> None:
    response = rp.authorize(code_challenge="a" * 43, code_challenge_method="plain")
    assert query_of(response)["error"] == "invalid_request"


def test_a_challenge_without_a_method_is_refused(rp: RP) -> None:
    # RFC 7636 would default to plain; Tongban accepts S256 only.
    assert query_of(rp.authorize(code_challenge_method=None))["error"] == "invalid_request"


def test_a_wrong_verifier_is_an_invalid_grant(rp: RP) -> None:
    code = rp.code(rp.consent(rp.login(rp.authorize())))
    response = rp.token(code, code_verifier="x" * 50)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_grant"


def test_a_missing_verifier_is_refused(rp: RP) -> None:
    code = rp.code(rp.consent(rp.login(rp.authorize())))
    response = rp.token(code, code_verifier="")
    assert response.status_code == 400
    assert response.json["error"] in ("invalid_request", "invalid_grant")


def test_an_operator_may_make_pkce_optional_for_a_confidential_client(world: World) -> None:
    world.provider.clients.update("rp2", {"pkce": "recommended"}, now=NOW, actor="test")
    rp2 = RP(world, "rp2", redirect_uri="https://rp2.example.gov.cn/cb")
    response = rp2.consent(
        rp2.login(rp2.authorize(code_challenge=None, code_challenge_method=None))
    )
    rp2.verifier = ""
    code = rp2.code(response)
    tokens = world.client().post(
        "/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": rp2.redirect_uri},
        headers={
            "Authorization": "Basic "
            + __import__("base64").b64encode(f"rp2:{world.secrets['rp2']}".encode()).decode()
        },
    )
    assert tokens.status_code == 200
    # ...but never for a public client.
    with pytest.raises(Exception, match="PKCE stays required"):
        world.provider.clients.create(
            "scjgj",
            ClientMetadata(
                name="app",
                redirect_uris=("https://app.example/cb",),
                token_endpoint_auth_method="none",
                pkce="recommended",
            ),
            now=NOW,
            actor="test",
        )


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/cb",
        "https://rp1.example.gov.cn/cb/extra",  # prefix match
        "https://rp1.example.gov.cn/cb?x=1",  # added query
        "https://rp1.example.gov.cn:8443/cb",  # another port
        "http://rp1.example.gov.cn/cb",  # downgraded scheme
        "https://RP1.example.gov.cn/cb",  # not byte-identical
    ],
)
def test_an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect(
    rp: RP, redirect_uri: str
) -> None:
    response = rp.authorize(redirect_uri=redirect_uri)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.mimetype == "text/html"


def test_an_unknown_client_gets_an_error_page(rp: RP) -> None:
    response = rp.authorize(client_id="no-such-client")
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_native_clients_may_vary_the_loopback_port_only(world: World) -> None:
    world.provider.clients.create(
        "scjgj",
        ClientMetadata(
            name="桌面客户端",
            redirect_uris=("http://127.0.0.1/callback",),
            application_type="native",
            token_endpoint_auth_method="none",
        ),
        now=NOW,
        actor="test",
        client_id="desktop",
    )
    app = RP(world, "desktop", redirect_uri="http://127.0.0.1:51234/callback")
    assert app.authorize().status_code == 303  # on to the login page
    other_path = RP(world, "desktop", redirect_uri="http://127.0.0.1:51234/other")
    assert other_path.authorize().status_code == 400
    not_loopback = RP(world, "desktop", redirect_uri="http://localhost:51234/callback")
    assert not_loopback.authorize().status_code == 400


def test_web_clients_get_no_loopback_port_freedom(world: World) -> None:
    world.provider.clients.create(
        "scjgj",
        ClientMetadata(name="dev", redirect_uris=("http://127.0.0.1:9000/cb",)),
        now=NOW,
        actor="test",
        client_id="devweb",
    )
    assert (
        RP(world, "devweb", redirect_uri="http://127.0.0.1:9001/cb").authorize().status_code == 400
    )


@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token", "code token"])
def test_implicit_and_hybrid_flows_are_not_offered(rp: RP, response_type: str) -> None:
    response = rp.authorize(response_type=response_type)
    assert query_of(response)["error"] == "unsupported_response_type"


def test_duplicate_parameters_are_refused(rp: RP) -> None:
    response = rp.browser.get(
        "/authorize?response_type=code&client_id=rp1&client_id=rp1"
        "&redirect_uri=https%3A%2F%2Frp1.example.gov.cn%2Fcb&scope=openid"
    )
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert query_of(response)["error"] == "invalid_request"


def test_unknown_response_mode_is_an_error_sent_to_the_client(rp: RP) -> None:
    assert query_of(rp.authorize(response_mode="fragment"))["error"] == "invalid_request"


def test_openid_requests_must_name_their_redirect_uri(world: World) -> None:
    single = RP(world, "rp2", redirect_uri=None)  # type: ignore[arg-type]
    response = single.authorize(redirect_uri=None)
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert query_of(response)["error"] == "invalid_request"


def test_the_idnumber_scope_needs_an_operator_grant(rp: RP) -> None:
    params = query_of(rp.authorize(scope="openid idnumber"))
    assert params["error"] == "invalid_request"
    assert "idnumber" in params["error_description"]


def test_unknown_prompt_values_are_refused(rp: RP) -> None:
    assert query_of(rp.authorize(prompt="maybe"))["error"] == "invalid_request"
    assert query_of(rp.authorize(prompt="none login"))["error"] == "invalid_request"


def test_max_age_must_be_a_number(rp: RP) -> None:
    assert query_of(rp.authorize(max_age="soon"))["error"] == "invalid_request"
