"""Log in once, use every department system; log out at one, out of all — in a browser."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.browser.conftest import Stack
from tests.e2e.browser.conftest import log_in_with_password

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def log_in_at(page: Any, system_url: str, *, password_needed: bool) -> None:
    page.goto(system_url)
    page.click("#login")
    page.wait_for_load_state()
    if password_needed:
        assert "/login" in page.url
        log_in_with_password(page)
    if "/consent" in page.url:
        page.click("button[value=approve]")
        page.wait_for_load_state()
    assert page.url.startswith(system_url), page.url
    assert page.inner_text("h1") == "欢迎，张三"


def logged_out_within(page: Any, url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.goto(url)
        if page.inner_text("h1") == "您尚未登录":
            return True
        time.sleep(0.2)
    return False


def test_sso_across_departments_and_single_logout(stack: Stack, browser: Any) -> None:
    page = browser.new_page(locale="zh-CN")
    first, second = (f"{s.base}/" for s in stack.systems)
    log_in_at(page, first, password_needed=True)
    log_in_at(page, second, password_needed=False)  # single sign-on: no password again
    page.click("#logout")
    page.wait_for_url(second + "**", timeout=10_000)
    assert page.inner_text("h1") == "您尚未登录"
    # The other department's system heard of it through back-channel logout.
    assert logged_out_within(page, first, 10)


def test_a_system_that_was_down_is_logged_out_when_it_returns(stack: Stack, browser: Any) -> None:
    page = browser.new_page(locale="zh-CN")
    first, second = (f"{s.base}/" for s in stack.systems)
    log_in_at(page, first, password_needed=True)
    log_in_at(page, second, password_needed=False)
    stack.stop_system(0)
    page.goto(second)
    page.click("#logout")
    page.wait_for_url(second + "**", timeout=10_000)
    from config.load import load
    from idp.provider import Provider
    from tongban.runtime import build_runtime

    provider = Provider(build_runtime(load(stack.env), stack.env))
    deadline = time.monotonic() + 10
    while True:  # wait until the notice to the stopped system has failed once
        pending = [m for m in provider.outbox.list() if m.target == "demo-scjg"]
        if pending and pending[0].attempts >= 1:
            break
        assert time.monotonic() < deadline, "the notice was never attempted"
        time.sleep(0.2)
    assert pending[0].status == "pending"
    stack.start_system(0)  # back, with the same cookie key: the browser's session is valid
    from datetime import UTC
    from datetime import datetime

    provider.outbox.retry(pending[0].id, datetime.now(UTC))  # not wait out the back-off
    assert logged_out_within(page, first, 10)
    delivered = next(m for m in provider.outbox.list() if m.target == "demo-scjg")
    assert delivered.status == "delivered"
