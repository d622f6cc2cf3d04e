"""Provider metadata, the JWKS across key rotation, and dynamic client registration."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import jwt

from idp.clients import issue_registration_token
from tests.e2e.oidc.conftest import NOW
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import basic

ISSUER = "http://127.0.0.1:8000"


def test_discovery_document(world: World) -> None:
    response = world.client().get("/.well-known/openid-configuration")
    assert response.status_code == 200
    meta = response.json
    assert meta["issuer"] == ISSUER
    for name, path in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks.json"),
        ("pushed_authorization_request_endpoint", "/par"),
        ("revocation_endpoint", "/revoke"),
        ("introspection_endpoint", "/introspect"),
        ("registration_endpoint", "/register"),
    ]:
        assert meta[name] == ISSUER + path
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert "implicit" not in meta["grant_types_supported"]
    assert "password" not in meta["grant_types_supported"]
    assert set(meta["subject_types_supported"]) == {"pairwise", "public"}
    assert "private_key_jwt" in meta["token_endpoint_auth_methods_supported"]
    assert "urn:tongban:loa:3" in meta["acr_values_supported"]
    assert world.client().get("/.well-known/oauth-authorization-server").json == meta


def test_every_path_in_the_metadata_answers(world: World) -> None:
    meta = world.client().get("/.well-known/openid-configuration").json
    client = world.client()
    for name in ("jwks_uri",):
        assert client.get(meta[name].removeprefix(ISSUER)).status_code == 200
    for name in (
        "token_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "pushed_authorization_request_endpoint",
    ):
        assert client.post(meta[name].removeprefix(ISSUER)).status_code in (400, 401)


def test_jwks_publishes_every_algorithm_and_no_private_parts(world: World) -> None:
    keys = world.client().get("/jwks.json").json["keys"]
    assert {k["alg"] for k in keys} == {"ES256", "RS256", "EdDSA"}
    assert len(keys) == 6  # active and next for each
    for key in keys:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
        assert key["use"] == "sig"


def test_rotation_never_breaks_a_token_in_use(world: World, rp: RP) -> None:
    tokens = rp.sign_in()
    old_kid = jwt.get_unverified_header(tokens["id_token"])["kid"]
    later = datetime.now(UTC) + timedelta(seconds=1)
    for purpose in world.provider.signing_purposes():
        world.provider.keys.rotate(purpose, later)
    fresh = world.client()  # a new process would not have cached anything either
    kids = {k["kid"] for k in fresh.get("/jwks.json").json["keys"]}
    assert old_kid in kids  # retired, still published
    world.verify_id_token(tokens["id_token"], "rp1")
    info = fresh.get("/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]})
    assert info.status_code == 200
    new = RP(world, "rp1").sign_in()
    assert jwt.get_unverified_header(new["id_token"])["kid"] != old_kid


# -- dynamic client registration -------------------------------------------------------------------


def register(world: World, body: dict[str, object], token: str | None) -> object:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return world.client().post("/register", json=body, headers=headers)


def test_registration_needs_an_initial_access_token(world: World) -> None:
    response = register(
        world, {"client_name": "x", "redirect_uris": ["https://x.example/cb"]}, None
    )
    assert response.status_code == 401  # type: ignore[attr-defined]
    bad = register(world, {"client_name": "x", "redirect_uris": ["https://x.example/cb"]}, "guess")
    assert bad.status_code == 401  # type: ignore[attr-defined]


def test_register_use_and_manage_a_client(world: World) -> None:
    token = issue_registration_token(
        world.provider.db, "mzt", uses=1, days=1, now=NOW, actor="test"
    )
    response = register(
        world,
        {
            "client_name": "社会救助系统",
            "redirect_uris": ["https://jz.example.gov.cn/cb"],
            "grant_types": ["authorization_code"],
            "scope": "openid profile",
        },
        token,
    )
    assert response.status_code == 201  # type: ignore[attr-defined]
    body = response.json  # type: ignore[attr-defined]
    client_id, secret = body["client_id"], body["client_secret"]
    assert body["registration_client_uri"] == f"{ISSUER}/register/{client_id}"
    assert world.provider.clients.get(client_id).department_id == "mzt"
    # The token was for one registration only.
    again = register(world, {"client_name": "y", "redirect_uris": ["https://y.example/cb"]}, token)
    assert again.status_code == 401  # type: ignore[attr-defined]
    # The new client works.
    world.secrets[client_id] = secret
    rp = RP(world, client_id, redirect_uri="https://jz.example.gov.cn/cb")
    assert rp.sign_in()["id_token"]
    # RFC 7592: read, update, delete with the registration access token.
    manage = {"Authorization": f"Bearer {body['registration_access_token']}"}
    read = world.client().get(f"/register/{client_id}", headers=manage)
    assert read.status_code == 200
    assert "client_secret" not in read.json
    update = world.client().put(
        f"/register/{client_id}",
        headers=manage,
        json={
            "client_id": client_id,
            "client_name": "社会救助系统（新）",
            "redirect_uris": ["https://jz.example.gov.cn/cb2"],
            "scope": "openid profile",
        },
    )
    assert update.status_code == 200, update.json
    assert update.json["redirect_uris"] == ["https://jz.example.gov.cn/cb2"]
    assert world.client().get(f"/register/{client_id}").status_code == 401
    assert world.client().delete(f"/register/{client_id}", headers=manage).status_code == 204
    assert (
        world.client()
        .post("/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret))
        .status_code
        == 401
    )


def test_registration_validates_the_metadata(world: World) -> None:
    token = issue_registration_token(
        world.provider.db, "mzt", uses=10, days=1, now=NOW, actor="test"
    )
    cases = [
        ({"client_name": "x", "redirect_uris": ["http://x.example/cb"]}, "invalid_redirect_uri"),
        ({"client_name": "x", "redirect_uris": ["https://x.example/*"]}, "invalid_redirect_uri"),
        (
            {"client_name": "x", "redirect_uris": ["https://x.example/cb#frag"]},
            "invalid_redirect_uri",
        ),
        (
            {
                "client_name": "x",
                "redirect_uris": ["https://x.example/cb"],
                "grant_types": ["implicit"],
            },
            "invalid_client_metadata",
        ),
        (
            {
                "client_name": "x",
                "redirect_uris": ["https://x.example/cb"],
                "scope": "openid idnumber",
            },
            "invalid_client_metadata",
        ),
        (
            {
                "client_name": "x",
                "redirect_uris": ["https://x.example/cb"],
                "id_token_signed_response_alg": "none",
            },
            "invalid_client_metadata",
        ),
        ({"client_name": "x", "redirect_uris": "https://x.example/cb"}, "invalid_client_metadata"),
    ]
    for body, error in cases:
        response = register(world, body, token)
        assert response.status_code == 400, body  # type: ignore[attr-defined]
        assert response.json["error"] == error, body  # type: ignore[attr-defined]


def test_an_expired_registration_token_is_refused(world: World) -> None:
    token = issue_registration_token(
        world.provider.db, "mzt", uses=1, days=1, now=NOW - timedelta(days=2), actor="test"
    )
    response = register(
        world, {"client_name": "x", "redirect_uris": ["https://x.example/cb"]}, token
    )
    assert response.status_code == 401  # type: ignore[attr-defined]


def test_registration_can_be_closed(make_world: object) -> None:
    world = make_world(IDP__REGISTRATION="closed")  # type: ignore[operator]
    response = register(world, {"client_name": "x"}, "anything")
    assert response.status_code == 403  # type: ignore[attr-defined]
    meta = world.client().get("/.well-known/openid-configuration").json
    assert "registration_endpoint" not in meta
