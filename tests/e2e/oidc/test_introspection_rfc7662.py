"""Who may introspect (RFC 7662 §2.1, §4): found by the conformance run (tests/conformance)."""

from __future__ import annotations

from idp.clients import ClientMetadata
from tests.e2e.oidc.conftest import NOW
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import World


def test_a_public_client_cannot_introspect(world: World, rp: RP) -> None:
    """RFC 7662 §2.1: "To prevent token scanning attacks, the endpoint MUST also require
    some form of authorization". A public client's client_id is no authorization: it is
    in every authorization URL, so accepting it let anyone ask about the tokens of every
    client in that department."""
    world.provider.clients.create(
        "scjgj",
        ClientMetadata(
            name="公开应用",
            redirect_uris=("https://app.example.gov.cn/cb",),
            token_endpoint_auth_method="none",
        ),
        now=NOW,
        actor="test",
        client_id="app",
    )
    tokens = rp.sign_in()
    for token in (tokens["access_token"], tokens["refresh_token"]):
        response = world.client().post("/introspect", data={"token": token, "client_id": "app"})
        assert response.status_code == 401, response.json
        assert response.json["error"] == "invalid_client"
    meta = world.client().get("/.well-known/openid-configuration").json
    assert "none" not in meta["introspection_endpoint_auth_methods_supported"]
    # Revocation stays open to public clients for their own tokens (RFC 7009 §2.1, §5).
    assert "none" in meta["revocation_endpoint_auth_methods_supported"]
