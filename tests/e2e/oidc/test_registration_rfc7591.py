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
