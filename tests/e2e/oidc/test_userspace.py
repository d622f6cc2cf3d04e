"""The user space: an applicant's own pages for sessions and connected systems."""

from __future__ import annotations

import time

from tests.e2e.oidc.conftest import PASSWORD
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import form_field
from tests.e2e.oidc.conftest import query_of


def test_the_user_space_needs_a_login_and_comes_back_after_it(world: World) -> None:
    browser = world.client()
    response = browser.get("/me/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/me/")
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/me/"' in page
    done = browser.post(
        "/login",
        data={
            "csrf_token": form_field(page, "csrf_token"),
            "username": "zhangsan",
            "password": PASSWORD,
            "next": "/me/",
        },
    )
    assert done.headers["Location"] == "/me/"
    overview = browser.get("/me/").get_data(as_text=True)
    assert "张三，您好" in overview
    assert "第 1 级（手机号已验证）" in overview


def test_after_login_only_local_paths_are_followed(world: World) -> None:
    browser = world.client()
    page = browser.get("/login").get_data(as_text=True)
    done = browser.post(
        "/login",
        data={
            "csrf_token": form_field(page, "csrf_token"),
            "username": "zhangsan",
            "password": PASSWORD,
            "next": "//evil.example/",
        },
    )
    assert done.headers["Location"] == "/me/"


def test_sessions_page_ends_another_device_and_then_all(world: World, rp: RP) -> None:
    rp.sign_in()
    other = RP(world, "rp1")
    other.sign_in()  # the same person on a second device
    page = rp.browser.get("/me/sessions").get_data(as_text=True)
    assert "当前会话" in page
    assert page.count("活动中") == 1
    person = world.provider.accounts.by_username("zhangsan")
    sessions = world.provider.session_log.open_sessions(person.id)
    assert len(sessions) == 2
    mine = rp.browser.get_cookie("tb_sid")
    assert mine is not None
    current = world.provider.sessions.get(mine.value, now=int(time.time()))
    theirs = next(s for s in sessions if current is None or s != current.public_id)
    rp.browser.post(
        "/me/sessions/end", data={"csrf_token": form_field(page, "csrf_token"), "session": theirs}
    )
    assert query_of(other.authorize(prompt="none"))["error"] == "login_required"
    assert "code" in query_of(rp.authorize(prompt="none"))  # this device still logged in
    page = rp.browser.get("/me/sessions").get_data(as_text=True)
    rp.browser.post(
        "/me/sessions/end", data={"csrf_token": form_field(page, "csrf_token"), "session": "all"}
    )
    assert query_of(rp.authorize(prompt="none"))["error"] == "login_required"


def test_ending_sessions_needs_the_forms_token(world: World, rp: RP) -> None:
    rp.sign_in()
    response = rp.browser.post("/me/sessions/end", data={"session": "all"})
    assert response.status_code == 400
    assert "code" in query_of(rp.authorize(prompt="none"))


def test_a_session_of_someone_else_cannot_be_ended(world: World, rp: RP) -> None:
    lisi = RP(world, "rp1")
    lisi.sign_in(username="lisi")
    theirs = world.provider.session_log.open_sessions(
        world.provider.accounts.by_username("lisi").id
    )[0]
    rp.sign_in()
    page = rp.browser.get("/me/sessions").get_data(as_text=True)
    response = rp.browser.post(
        "/me/sessions/end", data={"csrf_token": form_field(page, "csrf_token"), "session": theirs}
    )
    assert response.status_code == 400
    assert "code" in query_of(lisi.authorize(prompt="none"))


def test_connected_systems_can_be_withdrawn(world: World, rp: RP) -> None:
    rp.sign_in()
    page = rp.browser.get("/me/connections").get_data(as_text=True)
    assert "市场监管业务系统" in page
    assert "市场监督管理局" in page
    assert "您的姓名" in page  # the profile scope, in words
    rp.browser.post(
        "/me/connections/revoke",
        data={"csrf_token": form_field(page, "csrf_token"), "client_id": "rp1"},
    )
    assert "您尚未授权任何系统" in rp.browser.get("/me/connections").get_data(as_text=True)
    assert query_of(rp.authorize(prompt="none"))["error"] == "consent_required"


def test_the_header_shows_who_is_logged_in(world: World, rp: RP) -> None:
    assert "登录" in rp.browser.get("/").get_data(as_text=True)
    rp.sign_in()
    page = rp.browser.get("/").get_data(as_text=True)
    assert "我的空间 · 张三" in page
