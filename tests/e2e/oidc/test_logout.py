"""Single logout: RP-initiated, back-channel (through the outbox, with retries) and
front-channel, and ending sessions from outside."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import jwt
import pytest

from tests.e2e.oidc.conftest import NOW
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import form_field
from tests.e2e.oidc.conftest import query_of
from tests.fakes.logout_receiver import LogoutReceiver
from tests.fakes.logout_receiver import logout_receiver

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def receivers(world: World) -> Iterator[tuple[LogoutReceiver, LogoutReceiver]]:
    """rp1 and mz1 listen for back-channel logout; rp1 also has a post-logout URI."""
    with logout_receiver() as one, logout_receiver() as two:
        world.provider.clients.update(
            "rp1",
            {
                "backchannel_logout_uri": one.url,
                "post_logout_redirect_uris": ("https://rp1.example.gov.cn/bye",),
            },
            now=NOW,
            actor="test",
        )
        world.provider.clients.update(
            "mz1", {"backchannel_logout_uri": two.url}, now=NOW, actor="test"
        )
        yield one, two


def signed_in_at_both(world: World) -> tuple[RP, dict[str, str], dict[str, str]]:
    rp1 = RP(world, "rp1")
    tokens1 = rp1.sign_in()
    mz = RP(world, "mz1", redirect_uri="https://mz1.example.gov.cn/cb")
    mz.browser = rp1.browser
    tokens2 = mz.sign_in()
    return rp1, tokens1, tokens2


def deliver(world: World, when: datetime | None = None) -> int:
    return world.provider.outbox.run_due(when or datetime.now(UTC))


def check_logout_token(world: World, token: str, audience: str, id_token: dict[str, str]) -> None:
    assert jwt.get_unverified_header(token)["typ"] == "logout+jwt"
    claims = world.verify_id_token(token, audience)
    assert LOGOUT_EVENT in claims["events"]
    assert "nonce" not in claims
    assert claims["sid"] == id_token["sid"]
    assert claims["sub"] == id_token["sub"]
    assert claims["jti"]


def test_rp_initiated_logout_reaches_every_client(world: World, receivers: tuple) -> None:  # type: ignore[type-arg]
    one, two = receivers
    rp1, tokens1, tokens2 = signed_in_at_both(world)
    response = rp1.browser.get(
        "/logout",
        query_string={
            "id_token_hint": tokens1["id_token"],
            "post_logout_redirect_uri": "https://rp1.example.gov.cn/bye",
            "state": "bye-1",
        },
    )
    assert response.status_code == 200  # no confirmation: the hint names this session
    page = response.get_data(as_text=True)
    assert 'data-target="https://rp1.example.gov.cn/bye?state=bye-1"' in page
    assert rp1.browser.get_cookie("tb_sid") is None
    assert deliver(world) == 2
    id1 = world.verify_id_token(tokens1["id_token"], "rp1")
    id2 = world.verify_id_token(tokens2["id_token"], "mz1")
    check_logout_token(world, one.tokens[0], "rp1", id1)
    check_logout_token(world, two.tokens[0], "mz1", id2)
    assert query_of(rp1.authorize(prompt="none"))["error"] == "login_required"


def test_logout_without_a_hint_asks_first(world: World, receivers: tuple) -> None:  # type: ignore[type-arg]
    rp1, _, _ = signed_in_at_both(world)
    response = rp1.browser.get("/logout")
    page = response.get_data(as_text=True)
    assert "确定要退出登录吗" in page
    assert rp1.browser.get_cookie("tb_sid") is not None
    done = rp1.browser.post(
        "/logout", data={"csrf_token": form_field(page, "csrf_token"), "confirm": "yes"}
    )
    assert "您已退出登录" in done.get_data(as_text=True)
    assert deliver(world) == 2


def test_a_forged_logout_without_csrf_is_only_a_question(world: World, receivers: tuple) -> None:  # type: ignore[type-arg]
    rp1, _, _ = signed_in_at_both(world)
    response = rp1.browser.post("/logout", data={"confirm": "yes"})
    assert "确定要退出登录吗" in response.get_data(as_text=True)
    assert rp1.browser.get_cookie("tb_sid") is not None


def test_an_unregistered_post_logout_uri_is_refused(world: World, receivers: tuple) -> None:  # type: ignore[type-arg]
    rp1, tokens1, _ = signed_in_at_both(world)
    response = rp1.browser.get(
        "/logout",
        query_string={
            "id_token_hint": tokens1["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
        },
    )
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert rp1.browser.get_cookie("tb_sid") is not None


def test_front_channel_logout_frames_are_allowed_by_the_csp(world: World) -> None:
    world.provider.clients.update(
        "rp1",
        {"frontchannel_logout_uri": "https://rp1.example.gov.cn/frontchannel"},
        now=NOW,
        actor="test",
    )
    rp1 = RP(world, "rp1")
    tokens = rp1.sign_in()
    sid = world.verify_id_token(tokens["id_token"], "rp1")["sid"]
    response = rp1.browser.get("/logout", query_string={"id_token_hint": tokens["id_token"]})
    page = response.get_data(as_text=True)
    assert (
        "https://rp1.example.gov.cn/frontchannel?iss=http%3A%2F%2F127.0.0.1%3A8000&amp;sid=" + sid
        in page
    )
    assert "frame-src https://rp1.example.gov.cn" in response.headers["Content-Security-Policy"]
    assert "X-Tongban-Frame-Sources" not in response.headers


def test_a_client_that_is_down_hears_of_the_logout_when_it_returns(
    world: World,
    receivers: tuple,  # type: ignore[type-arg]
) -> None:
    one, _ = receivers
    rp1, tokens1, _ = signed_in_at_both(world)
    one.down = True
    rp1.browser.get("/logout", query_string={"id_token_hint": tokens1["id_token"]})
    now = datetime.now(UTC)
    deliver(world, now)
    failed = [m for m in world.provider.outbox.list() if m.target == "rp1"]
    assert failed[0].status == "pending"
    assert failed[0].attempts == 1
    assert "HTTP 503" in (failed[0].last_error or "")
    assert deliver(world, now + timedelta(seconds=1)) == 0  # backing off
    one.down = False
    assert deliver(world, now + timedelta(seconds=10)) == 1
    assert len(one.tokens) == 1
    delivered = next(m for m in world.provider.outbox.list() if m.target == "rp1")
    assert delivered.status == "delivered"


def test_ending_all_sessions_from_outside(world: World, receivers: tuple) -> None:  # type: ignore[type-arg]
    one, two = receivers
    rp1, _, _ = signed_in_at_both(world)
    other_browser = RP(world, "rp1")
    other_browser.sign_in()  # the same person on a second device
    person = world.provider.accounts.by_username("zhangsan")
    assert world.provider.logouts.end_all(person.id, reason="operator", actor="operator:test") == 2
    deliver(world)
    assert len(one.tokens) == 2
    assert len(two.tokens) == 1
    assert query_of(rp1.authorize(prompt="none"))["error"] == "login_required"
    history = world.provider.session_log.history(person.id)
    assert all(entry.ended_at is not None for entry in history)
    assert {entry.end_reason for entry in history} == {"operator"}


def test_the_discovery_document_advertises_logout(world: World) -> None:
    meta = world.client().get("/.well-known/openid-configuration").json
    assert meta["end_session_endpoint"] == "http://127.0.0.1:8000/logout"
    assert meta["backchannel_logout_supported"] is True
    assert meta["frontchannel_logout_session_supported"] is True


def test_login_history_keeps_a_coarse_network_only(world: World, rp: RP) -> None:
    rp.sign_in()
    person = world.provider.accounts.by_username("zhangsan")
    entry = world.provider.session_log.history(person.id)[0]
    assert entry.network == "127.0.0.0/24"
    assert entry.clients == ("rp1",)
    assert entry.ended_at is None
