"""The token endpoint beyond the code: refresh rotation, client credentials, client
authentication, revocation and introspection."""

from __future__ import annotations

import threading
from typing import Any

import jwt
import pytest

from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import basic


def refresh(world: World, token: str, client_id: str = "rp1", **extra: str) -> Any:
    data = {"grant_type": "refresh_token", "refresh_token": token}
    data.update(extra)
    return world.client().post(
        "/token", data=data, headers=basic(client_id, world.secrets[client_id])
    )


# -- refresh tokens ----------------------------------------------------------------------------


def test_refresh_rotates_and_keeps_the_original_auth_time(any_world: World) -> None:
    rp = RP(any_world, "rp1")
    first = rp.sign_in()
    original = any_world.verify_id_token(first["id_token"], "rp1")
    second = refresh(any_world, first["refresh_token"])
    assert second.status_code == 200
    body = second.json
    assert body["refresh_token"] != first["refresh_token"]
    renewed = any_world.verify_id_token(body["id_token"], "rp1")
    assert renewed["sub"] == original["sub"]
    assert renewed["auth_time"] == original["auth_time"]
    assert "nonce" not in renewed
    assert refresh(any_world, body["refresh_token"]).status_code == 200


def test_refresh_may_narrow_but_never_widen_the_scope(world: World, rp: RP) -> None:
    tokens = rp.sign_in(scope="openid profile offline_access")
    narrowed = refresh(world, tokens["refresh_token"], scope="openid")
    assert narrowed.status_code == 200
    assert narrowed.json["scope"] == "openid"
    widened = refresh(world, narrowed.json["refresh_token"], scope="openid realname")
    assert widened.status_code == 400
    assert widened.json["error"] == "invalid_scope"


def test_racing_refreshes_both_succeed_within_the_grace_window(world: World, rp: RP) -> None:
    token = rp.sign_in()["refresh_token"]
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def go() -> None:
        barrier.wait()
        statuses.append(refresh(world, token).status_code)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200, 200]
    assert refresh(world, token).status_code == 200  # still within 10 s of rotation


def test_reuse_after_the_grace_window_revokes_the_whole_family(make_world: Any) -> None:
    world = make_world(IDP__REFRESH_GRACE_SECONDS="0")
    rp = RP(world, "rp1")
    tokens = rp.sign_in()
    newer = refresh(world, tokens["refresh_token"]).json
    stolen = refresh(world, tokens["refresh_token"])
    assert stolen.status_code == 400
    assert stolen.json["error"] == "invalid_grant"
    # The legitimate holder's newer tokens die with the family.
    assert refresh(world, newer["refresh_token"]).status_code == 400
    info = world.client().get(
        "/userinfo", headers={"Authorization": "Bearer " + newer["access_token"]}
    )
    assert info.status_code == 401


def test_a_refresh_token_is_bound_to_its_client(world: World, rp: RP) -> None:
    token = rp.sign_in()["refresh_token"]
    stolen = refresh(world, token, client_id="rp2")
    assert stolen.status_code == 400
    assert stolen.json["error"] in ("invalid_grant", "unauthorized_client")


def test_a_disabled_person_cannot_refresh(world: World, rp: RP) -> None:
    token = rp.sign_in()["refresh_token"]
    person = world.provider.accounts.by_username("zhangsan")
    from tests.e2e.oidc.conftest import NOW

    world.provider.accounts.set_status(person.id, "disabled", now=NOW, actor="test")
    assert refresh(world, token).status_code == 400


# -- client credentials ------------------------------------------------------------------------


def client_credentials(world: World, **data: str) -> Any:
    form = {"grant_type": "client_credentials", **data}
    return world.client().post("/token", data=form, headers=basic("svc", world.secrets["svc"]))


def test_client_credentials_issue_an_api_token(any_world: World) -> None:
    response = client_credentials(any_world, scope="api:signing")
    assert response.status_code == 200
    body = response.json
    assert "refresh_token" not in body
    assert "id_token" not in body
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == "svc"
    assert claims["client_id"] == "svc"
    assert claims["scope"] == "api:signing"
    assert body["expires_in"] == 600


def test_client_credentials_without_a_scope_get_the_clients_api_scopes(world: World) -> None:
    assert client_credentials(world).json["scope"] == "api:signing api:licences"


@pytest.mark.parametrize("scope", ["admin", "api:signing admin", "openid"])
def test_scopes_the_client_may_not_have_are_refused_not_narrowed(world: World, scope: str) -> None:
    response = client_credentials(world, scope=scope)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_scope"


def test_a_client_without_the_grant_is_unauthorized(world: World) -> None:
    response = world.client().post(
        "/token",
        data={"grant_type": "client_credentials"},
        headers=basic("rp1", world.secrets["rp1"]),
    )
    assert response.json["error"] == "unauthorized_client"


@pytest.mark.parametrize("grant_type", ["password", "implicit", "urn:x:unknown"])
def test_unsupported_grant_types(world: World, grant_type: str) -> None:
    response = world.client().post(
        "/token",
        data={"grant_type": grant_type, "username": "a", "password": "b"},
        headers=basic("svc", world.secrets["svc"]),
    )
    assert response.status_code == 400
    assert response.json["error"] == "unsupported_grant_type"


def test_a_wrong_secret_is_invalid_client_with_www_authenticate(world: World) -> None:
    response = world.client().post(
        "/token", data={"grant_type": "client_credentials"}, headers=basic("svc", "not-the-secret")
    )
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_client_secret_post_works_for_clients_registered_with_it(world: World) -> None:
    world.provider.clients.update(
        "svc",
        {"token_endpoint_auth_method": "client_secret_post"},
        now=__import__("tests.e2e.oidc.conftest").e2e.oidc.conftest.NOW,
        actor="test",
    )
    ok = world.client().post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "svc",
            "client_secret": world.secrets["svc"],
        },
    )
    assert ok.status_code == 200
    # Basic is no longer accepted for it: each client authenticates one registered way.
    assert client_credentials(world).status_code == 401


def test_two_authentication_methods_at_once_are_refused(world: World) -> None:
    response = world.client().post(
        "/token",
        data={"grant_type": "client_credentials", "client_secret": world.secrets["svc"]},
        headers=basic("svc", world.secrets["svc"]),
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"


def test_parameters_in_the_query_string_are_ignored(world: World) -> None:
    response = world.client().post(
        f"/token?grant_type=client_credentials&client_id=svc&client_secret={world.secrets['svc']}"
    )
    assert response.status_code == 400


def test_token_responses_are_not_cached(world: World) -> None:
    response = client_credentials(world)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


# -- revocation and introspection -----------------------------------------------------------------


def introspect(world: World, token: str, client_id: str = "rp1") -> Any:
    return (
        world.client()
        .post(
            "/introspect", data={"token": token}, headers=basic(client_id, world.secrets[client_id])
        )
        .json
    )


def test_introspection_describes_an_active_access_token(world: World, rp: RP) -> None:
    tokens = rp.sign_in()
    body = introspect(world, tokens["access_token"])
    assert body["active"] is True
    assert body["client_id"] == "rp1"
    assert body["scope"] == "openid profile"
    assert body["token_type"] == "Bearer"
    assert introspect(world, tokens["refresh_token"])["token_type"] == "refresh_token"


def test_introspection_of_garbage_is_simply_inactive(world: World) -> None:
    assert introspect(world, "not-a-token") == {"active": False}


def test_another_departments_client_cannot_introspect(world: World, rp: RP) -> None:
    tokens = rp.sign_in()
    assert introspect(world, tokens["access_token"], client_id="mz1") == {"active": False}
    assert introspect(world, tokens["access_token"], client_id="rp2")["active"] is True


def test_revoking_an_access_token(any_world: World) -> None:
    rp = RP(any_world, "rp1")
    tokens = rp.sign_in()
    response = any_world.client().post(
        "/revoke",
        data={"token": tokens["access_token"], "token_type_hint": "access_token"},
        headers=basic("rp1", any_world.secrets["rp1"]),
    )
    assert response.status_code == 200
    assert introspect(any_world, tokens["access_token"]) == {"active": False}
    info = any_world.client().get(
        "/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]}
    )
    assert info.status_code == 401
    assert refresh(any_world, tokens["refresh_token"]).status_code == 200  # the grant lives on


def test_revoking_a_refresh_token_revokes_its_grant(world: World, rp: RP) -> None:
    tokens = rp.sign_in()
    world.client().post(
        "/revoke",
        data={"token": tokens["refresh_token"]},
        headers=basic("rp1", world.secrets["rp1"]),
    )
    assert refresh(world, tokens["refresh_token"]).status_code == 400
    assert introspect(world, tokens["access_token"]) == {"active": False}


def test_revoking_an_unknown_token_is_fine(world: World) -> None:
    response = world.client().post(
        "/revoke", data={"token": "whatever"}, headers=basic("rp1", world.secrets["rp1"])
    )
    assert response.status_code == 200


def test_a_client_cannot_revoke_another_clients_token(world: World, rp: RP) -> None:
    tokens = rp.sign_in()
    response = world.client().post(
        "/revoke",
        data={"token": tokens["refresh_token"]},
        headers=basic("rp2", world.secrets["rp2"]),
    )
    assert response.status_code == 400
    assert refresh(world, tokens["refresh_token"]).status_code == 200


# -- userinfo errors ---------------------------------------------------------------------------------


def test_userinfo_without_a_token_asks_for_one(world: World) -> None:
    response = world.client().get("/userinfo")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tongban"'


def test_userinfo_with_a_forged_token(world: World, rp: RP) -> None:
    token = rp.sign_in()["access_token"]
    header, payload, _ = token.split(".")
    response = world.client().get(
        "/userinfo", headers={"Authorization": f"Bearer {header}.{payload}.AAAA"}
    )
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_userinfo_needs_the_openid_scope(world: World) -> None:
    token = client_credentials(world).json["access_token"]
    response = world.client().get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_signed_userinfo_for_clients_that_ask(world: World) -> None:
    from tests.e2e.oidc.conftest import NOW

    world.provider.clients.update(
        "rp2", {"userinfo_signed_response_alg": "ES256"}, now=NOW, actor="test"
    )
    rp2 = RP(world, "rp2", redirect_uri="https://rp2.example.gov.cn/cb")
    tokens = rp2.sign_in()
    response = world.client().get(
        "/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]}
    )
    assert response.mimetype == "application/jwt"
    claims = world.verify_id_token(response.get_data(as_text=True), "rp2", require=["sub"])
    assert claims["name"] == "张三"
