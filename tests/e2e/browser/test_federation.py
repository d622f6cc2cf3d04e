"""A person known only to the upstream provider logs in to a department system through
it — in a browser, across three real servers (upstream Tongban, Tongban, demo system)."""

from __future__ import annotations

from typing import Any

import pytest

from demo.run import UPSTREAM_PERSON
from tests.e2e.browser.conftest import Stack
from tests.e2e.browser.conftest import log_in_with_password

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_login_through_the_upstream_provider(federated_stack: Stack, browser: Any) -> None:
    page = browser.new_page(locale="zh-CN")
    system = f"{federated_stack.systems[0].base}/"
    page.goto(system)
    page.click("#login")
    page.wait_for_load_state()
    assert "/login" in page.url
    button = page.locator("#login-upstream")
    assert button.inner_text() == "使用 国家政务服务平台 登录"
    button.click()
    page.wait_for_load_state()
    assert page.url.startswith("http://localhost:"), page.url  # at the upstream
    log_in_with_password(page, UPSTREAM_PERSON[0])
    if "/consent" in page.url:  # the department system's consent, at Tongban
        assert page.url.startswith(federated_stack.issuer)
        page.click("button[value=approve]")
        page.wait_for_load_state()
    assert page.url.startswith(system), page.url
    assert page.inner_text("h1") == f"欢迎，{UPSTREAM_PERSON[1]}"
    assert "urn:tongban:loa:2" in page.inner_text("main")
