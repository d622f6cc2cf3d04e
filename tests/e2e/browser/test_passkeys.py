"""Passkeys in a real browser: Chromium's virtual authenticator (DevTools WebAuthn domain)
registers a passkey in the account page and then logs in with it, at level 3.

Browsers refuse WebAuthn on an IP-address origin, so this Tongban's issuer is
``http://localhost:<port>`` (a secure context, like https)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from demo.run import seed
from demo.run import start_tongban
from demo.run import stop
from tests.conftest import free_port
from tests.e2e.browser.conftest import log_in_with_password

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def localhost_issuer(initialised: dict[str, str]) -> Iterator[str]:
    port = free_port()
    issuer = f"http://localhost:{port}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
    env = {**clean, **initialised, "TONGBAN_ISSUER": issuer}
    seed(env, ())
    tongban = start_tongban(env, port)
    try:
        yield issuer
    finally:
        stop([tongban])


def virtual_authenticator(page: Any) -> None:
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def test_register_a_passkey_then_log_in_with_it_at_level_3(
    localhost_issuer: str, browser: Any
) -> None:
    page = browser.new_page(locale="zh-CN")
    virtual_authenticator(page)
    page.goto(f"{localhost_issuer}/account")
    log_in_with_password(page)
    assert page.url.startswith(f"{localhost_issuer}/account"), page.url
    page.fill("#passkey-name", "测试手机")
    page.click("[data-passkey-register] [data-passkey-start]")
    page.wait_for_url("**done=done.passkey**", timeout=10_000)
    assert "测试手机" in page.inner_text("main")

    page.click("text=退出")
    page.wait_for_load_state()
    if page.locator("button[type=submit]").count():  # the logout confirmation
        page.click("button[type=submit]")
        page.wait_for_load_state()
    page.goto(f"{localhost_issuer}/me/")
    assert "/login" in page.url
    page.click("[data-passkey-login] [data-passkey-start]")
    page.wait_for_url(lambda url: urlsplit(url).path in ("/me/", "/login/entity"), timeout=10_000)
    if urlsplit(page.url).path == "/login/entity":
        page.check("input[value=self]")
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: urlsplit(url).path == "/me/", timeout=10_000)
    # A real-name verified account with a passkey login: level 3.
    assert "第 3 级" in page.inner_text("main")
