"""Department APIs recognise callers by their client credentials tokens."""

from __future__ import annotations

import pytest

from signing.api_auth import APIAuthError
from signing.api_auth import APIScopeError
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import basic
from tongban.api_auth import IdpAPIAuthenticator


def test_a_client_credentials_token_names_client_department_and_scopes(world: World) -> None:
    token = (
        world.client()
        .post(
            "/token",
            data={"grant_type": "client_credentials", "scope": "api:signing"},
            headers=basic("svc", world.secrets["svc"]),
        )
        .json["access_token"]
    )
    auth = IdpAPIAuthenticator(world.provider)
    client = auth.authenticate(token)
    assert (client.client_id, client.department_id) == ("svc", "scjgj")
    client.require("api:signing")
    with pytest.raises(APIScopeError):
        client.require("api:licences")


@pytest.mark.parametrize("token", [None, "", "garbage", "a.b.c"])
def test_missing_or_bad_tokens_are_refused(world: World, token: str | None) -> None:
    with pytest.raises(APIAuthError):
        IdpAPIAuthenticator(world.provider).authenticate(token)


def test_a_revoked_token_is_refused(world: World) -> None:
    token = (
        world.client()
        .post(
            "/token",
            data={"grant_type": "client_credentials"},
            headers=basic("svc", world.secrets["svc"]),
        )
        .json["access_token"]
    )
    world.client().post(
        "/revoke", data={"token": token}, headers=basic("svc", world.secrets["svc"])
    )
    with pytest.raises(APIAuthError):
        IdpAPIAuthenticator(world.provider).authenticate(token)


def test_a_department_system_finds_its_applicant_by_pairwise_sub(world: World, rp: RP) -> None:
    sub = world.verify_id_token(rp.sign_in()["id_token"], "rp1")["sub"]
    auth = IdpAPIAuthenticator(world.provider)
    svc_token = (
        world.client()
        .post(
            "/token",
            data={"grant_type": "client_credentials"},
            headers=basic("svc", world.secrets["svc"]),
        )
        .json["access_token"]
    )
    svc = auth.authenticate(svc_token)
    person = world.provider.accounts.by_username("zhangsan")
    assert auth.person_for_subject(svc, sub) == person.id  # same department, same sector
    assert auth.person_for_subject(svc, "unknown-sub") is None
