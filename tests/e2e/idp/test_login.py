"""Login by password (+ TOTP), SMS code and passkey; the throttle; equal answers for
unknown names; acr/amr for every method and step-up to level 3."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from sqlalchemy import update

from store.sql_ephemeral import EphemeralEntry
from tests.e2e.idp.conftest import LI_PHONE
from tests.e2e.idp.conftest import ZHANG_PHONE
from tests.e2e.idp.conftest import Browser
from tests.e2e.idp.conftest import IdWorld
from tests.e2e.oidc.conftest import PASSWORD
from tests.fakes.authenticator import SoftAuthenticator


def session_of(idw: IdWorld, browser: Browser) -> Any:
    cookie = browser.client.get_cookie("tb_sid")
    assert cookie is not None
    return idw.provider.sessions.get(cookie.value, now=int(time.time()))


def expire(idw: IdWorld, prefix: str) -> int:
    with idw.provider.db.connection() as conn:
        result = conn.execute(
            update(EphemeralEntry)
            .where(EphemeralEntry.key.like(prefix + "%"))
            .values(expires_at=time.time() - 1)
        )
        return int(result.rowcount)


# -- passwords ---------------------------------------------------------------------------------


def test_password_login_by_username_or_mobile_number(idw: IdWorld) -> None:
    for login in ("lisi", LI_PHONE, "+86 138 1234 5678"):
        browser = idw.browser()
        done = browser.login(login)
        assert done.status_code == 303, browser.last
        session = session_of(idw, browser)
        assert session.person_id == idw.persons["lisi"]
        assert session.amr == ("pwd",)
        assert session.acr == "urn:tongban:loa:2"


def _normalised(html: str) -> str:
    html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
    return re.sub(r'name="username"([^>]*)value="[^"]*"', r'name="username"\1', html)


def test_unknown_names_get_the_same_answer_and_the_same_work(idw: IdWorld) -> None:
    passwords = idw.provider.passwords
    calls: list[str] = []

    class Counting:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def verify(self, stored: str, password: str) -> bool:
            calls.append(stored)
            return bool(self.inner.verify(stored, password))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    passwords._hasher = Counting(passwords._hasher)
    answers = []
    for login in ("lisi", "nobody-here", "13600000000"):
        browser = idw.browser()
        response = browser.login(login, "wrong password 1")
        answers.append((response.status_code, _normalised(browser.last)))
    assert len(calls) == 3, "every path runs exactly one Argon2 verification"
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 401
    assert "用户名或密码错误" in answers[0][1]
    disabled = idw.provider.accounts.by_username("zhangsan")
    idw.provider.accounts.set_status(disabled.id, "disabled", now=_now(), actor="test")
    browser = idw.browser()
    response = browser.login("zhangsan")  # the right password, but disabled
    assert (response.status_code, _normalised(browser.last)) == answers[0]


def _now() -> Any:
    from datetime import UTC
    from datetime import datetime

    return datetime.now(UTC)


def test_brute_force_is_throttled_per_account_capped_and_never_permanent(
    make_idworld: Any,
) -> None:
    idw = make_idworld(AUTHN__LOCKOUT_MAX_SECONDS="8")
    browser = idw.browser()
    statuses = [browser.login("lisi", f"guess {i}").status_code for i in range(12)]
    assert statuses[:5] == [401] * 5
    assert 429 in statuses[5:]
    locked = browser.login("lisi")  # even the right password must wait
    assert locked.status_code == 429
    assert "登录失败次数过多" not in browser.last
    assert "操作过于频繁" in browser.last
    assert 1 <= int(locked.headers["Retry-After"]) <= 8  # capped: 2**6 s would be 64
    # An unknown name is throttled exactly like a real one.
    other = idw.browser()
    unknown = [other.login("ghost", f"guess {i}").status_code for i in range(7)]
    assert unknown[:5] == [401] * 5
    assert unknown[6] == 429
    # Locks expire (at most the cap), and then the owner gets in.
    assert expire(idw, "lt:lock:")
    assert browser.login("lisi").status_code == 303


def test_password_spraying_is_throttled_per_address(make_idworld: Any) -> None:
    idw = make_idworld(AUTHN__FREE_FAILURES_ADDRESS="3")
    attacker = idw.browser()
    for i in range(4):
        attacker.login(f"name{i}", "spray password 1")
    assert attacker.login("lisi").status_code == 429
    elsewhere = Browser(idw.world.app.test_client())
    elsewhere.client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert elsewhere.login("lisi").status_code == 303


# -- TOTP -------------------------------------------------------------------------------------------


def enrol_totp(idw: IdWorld, username: str = "lisi") -> str:
    browser = idw.browser()
    assert browser.login(username).status_code == 303
    browser.get("/account/totp")
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', browser.last)
    assert secret, browser.last
    code = pyotp.TOTP(secret.group(1)).now()
    done = browser.post("/account/totp", {"action": "enrol", "code": code})
    assert done.status_code == 303, browser.last
    return secret.group(1)


def test_totp_is_asked_after_the_password_and_used_once(idw: IdWorld) -> None:
    secret = enrol_totp(idw)
    expire(idw, "totp-used:")  # the enrolment code may come back in this same 30 s step
    browser = idw.browser()
    first = browser.login("lisi")
    assert first.status_code == 303
    assert first.headers["Location"] == "/login/totp"
    assert browser.client.get_cookie("tb_sid") is None
    browser.get("/login/totp")
    wrong = browser.post(
        "/login/totp", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    assert "动态口令不正确" in browser.last
    code = pyotp.TOTP(secret).now()
    done = browser.post("/login/totp", {"code": code})
    assert done.status_code == 303, browser.last
    session = session_of(idw, browser)
    assert session.amr == ("pwd", "otp", "mfa")
    assert session.acr == "urn:tongban:loa:2"
    again = idw.browser()
    again.login("lisi")
    again.get("/login/totp")
    replayed = again.post("/login/totp", {"code": code})
    assert replayed.status_code == 400
    assert "已使用过" in again.last


# -- SMS codes ----------------------------------------------------------------------------------


def test_sms_login_verifies_the_phone(idw: IdWorld) -> None:
    browser = idw.browser()
    browser.get("/login/sms")
    sent = browser.post("/login/sms", {"action": "send", "phone": ZHANG_PHONE})
    assert sent.status_code == 200
    assert "139****1111" in browser.last
    done = browser.post("/login/sms", {"action": "verify", "code": idw.sms_code(ZHANG_PHONE)})
    assert done.status_code == 303, browser.last
    session = session_of(idw, browser)
    assert session.amr == ("sms",)
    assert session.acr == "urn:tongban:loa:1"
    assert idw.provider.accounts.by_username("zhangsan").phone_verified


def test_sms_login_does_not_tell_which_numbers_have_accounts(idw: IdWorld) -> None:
    pages = []
    for phone in (ZHANG_PHONE, "13600000000"):
        browser = idw.browser()
        browser.get("/login/sms")
        sent = browser.post("/login/sms", {"action": "send", "phone": phone})
        masked = f"{phone[:3]}****{phone[-4:]}"
        wrong = browser.post("/login/sms", {"action": "verify", "code": "999999"})
        pages.append(
            (
                sent.status_code,
                wrong.status_code,
                _normalised(browser.last).replace(masked, "PHONE"),
            )
        )
    assert pages[0] == pages[1]
    assert idw.sms_count("13600000000") == 0
    assert idw.sms_count(ZHANG_PHONE) == 1


# -- passkeys --------------------------------------------------------------------------------------


def add_passkey(idw: IdWorld, username: str = "lisi", **kwargs: Any) -> SoftAuthenticator:
    p = idw.provider
    authenticator = SoftAuthenticator(p.passkeys.rp_id, p.passkeys.origin, **kwargs)
    browser = idw.browser()
    assert browser.login(username).status_code == 303
    browser.get("/account")
    assert "data-passkey-register" in browser.last
    options = browser.post("/account/passkeys/options", {}).get_json()
    credential = authenticator.create(options["options"])
    added = browser.post(
        "/account/passkeys",
        {"ceremony": options["ceremony"], "credential": credential, "name": "我的手机"},
    )
    assert added.status_code == 303
    assert "done.passkey" in added.headers["Location"]
    return authenticator


def passkey_login(browser: Browser, authenticator: SoftAuthenticator, **fields: str) -> Any:
    options = browser.post("/login/passkey/options", {}).get_json()
    return browser.post(
        "/login/passkey",
        {
            "ceremony": options["ceremony"],
            "credential": authenticator.get(options["options"]),
            **fields,
        },
    )


def test_a_passkey_lifts_a_verified_account_to_level_3_through_step_up(idw: IdWorld) -> None:
    authenticator = add_passkey(idw)
    browser = idw.browser()
    rp = idw.rp(browser=browser)
    rp.sign_in("lisi")  # level 2 by password
    asked = rp.authorize(acr_values="urn:tongban:loa:3")
    assert asked.headers["Location"].startswith("/login")
    page = browser.follow(asked)
    assert 'name="password"' not in browser.last
    assert "只能使用通行密钥或企业数字证书" in browser.last
    interaction = re.search(r'name="interaction" value="([^"]+)"', browser.last).group(1)  # type: ignore[union-attr]
    refused = browser.post(
        "/login", {"interaction": interaction, "username": "lisi", "password": PASSWORD}
    )
    assert refused.status_code == 400
    done = passkey_login(browser, authenticator, interaction=interaction)
    assert page.status_code == 200
    tokens = rp.token(rp.code(done)).json
    claims = idw.world.verify_id_token(tokens["id_token"], "rp1")
    assert claims["acr"] == "urn:tongban:loa:3"
    assert claims["amr"] == ["hwk", "mfa"]


def test_synced_passkeys_are_swk_and_a_level_1_account_stays_level_1(idw: IdWorld) -> None:
    synced = add_passkey(idw, "zhangsan", synced=True, user_verifying=False)
    browser = idw.browser()
    assert passkey_login(browser, synced).status_code == 303
    session = session_of(idw, browser)
    assert session.amr == ("swk",)
    assert session.acr == "urn:tongban:loa:1"


def test_passkey_responses_that_must_fail(idw: IdWorld) -> None:
    authenticator = add_passkey(idw)
    browser = idw.browser()
    options = browser.post("/login/passkey/options", {}).get_json()
    phished = authenticator.get(options["options"], origin="https://tongban.example.com")
    assert (
        browser.post(
            "/login/passkey", {"ceremony": options["ceremony"], "credential": phished}
        ).status_code
        == 401
    )
    assert passkey_login(browser, authenticator).status_code == 303
    cloned = idw.browser()
    count = authenticator.sign_count
    options = cloned.post("/login/passkey/options", {}).get_json()
    stale = authenticator.get(options["options"], count=count)  # the counter did not move
    response = cloned.post("/login/passkey", {"ceremony": options["ceremony"], "credential": stale})
    assert response.status_code == 401
    assert "通行密钥验证未通过" in cloned.last
    # A ceremony is used once.
    options = cloned.post("/login/passkey/options", {}).get_json()
    answer = authenticator.get(options["options"])
    assert (
        cloned.post(
            "/login/passkey", {"ceremony": options["ceremony"], "credential": answer}
        ).status_code
        == 303
    )
    assert (
        cloned.post(
            "/login/passkey", {"ceremony": options["ceremony"], "credential": answer}
        ).status_code
        == 401
    )
    unknown = SoftAuthenticator(authenticator.rp_id, authenticator.origin)
    unknown.user_handle = b"x" * 16
    assert passkey_login(idw.browser(), unknown).status_code == 401


def test_login_page_offers_methods_by_required_level(idw: IdWorld) -> None:
    browser = idw.browser()
    browser.get("/login")
    html = browser.last
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert "/login/sms" in html
    assert "data-passkey-login" in html
    assert "/signup" in html
    assert "/login/certificate" not in html  # no enterprise CA configured here


def test_outbox_page_only_in_development(idw: IdWorld, make_idworld: Any) -> None:
    browser = idw.browser()
    browser.get("/login/sms")
    browser.post("/login/sms", {"action": "send", "phone": LI_PHONE})
    page = idw.browser().get("/dev/sms")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "138****5678" in text
    assert LI_PHONE not in text
    assert "验证码" in text


def test_outbox_page_is_gone_without_the_dev_gateway(make_idworld: Any) -> None:
    idw = make_idworld(SMS__KIND="off")
    assert idw.browser().get("/dev/sms").status_code == 404
    assert idw.browser().get("/login/sms").status_code == 303
    assert idw.browser().get("/signup").status_code == 404


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_pages_render_in_both_languages(idw: IdWorld, lang: str) -> None:
    browser = idw.browser()
    for path in ("/login", "/login/sms", "/signup"):
        response = browser.get(path, lang=lang)
        assert response.status_code == 200
        assert f'<html lang="{lang}">' in browser.last
    assert browser.login("lisi").status_code == 303
    for path in ("/account", "/account/totp", "/account/realname", "/account/entities"):
        response = browser.get(path, lang=lang)
        assert response.status_code == 200, (path, browser.last[:300])
        assert "{{" not in browser.last
        assert "err." not in browser.last
