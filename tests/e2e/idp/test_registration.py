"""Self-registration: phone + SMS code → level 1; with a registry match → level 2;
a registry that is down leaves nothing behind; every bad input is refused clearly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from idp.errors import PersonNotFound
from tests.e2e.idp.conftest import WANG_ID
from tests.e2e.idp.conftest import ZHAO_ID
from tests.e2e.idp.conftest import Browser
from tests.e2e.idp.conftest import IdWorld
from tests.fakes.registry_server import CLIENT
from tests.fakes.registry_server import SECRET
from tests.fakes.registry_server import FakeRegistry
from tests.fakes.signed_service import serving

NEW_PHONE = "13700002222"


def start(idw: IdWorld, phone: str = NEW_PHONE) -> Browser:
    browser = idw.browser()
    page = browser.get("/signup")
    assert page.status_code == 200
    assert 'name="viewport"' in browser.last
    assert 'autocomplete="tel-national"' in browser.last
    sent = browser.post("/signup", {"action": "send", "phone": phone})
    assert sent.status_code == 200, browser.last
    assert f"{phone[:3]}****{phone[-4:]}" in browser.last
    assert phone not in browser.last
    return browser


def confirm(idw: IdWorld, browser: Browser, phone: str = NEW_PHONE) -> None:
    done = browser.post("/signup", {"action": "verify", "code": idw.sms_code(phone)})
    assert done.status_code == 303, browser.last
    assert done.headers["Location"].startswith("/signup/account")
    browser.follow(done)


def account_form(**values: str) -> dict[str, str]:
    form = {
        "username": "wangwu",
        "name": "王五",
        "password": "plum blossom in winter",
        "id_type": "resident_id",
        "id_number": "",
    }
    form.update(values)
    return form


def test_phone_and_code_make_a_level_1_account_and_log_in(idw: IdWorld) -> None:
    browser = start(idw)
    confirm(idw, browser)
    created = browser.post("/signup/account", account_form())
    assert created.status_code == 303, browser.last
    person = idw.provider.accounts.by_username("wangwu")
    assert person.loa == 1
    assert person.phone_verified
    assert not person.realname_verified
    assert idw.provider.accounts.phone_of(person.id) == NEW_PHONE
    overview = browser.follow(created)
    assert overview.status_code == 200
    assert "137****2222" in browser.last
    assert "urn:tongban:loa:1" in browser.last


def test_a_registry_match_makes_level_2_at_once(idw: IdWorld) -> None:
    browser = start(idw)
    confirm(idw, browser)
    created = browser.post("/signup/account", account_form(id_number=WANG_ID.lower()))
    assert created.status_code == 303, browser.last
    person = idw.provider.accounts.by_username("wangwu")
    assert person.loa == 2
    assert person.id_type == "resident_id"
    assert idw.provider.accounts.id_number_of(person.id) == WANG_ID
    browser.follow(created)
    assert "4403**********2111" in browser.last
    assert WANG_ID not in browser.last


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"id_number": WANG_ID[:-1] + ("0" if WANG_ID[-1] != "0" else "1")}, "校验位不正确"),
        ({"id_number": "44030519851320211X"}, "出生日期不正确"),
        ({"name": "王六", "id_number": WANG_ID}, "未通过核验"),
        ({"id_number": "123"}, "格式不正确"),
        ({"password": "password1"}, "常见或已泄露"),
        ({"password": "short"}, "至少需要 8 个字符"),
        ({"password": "wangwu wangwu"}, "用户名、姓名"),
        ({"username": "Bad Name!"}, "username"),
        ({"username": "lisi"}, "该用户名已被使用"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_created(
    idw: IdWorld, values: dict[str, str], message: str
) -> None:
    browser = start(idw)
    confirm(idw, browser)
    refused = browser.post("/signup/account", account_form(**values))
    assert refused.status_code in (400, 409), browser.last
    assert message in browser.last, browser.last
    if values.get("username") != "lisi":
        with pytest.raises(PersonNotFound):
            idw.provider.accounts.by_username(values.get("username", "wangwu"))
    # The phone stays verified: the person fixes the form and goes on, no new code.
    fixed = browser.post("/signup/account", account_form(username="wangwu2"))
    assert fixed.status_code == 303, browser.last


def test_wrong_expired_and_reused_codes(idw: IdWorld) -> None:
    browser = start(idw)
    wrong = browser.post("/signup", {"action": "verify", "code": "000000"})
    if wrong.status_code == 303:  # one in a million: the random code was 000000
        pytest.skip("the random code happened to be 000000")
    assert wrong.status_code == 400
    assert "还可尝试 4 次" in browser.last
    code = idw.sms_code(NEW_PHONE)
    confirm(idw, browser)
    # The same code again, in a new registration: used codes do not come back.
    other = idw.browser()
    other.get("/signup")
    other.post("/signup", {"action": "send", "phone": "13700003333"})
    reused = other.post("/signup", {"action": "verify", "code": code})
    assert reused.status_code == 400


def test_an_expired_code_is_refused(make_idworld: Any) -> None:
    idw = make_idworld(AUTHN__OTP_SECONDS="60")
    browser = start(idw)
    code = idw.sms_code(NEW_PHONE)
    expire_entries(idw, "otp:register:")
    expired = browser.post("/signup", {"action": "verify", "code": code})
    assert expired.status_code == 400
    assert "已失效或已使用" in browser.last


def expire_entries(idw: IdWorld, prefix: str) -> None:
    """Move entries' expiry into the past, as time would (the world's SQL ephemeral table)."""
    import time

    from sqlalchemy import update

    from store.sql_ephemeral import EphemeralEntry

    with idw.provider.db.connection() as conn:
        changed = conn.execute(
            update(EphemeralEntry)
            .where(EphemeralEntry.key.like(prefix + "%"))
            .values(expires_at=time.time() - 1)
        )
        assert changed.rowcount


def test_a_number_with_an_account_is_told_only_after_the_code(idw: IdWorld) -> None:
    browser = start(idw, "13812345678")  # 李四's number
    assert "已注册账号" not in browser.last
    taken = browser.post("/signup", {"action": "verify", "code": idw.sms_code("13812345678")})
    assert taken.status_code == 409
    assert "该手机号已注册账号" in browser.last


def test_send_limits_per_phone(idw: IdWorld) -> None:
    browser = start(idw)
    again = browser.post("/signup", {"action": "send", "phone": NEW_PHONE})
    assert again.status_code == 429
    assert "操作过于频繁" in browser.last


@pytest.fixture
def national() -> Iterator[FakeRegistry]:
    fake = FakeRegistry()
    fake.persons[("resident_id", ZHAO_ID)] = "赵六"
    with serving(fake):
        yield fake


def test_registry_down_or_slow_creates_nothing_and_says_try_again(
    make_idworld: Any, national: FakeRegistry
) -> None:
    idw = make_idworld(
        REGISTRY__KIND="http",
        REGISTRY__URL=national.base_url + "/api",
        REGISTRY__CLIENT_ID=CLIENT,
        REGISTRY__SECRET=SECRET.decode(),
        REGISTRY__TIMEOUT="0.3",
        REGISTRY__RETRIES="0",
    )
    browser = start(idw)
    confirm(idw, browser)
    national.fail_next(1, delay=1.0)  # slower than the timeout
    slow = browser.post("/signup/account", account_form(name="赵六", id_number=ZHAO_ID))
    assert slow.status_code == 503
    assert "实名核验服务暂时无法访问，请稍后重试" in browser.last
    with pytest.raises(PersonNotFound):
        idw.provider.accounts.by_username("wangwu")
    national.fail_next(1, status=502)
    down = browser.post("/signup/account", account_form(name="赵六", id_number=ZHAO_ID))
    assert down.status_code == 503
    with pytest.raises(PersonNotFound):
        idw.provider.accounts.by_username("wangwu")
    ok = browser.post("/signup/account", account_form(name="赵六", id_number=ZHAO_ID))
    assert ok.status_code == 303, browser.last
    assert idw.provider.accounts.by_username("wangwu").loa == 2
    assert national.requests[-1]["payload"]["document"]["number"] == ZHAO_ID


def test_registration_can_be_switched_off(make_idworld: Any) -> None:
    idw = make_idworld(AUTHN__SELF_REGISTRATION="false")
    assert idw.browser().get("/signup").status_code == 404
    assert "立即注册" not in idw.browser().get("/login").get_data(as_text=True)
