"""A world for the real-name identity pages: the OIDC test world plus a loaded local
registry, persons at levels 1 and 2, a legal entity, and a browser helper."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from idp.authn.sms import DevOutboxSMSGateway
from idp.identity.documents import resident_id_check_char
from idp.identity.uscc import credit_code_check_char
from idp.identity.uscc import organization_check_char
from idp.registry.importer import import_entities
from idp.registry.importer import import_persons
from tests.e2e.oidc.conftest import NOW
from tests.e2e.oidc.conftest import PASSWORD
from tests.e2e.oidc.conftest import RP
from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import build_world


def rid(region: str, birth: str, seq: str) -> str:
    body = region + birth + seq
    return body + resident_id_check_char(body)


def uscc(division: str, org_body: str, head: str = "91") -> str:
    org = org_body + organization_check_char(org_body)
    body = head + division + org
    return body + credit_code_check_char(body)


ZHANG_ID = "11010519491231002X"
LI_ID = rid("310115", "19900101", "153")
WANG_ID = rid("440305", "19851120", "211")
ZHAO_ID = rid("350102", "19780308", "072")
COMPANY = uscc("350100", "M0001009")
COMPANY_NAME = "福州某某科技有限公司"
CLOSED = uscc("330100", "71610585")
LI_PHONE = "13812345678"
ZHANG_PHONE = "13900001111"


def form_field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field in page"
    return match.group(1)


@dataclass
class Browser:
    """A person's browser on the provider's pages."""

    client: FlaskClient
    last: str = ""

    def get(self, path: str, **query: Any) -> TestResponse:
        params = {k: v for k, v in query.items() if v}
        response = self.client.get(path, query_string=params) if params else self.client.get(path)
        self.last = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
        return response

    def csrf(self) -> str:
        if 'name="csrf_token"' not in self.last:
            self.get("/login")
        return form_field(self.last, "csrf_token")

    def post(self, path: str, data: dict[str, str], *, csrf: bool = True) -> TestResponse:
        body = dict(data)
        if csrf:
            body.setdefault("csrf_token", self.csrf())
        response = self.client.post(path, data=body)
        self.last = response.get_data(as_text=True)
        return response

    def follow(self, response: TestResponse) -> TestResponse:
        assert response.status_code in (302, 303), (response.status_code, self.last[:500])
        return self.get(response.headers["Location"])

    def login(self, username: str, password: str = PASSWORD, **extra: str) -> TestResponse:
        self.get("/login", **extra)
        return self.post("/login", {"username": username, "password": password, **extra})


@dataclass
class IdWorld:
    world: World
    persons: dict[str, str] = field(default_factory=dict)

    @property
    def provider(self) -> Any:
        return self.world.provider

    def browser(self) -> Browser:
        return Browser(self.world.client())

    def rp(self, client_id: str = "rp1", browser: Browser | None = None) -> RP:
        rp = RP(self.world, client_id)
        if browser is not None:
            rp.browser = browser.client
        return rp

    def sms_code(self, phone: str) -> str:
        gateway = self.provider.sms_gateway
        assert isinstance(gateway, DevOutboxSMSGateway)
        for message in gateway.messages():
            if message.phone == phone:
                found = re.search(r"\b(\d{6})\b", message.text)
                assert found
                return found.group(1)
        raise AssertionError(f"no SMS to {phone}")

    def sms_count(self, phone: str) -> int:
        gateway = self.provider.sms_gateway
        assert isinstance(gateway, DevOutboxSMSGateway)
        return sum(1 for m in gateway.messages(200) if m.phone == phone)


def load_registry(world: World, tmp: Path) -> None:
    p = world.provider
    persons = tmp / "persons.csv"
    persons.write_text(
        "姓名,证件号码,证件类型\n"
        f"张三,{ZHANG_ID},resident_id\n"
        f"李四,{LI_ID},resident_id\n"
        f"王五,{WANG_ID},resident_id\n"
        f"赵六,{ZHAO_ID},\n",
        encoding="utf-8",
    )
    entities = tmp / "entities.csv"
    entities.write_text(
        "统一社会信用代码,名称,法定代表人,登记状态\n"
        f"{COMPANY},{COMPANY_NAME},李四,存续\n"
        f"{CLOSED},杭州某某有限公司,王五,注销\n",
        encoding="utf-8",
    )
    import_persons(p.db, p.pii, persons, now=NOW)
    import_entities(p.db, entities, now=NOW)


def build_idworld(env: dict[str, str], tmp: Path) -> IdWorld:
    world = build_world(env)
    load_registry(world, tmp)
    p = world.provider
    lisi = p.accounts.by_username("lisi")
    # 李四 (level 2 in the OIDC world) gets a verified document and phone.
    from idp.realname import parse_id_document

    p.accounts.set_realname(
        lisi.id,
        "李四",
        parse_id_document("resident_id", LI_ID, today=NOW.date()),
        verified_by="local",
        reference=None,
        now=NOW,
        actor="test",
    )
    p.accounts.set_phone(lisi.id, LI_PHONE, verified=True, now=NOW, actor="test")
    zhang = p.accounts.by_username("zhangsan")
    p.accounts.set_phone(zhang.id, ZHANG_PHONE, verified=False, now=NOW, actor="test")
    return IdWorld(world, {"lisi": lisi.id, "zhangsan": zhang.id})


@pytest.fixture
def make_idworld(initialised: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    built: list[IdWorld] = []

    def make(**settings: str) -> IdWorld:
        env = dict(initialised)
        env.update({f"TONGBAN_{k}": v for k, v in settings.items()})
        world = build_idworld(env, tmp_path)
        built.append(world)
        return world

    yield make
    for world in built:
        world.world.runtime.db.dispose()


@pytest.fixture
def idw(make_idworld: Any) -> IdWorld:
    world: IdWorld = make_idworld()
    return world


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres+redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
    ]
)
def any_idworld(
    request: pytest.FixtureRequest, initialised: dict[str, str], tmp_path: Path
) -> Iterator[IdWorld]:
    """The identity world on SQLite alone, and on PostgreSQL with Redis."""
    from tongban.bootstrap import initialise

    env = dict(initialised)
    if request.param == "postgres+redis":
        db = request.getfixturevalue("postgres_db")
        env["TONGBAN_DATABASE__URL"] = db.url.render_as_string(hide_password=False)
        env["TONGBAN_REDIS__URL"] = request.getfixturevalue("redis_url")
        env["TONGBAN_REDIS__PREFIX"] = request.getfixturevalue("redis_prefix")
        initialise(env)
    world = build_idworld(env, tmp_path)
    yield world
    world.world.runtime.db.dispose()
