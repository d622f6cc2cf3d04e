"""Dynamic Client Registration details that the conformance run (tests/conformance)
found: the client metadata rules of RFC 7591 §2 and its error responses (§3.2.2)."""

from __future__ import annotations

from typing import Any

import pytest

from idp.clients import issue_registration_token
from tests.e2e.oidc.conftest import NOW
from tests.e2e.oidc.conftest import World


@pytest.fixture
def token(world: World) -> str:
    return issue_registration_token(
        world.provider.db, "mzt", uses=10, days=1, now=NOW, actor="test"
    )


def register(world: World, body: dict[str, Any], token: str) -> Any:
    return world.client().post("/register", json=body, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("name", [42, ["名称"], {"zh": "名称"}, True])
def test_a_client_name_that_is_not_a_string_is_invalid_metadata(
    world: World, token: str, name: object
) -> None:
    """RFC 7591 §3.2.2: bad metadata is a 400 invalid_client_metadata JSON error."""
    response = register(
        world, {"client_name": name, "redirect_uris": ["https://x.example/cb"]}, token
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_client_metadata"


def test_client_name_may_be_omitted(world: World, token: str) -> None:
    """RFC 7591 §2: every metadata field is optional; for client_name, "if omitted, the
    authorization server MAY display the raw client_id value to the end-user instead"."""
    response = register(world, {"redirect_uris": ["https://x.example/cb"]}, token)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["client_name"] == body["client_id"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"  # the §2 default
    assert world.provider.clients.get(body["client_id"]).name == body["client_id"]
    manage = {"Authorization": f"Bearer {body['registration_access_token']}"}
    # RFC 7592 §2.2: a field left out of an update is deleted; the name falls back again.
    update = world.client().put(
        f"/register/{body['client_id']}",
        headers=manage,
        json={"client_id": body["client_id"], "redirect_uris": ["https://x.example/cb2"]},
    )
    assert update.status_code == 200, update.json
    assert update.json["client_name"] == body["client_id"]
