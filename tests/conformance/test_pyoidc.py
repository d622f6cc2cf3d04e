"""pyoidc (``oic``, an OpenID Certified relying party library) against a live server.

A second, independent client in another language: discovery with ``provider_config``,
the pre-created client stored as if registered, an authorization request with PKCE
(S256), the callback parsed and verified by the library, the token request with
``client_secret_basic``, the ID token verified with the keys from the provider's
``jwks_uri``, userinfo, and a refresh. Only the browser is ours.
"""

# oic's own annotations are partial: calling into it is calling untyped code.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
from oic.oauth2.message import ErrorResponse
from oic.oic import Client
from oic.oic.message import AccessTokenResponse
from oic.oic.message import AuthorizationResponse
from oic.oic.message import IdToken
from oic.oic.message import OpenIDSchema
from oic.oic.message import ProviderConfigurationResponse
from oic.oic.message import RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD
from oic.utils.settings import OicClientSettings

from tests.conformance.conftest import Browser
from tests.conformance.conftest import Live

pytestmark = pytest.mark.slow


def rp(live: Live, client_id: str = "pyoidc") -> Client:
    """A pyoidc client that discovered the provider and knows its own registration."""
    known = live.clients[client_id]
    assert known.redirect_uri is not None
    client = Client(client_authn_method=CLIENT_AUTHN_METHOD, settings=OicClientSettings(timeout=10))
    client.provider_config(live.issuer)  # issuer must match, keys loaded from jwks_uri
    client.store_registration_info(
        RegistrationResponse(
            client_id=known.client_id,
            client_secret=known.secret,
            redirect_uris=[known.redirect_uri],
            token_endpoint_auth_method="client_secret_basic",
            id_token_signed_response_alg=known.id_token_alg,
            **({"userinfo_signed_response_alg": known.userinfo_alg} if known.userinfo_alg else {}),
        )
    )
    client.redirect_uris = [known.redirect_uri]
    return client


def authorize(client: Client, browser: Browser, **extra: Any) -> tuple[Any, str, str, str]:
    """Send the person through the authorization endpoint; the parsed, verified callback."""
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    pkce, verifier = client.add_code_challenge()  # S256 by default
    assert pkce["code_challenge_method"] == "S256"
    request_args = {
        "client_id": client.client_id,
        "response_type": "code",
        "scope": ["openid", "profile", "offline_access"],
        "redirect_uri": client.redirect_uris[0],
        "state": state,
        "nonce": nonce,
        "prompt": "consent",
        **pkce,
        **extra,
    }
    request = client.construct_AuthorizationRequest(request_args=request_args)
    callback = browser.visit(request.request(client.authorization_endpoint))
    assert callback.form is None
    query = urlsplit(callback.url).query
    # RFC 9207 §2.4: pyoidc 1.7 predates it, so the iss check is ours.
    assert dict(parse_qsl(query))["iss"] == client.provider_info["issuer"]
    response = client.parse_response(
        AuthorizationResponse, info=query, sformat="urlencoded", state=state
    )
    return response, state, nonce, verifier


def test_discovery_document_passes_pyoidc_verification(live: Live) -> None:
    client = rp(live)
    info = client.provider_info
    assert isinstance(info, ProviderConfigurationResponse)
    assert info["issuer"] == live.issuer
    # pyoidc's own Discovery §3 checks: required members and their types, "openid" among
    # the scopes, a token endpoint for code, no query or fragment in the issuer. It also
    # insists on https, which a loopback test server cannot offer: check the rest with
    # the scheme read as https (the scheme is the only thing changed).
    as_https = ProviderConfigurationResponse(**info.to_dict())
    as_https["issuer"] = "https" + live.issuer.removeprefix("http")
    assert as_https.verify()
    assert "RS256" in info["id_token_signing_alg_values_supported"]  # Discovery §3 MUST
    # The keys pyoidc loaded from jwks_uri: every signing key the provider uses.
    kinds = {key.kty for key in client.keyjar.get_issuer_keys(live.issuer)}
    assert {"EC", "RSA"} <= kinds


def test_code_flow_with_pkce_client_secret_basic_and_userinfo(live: Live, browser: Browser) -> None:
    client = rp(live)
    response, state, nonce, verifier = authorize(client, browser)
    assert isinstance(response, AuthorizationResponse), response.to_dict()
    assert response["state"] == state  # pyoidc looks the grant up by it as well

    tokens = client.do_access_token_request(
        state=state,
        request_args={"code": response["code"], "code_verifier": verifier},
        authn_method="client_secret_basic",
    )
    # do_access_token_request parsed and verified the response: the ID token's JWS
    # signature against the jwks_uri keys, iss, aud, azp, exp, iat; and the nonce
    # against the one it remembered for this state.
    assert isinstance(tokens, AccessTokenResponse), tokens.to_dict()
    id_token = tokens["id_token"]
    assert isinstance(id_token, IdToken)
    assert id_token.jws_header is not None
    assert id_token.jws_header["alg"] == "ES256"
    assert id_token["nonce"] == nonce
    assert id_token["iss"] == live.issuer
    assert id_token["aud"] == [client.client_id]
    assert tokens["token_type"].lower() == "bearer"
    assert tokens["refresh_token"]

    info = client.do_user_info_request(state=state)
    assert isinstance(info, OpenIDSchema), info
    assert info["sub"] == id_token["sub"]  # OIDC Core §5.3.4
    assert info["name"] == "王五"

    refreshed = client.do_access_token_refresh(state=state, authn_method="client_secret_basic")
    assert isinstance(refreshed, AccessTokenResponse), refreshed.to_dict()
    assert refreshed["access_token"] != tokens["access_token"]
    if "id_token" in refreshed:
        again = refreshed["id_token"]
        assert (again["sub"], again["auth_time"]) == (id_token["sub"], id_token["auth_time"])


def test_code_is_refused_without_the_pkce_verifier(live: Live, browser: Browser) -> None:
    """RFC 7636 §4.6: the token request without code_verifier is an invalid_grant."""
    client = rp(live)
    response, state, _, _ = authorize(client, browser)
    assert isinstance(response, AuthorizationResponse)
    refused = client.do_access_token_request(
        state=state, request_args={"code": response["code"]}, authn_method="client_secret_basic"
    )
    assert isinstance(refused, ErrorResponse), refused.to_dict()
    assert refused["error"] in ("invalid_grant", "invalid_request")


def test_rs256_id_token_and_signed_userinfo(live: Live, browser: Browser) -> None:
    """A client registered for RS256 ID tokens and RS256-signed userinfo responses."""
    client = rp(live, "rs256")
    response, state, nonce, verifier = authorize(client, browser)
    assert isinstance(response, AuthorizationResponse), response.to_dict()
    tokens = client.do_access_token_request(
        state=state,
        request_args={"code": response["code"], "code_verifier": verifier},
        authn_method="client_secret_basic",
    )
    assert isinstance(tokens, AccessTokenResponse), tokens.to_dict()
    id_token = tokens["id_token"]
    assert id_token.jws_header["alg"] == "RS256"
    assert id_token["nonce"] == nonce
    # pyoidc reads the application/jwt response and verifies its signature with the
    # provider's keys; iss and aud (OIDC Core §5.3.2) are checked here.
    info = client.do_user_info_request(state=state)
    assert isinstance(info, OpenIDSchema), info
    assert info.jws_header is not None  # it came as a JWS
    assert info.jws_header["alg"] == "RS256"
    assert info["sub"] == id_token["sub"]
    assert info["iss"] == live.issuer
    audience = info["aud"] if isinstance(info["aud"], list) else [info["aud"]]
    assert audience == ["rs256"]


def test_error_responses_are_parsed_as_errors(live: Live, browser: Browser) -> None:
    """prompt=none without a session: pyoidc parses login_required (OIDC Core §3.1.2.6),
    and the response carries iss (RFC 9207, checked in ``authorize``) and state."""
    client = rp(live)
    response, state, _, _ = authorize(client, browser, prompt="none")
    assert isinstance(response, ErrorResponse), response.to_dict()
    assert response["error"] == "login_required"
    assert response["state"] == state
