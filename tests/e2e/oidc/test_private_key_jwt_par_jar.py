"""private_key_jwt client authentication (RFC 7523), pushed authorization requests
(RFC 9126) and signed request objects (RFC 9101)."""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idp.clients import ClientMetadata
from tests.e2e.oidc.conftest import NOW
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import basic
from tests.e2e.oidc.conftest import pkce
from tests.e2e.oidc.conftest import query_of

ISSUER = "http://127.0.0.1:8000"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def jwt_client(world: World, key: ec.EllipticCurvePrivateKey) -> str:
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update(kid="rp-key-1", alg="ES256", use="sig")
    world.provider.clients.create(
        "scjgj",
        ClientMetadata(
            name="证照共享系统",
            redirect_uris=("https://share.example.gov.cn/cb",),
            grant_types=("authorization_code", "client_credentials"),
            token_endpoint_auth_method="private_key_jwt",
            jwks={"keys": [jwk]},
            scopes=("openid", "profile", "api:licences"),
        ),
        now=NOW,
        actor="test",
        client_id="share",
    )
    return "share"


def assertion(
    key: Any,
    *,
    aud: Any = f"{ISSUER}/token",
    jti: str | None = None,
    lifetime: int = 60,
    kid: str = "rp-key-1",
    **claims: Any,
) -> str:
    now = int(time.time())
    body = {
        "iss": "share",
        "sub": "share",
        "aud": aud,
        "iat": now,
        "exp": now + lifetime,
        "jti": jti or secrets.token_urlsafe(12),
        **claims,
    }
    return jwt.encode(body, key, algorithm="ES256", headers={"kid": kid})


def refused(response: Any) -> bool:
    """invalid_client: 401 when the Authorization header was used, else 400 or 401."""
    return response.status_code in (400, 401) and response.json["error"] == "invalid_client"


def cc(world: World, client_assertion: str, **extra: str) -> Any:
    return world.client().post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion,
            **extra,
        },
    )


def test_a_good_assertion_authenticates(world: World, jwt_client: str, key: Any) -> None:
    response = cc(world, assertion(key))
    assert response.status_code == 200, response.json
    assert response.json["scope"] == "api:licences"


def test_the_issuer_is_an_accepted_audience(world: World, jwt_client: str, key: Any) -> None:
    assert cc(world, assertion(key, aud=ISSUER)).status_code == 200


def test_a_replayed_assertion_is_refused(world: World, jwt_client: str, key: Any) -> None:
    token = assertion(key)
    assert cc(world, token).status_code == 200
    assert refused(cc(world, token))


@pytest.mark.parametrize(
    "aud",
    [
        "https://evil.example/?" + ISSUER,  # merely contains the issuer
        ISSUER + "/",  # not byte-identical
        [ISSUER, "https://other.example"],  # several audiences
        "https://other-idp.example/token",
    ],
)
def test_a_wrong_audience_is_refused(world: World, jwt_client: str, key: Any, aud: Any) -> None:
    assert refused(cc(world, assertion(key, aud=aud)))


def test_an_expired_or_long_lived_assertion_is_refused(
    world: World, jwt_client: str, key: Any
) -> None:
    assert refused(cc(world, assertion(key, lifetime=-120)))
    assert refused(cc(world, assertion(key, lifetime=3600)))


def test_an_assertion_signed_by_another_key_is_refused(world: World, jwt_client: str) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    assert refused(cc(world, assertion(stranger)))


def test_an_assertion_without_jti_is_refused(world: World, jwt_client: str, key: Any) -> None:
    now = int(time.time())
    token = jwt.encode(
        {"iss": "share", "sub": "share", "aud": f"{ISSUER}/token", "exp": now + 60},
        key,
        algorithm="ES256",
        headers={"kid": "rp-key-1"},
    )
    assert refused(cc(world, token))


def test_a_secret_cannot_stand_in_for_the_key(world: World, jwt_client: str) -> None:
    response = world.client().post(
        "/token", data={"grant_type": "client_credentials"}, headers=basic("share", "guess")
    )
    assert response.status_code == 401


def test_hs256_signed_with_the_public_key_is_refused(
    world: World, jwt_client: str, key: Any
) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    import base64
    import hashlib
    import hmac
    import json as _json

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = b64(_json.dumps({"alg": "HS256", "kid": "rp-key-1"}).encode())
    body = b64(
        _json.dumps(
            {"iss": "share", "sub": "share", "aud": f"{ISSUER}/token", "exp": now + 60, "jti": "x1"}
        ).encode()
    )
    mac = b64(hmac.new(pem, header + b"." + body, hashlib.sha256).digest())
    assert refused(cc(world, (header + b"." + body + b"." + mac).decode()))


# -- PAR -------------------------------------------------------------------------------------------


def push(world: World, client_id: str = "rp1", **params: str) -> Any:
    verifier, challenge = pkce()
    form = {
        "response_type": "code",
        "redirect_uri": "https://rp1.example.gov.cn/cb",
        "scope": "openid profile",
        "state": "st",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **params,
    }
    response = world.client().post(
        "/par", data=form, headers=basic(client_id, world.secrets[client_id])
    )
    return response, verifier


def test_pushed_request_then_authorize_by_reference(world: World, rp: RP) -> None:
    response, verifier = push(world)
    assert response.status_code == 201
    body = response.json
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert body["expires_in"] == 60
    login = rp.browser.get(
        "/authorize", query_string={"client_id": "rp1", "request_uri": body["request_uri"]}
    )
    result = rp.consent(rp.login(login))
    params = query_of(result)
    assert params["state"] == "st"
    rp.verifier = verifier
    assert rp.token(params["code"]).status_code == 200


def test_a_request_uri_works_once(world: World, rp: RP) -> None:
    request_uri = push(world)[0].json["request_uri"]
    query = {"client_id": "rp1", "request_uri": request_uri}
    assert rp.browser.get("/authorize", query_string=query).status_code == 303
    again = rp.browser.get("/authorize", query_string=query)
    assert again.status_code == 400
    assert "Location" not in again.headers


def test_a_request_uri_belongs_to_its_client(world: World, rp: RP) -> None:
    request_uri = push(world)[0].json["request_uri"]
    response = rp.browser.get(
        "/authorize", query_string={"client_id": "rp2", "request_uri": request_uri}
    )
    assert response.status_code == 400


def test_par_validates_the_request_at_once(world: World) -> None:
    bad_redirect = push(world, redirect_uri="https://evil.example/cb")[0]
    assert bad_redirect.status_code == 400
    assert bad_redirect.json["error"] == "invalid_request"
    no_pkce = push(world, code_challenge="", code_challenge_method="")[0]
    assert no_pkce.status_code == 400


def test_par_needs_client_authentication(world: World) -> None:
    response = world.client().post("/par", data={"client_id": "rp1", "response_type": "code"})
    assert response.status_code == 401


def test_par_refuses_request_uri_inside(world: World) -> None:
    response = push(world, request_uri="urn:ietf:params:oauth:request_uri:abc")[0]
    assert response.status_code == 400


def test_clients_that_must_push_cannot_skip_par(world: World, rp: RP) -> None:
    world.provider.clients.update(
        "rp1", {"require_pushed_authorization_requests": True}, now=NOW, actor="test"
    )
    direct = rp.authorize()
    assert direct.status_code == 400
    assert "Location" not in direct.headers
    request_uri = push(world)[0].json["request_uri"]
    via_par = rp.browser.get(
        "/authorize", query_string={"client_id": "rp1", "request_uri": request_uri}
    )
    assert via_par.status_code == 303


# -- request objects ---------------------------------------------------------------------------------


def test_a_signed_request_object_is_accepted(world: World, jwt_client: str, key: Any) -> None:
    _verifier, challenge = pkce()
    now = int(time.time())
    request_object = jwt.encode(
        {
            "iss": "share",
            "aud": ISSUER,
            "iat": now,
            "exp": now + 300,
            "client_id": "share",
            "response_type": "code",
            "redirect_uri": "https://share.example.gov.cn/cb",
            "scope": "openid profile",
            "state": "from-jwt",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "max_age": 600,
        },
        key,
        algorithm="ES256",
        headers={"kid": "rp-key-1"},
    )
    rp = RP(world, "share", redirect_uri="https://share.example.gov.cn/cb")
    response = rp.browser.get(
        "/authorize",
        query_string={
            "client_id": "share",
            "response_type": "code",
            "request": request_object,
            "state": "ignored-outside",
        },
    )
    result = rp.consent(rp.login(response))
    assert query_of(result)["state"] == "from-jwt"


def test_an_unsigned_request_object_is_refused(world: World, jwt_client: str) -> None:
    unsigned = jwt.encode(
        {"client_id": "share", "response_type": "code"}, key=None, algorithm="none"
    )
    response = world.client().get(
        "/authorize", query_string={"client_id": "share", "request": unsigned}
    )
    assert response.status_code == 400


def test_a_request_object_for_another_client_is_refused(
    world: World, jwt_client: str, key: Any
) -> None:
    forged = jwt.encode(
        {"iss": "share", "aud": ISSUER, "client_id": "rp1", "response_type": "code"},
        key,
        algorithm="ES256",
        headers={"kid": "rp-key-1"},
    )
    response = world.client().get(
        "/authorize", query_string={"client_id": "share", "request": forged}
    )
    assert response.status_code == 400
