"""The key real-name flows on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import datetime as dt

from tests.e2e.idp.conftest import COMPANY
from tests.e2e.idp.conftest import COMPANY_NAME
from tests.e2e.idp.conftest import WANG_ID
from tests.e2e.idp.conftest import IdWorld
from tests.e2e.idp.test_login import add_passkey
from tests.e2e.idp.test_login import passkey_login
from tests.e2e.oidc.conftest import NOW


def test_registration_to_level_2(any_idworld: IdWorld) -> None:
    idw = any_idworld
    browser = idw.browser()
    browser.get("/signup")
    assert browser.post("/signup", {"action": "send", "phone": "13700002222"}).status_code == 200
    verified = browser.post("/signup", {"action": "verify", "code": idw.sms_code("13700002222")})
    assert verified.status_code == 303
    browser.follow(verified)
    created = browser.post(
        "/signup/account",
        {
            "username": "wangwu",
            "name": "王五",
            "password": "plum blossom in winter",
            "id_type": "resident_id",
            "id_number": WANG_ID,
        },
    )
    assert created.status_code == 303, browser.last
    person = idw.provider.accounts.by_username("wangwu")
    assert person.loa == 2
    assert idw.provider.accounts.by_phone("13700002222") == person


def test_throttle_holds_in_the_shared_store(any_idworld: IdWorld) -> None:
    idw = any_idworld
    first, second = idw.browser(), idw.browser()
    for i in range(3):
        first.login("lisi", f"guess {i}")
        second.login("lisi", f"guess x{i}")
    assert first.login("lisi").status_code == 429  # six failures across two browsers


def test_passkey_and_entity_claim(any_idworld: IdWorld) -> None:
    idw = any_idworld
    p = idw.provider
    p.entities.register(COMPANY, COMPANY_NAME, idw.persons["lisi"], now=NOW, actor="test")
    p.entities.appoint_agent(
        COMPANY,
        idw.persons["zhangsan"],
        ("licences",),
        NOW + dt.timedelta(days=1),
        now=NOW,
        actor="test",
    )
    roles = p.entities.roles_of(idw.persons["zhangsan"], now=dt.datetime.now(dt.UTC))
    assert [r.role for r in roles] == ["agent"]
    authenticator = add_passkey(idw)
    browser = idw.browser()
    done = passkey_login(browser, authenticator)
    assert done.status_code == 303
    assert done.headers["Location"].startswith("/login/entity")
