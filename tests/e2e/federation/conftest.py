"""Federation worlds: a downstream Tongban (the identity world, driven through Flask's
test client) that logs people in through an upstream provider served over real HTTP
on loopback, either a second Tongban with its own data directory, keys and accounts,
or a small fake whose ID tokens a test shapes."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urljoin
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from config.load import load
from idp.clients import ClientMetadata
from idp.departments import add_department
from idp.provider import Provider
from idp.realname import parse_id_document
from keys.master import generate_master_key
from tests.e2e.idp.conftest import WANG_ID
from tests.e2e.idp.conftest import Browser
from tests.e2e.idp.conftest import IdWorld
from tests.e2e.idp.conftest import make_idworld  # noqa: F401 (a fixture used here)
from tests.e2e.oidc.conftest import NOW
from tests.e2e.oidc.conftest import PASSWORD
from tests.e2e.oidc.conftest import form_field as field_of
from tests.fakes.upstream_op import CLIENT_ID as FAKE_CLIENT_ID
from tests.fakes.upstream_op import CLIENT_SECRET as FAKE_CLIENT_SECRET
from tests.fakes.upstream_op import FakeUpstream
from tests.fakes.upstream_op import serving
from tongban.app import create_app
from tongban.bootstrap import initialise
from tongban.runtime import build_runtime

DOWNSTREAM_CALLBACK = "http://127.0.0.1:8000/login/upstream/callback"
UPSTREAM_CLIENT = "fj-tongban"
WANG_PHONE = "13700001111"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@dataclass
class Upstream:
    """A second Tongban, serving over HTTP on 127.0.0.1, with a client for the downstream."""

    issuer: str
    provider: Provider
    secret: str
    persons: dict[str, str]

    def settings(self, **extra: str) -> dict[str, str]:
        """Downstream settings (for ``make_idworld``) that point at this upstream."""
        return {
            "FEDERATION__ISSUER": self.issuer,
            "FEDERATION__CLIENT_ID": UPSTREAM_CLIENT,
            "FEDERATION__CLIENT_SECRET": self.secret,
            **extra,
        }

    def verify(self, username: str, id_number: str) -> None:
        """The upstream verifies (or re-verifies) a person's real name."""
        person = self.provider.accounts.by_username(username)
        document = parse_id_document("resident_id", id_number, today=NOW.date())
        self.provider.accounts.set_realname(
            person.id, person.name, document, verified_by="local", reference=None, now=NOW,
            actor="test",
        )  # fmt: skip


class UpstreamBrowser:
    """The person's browser at the upstream: real HTTP, its own cookies."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def log_in(self, authorize_url: str, username: str, *, consent: str = "approve") -> str:
        """Follow the authorization request through login and consent; return the URL
        the upstream sends the browser back to (the downstream's callback)."""
        response = self.http.get(authorize_url, allow_redirects=False)
        for _ in range(6):
            assert response.status_code in (302, 303), response.text[:300]
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(DOWNSTREAM_CALLBACK):
                return location
            page = self.http.get(location, allow_redirects=False)
            if page.status_code in (302, 303):
                response = page
                continue
            html = page.text
            form = {
                "csrf_token": field_of(html, "csrf_token"),
                "interaction": field_of(html, "interaction"),
            }
            if "/consent" in location:
                form["decision"] = consent
                response = self.http.post(
                    urljoin(location, "/consent"), data=form, allow_redirects=False
                )
            else:
                form.update(username=username, password=PASSWORD)
                response = self.http.post(
                    urljoin(location, "/login"), data=form, allow_redirects=False
                )
        raise AssertionError("the upstream never sent the browser back")


@dataclass
class Journey:
    """One login through the upstream, seen from the downstream browser."""

    browser: Browser
    start: TestResponse
    authorize_url: str

    def back(self, callback_url: str) -> TestResponse:
        parts = urlsplit(callback_url)
        return self.browser.get(parts.path + "?" + parts.query)


def begin(browser: Browser, **query_params: str) -> Journey:
    start = browser.get("/login/upstream", **query_params)
    assert start.status_code == 303, browser.last[:500]
    return Journey(browser, start, start.headers["Location"])


def _upstream_people(p: Provider) -> dict[str, str]:
    people = {}
    wang = p.accounts.add(
        "wangwu", PASSWORD, "王五", now=NOW, actor="test", phone=WANG_PHONE, phone_verified=True,
        document=parse_id_document("resident_id", WANG_ID, today=NOW.date()), verified_by="local",
    )  # fmt: skip
    people["wangwu"] = wang.id
    people["zhaoliu"] = p.accounts.add("zhaoliu", PASSWORD, "赵六", now=NOW, actor="test").id
    return people


@pytest.fixture(scope="session")
def _upstream_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An initialised data directory of its own (own master key, own signing keys)."""
    master = generate_master_key()
    data_dir = tmp_path_factory.mktemp("upstream") / "var"
    initialise({"TONGBAN_DATA_DIR": str(data_dir), "TONGBAN_MASTER_KEY": master})
    return data_dir, master


@pytest.fixture
def upstream(_upstream_template: tuple[Path, str], tmp_path: Path) -> Iterator[Upstream]:
    template, master = _upstream_template
    data_dir = tmp_path / "upstream"
    shutil.copytree(template, data_dir)
    app_holder: dict[str, Any] = {}
    server = make_server(
        "127.0.0.1", 0, lambda env, start: app_holder["app"](env, start), threaded=True
    )
    issuer = f"http://127.0.0.1:{server.server_port}"
    env = {
        "TONGBAN_DATA_DIR": str(data_dir),
        "TONGBAN_MASTER_KEY": master,
        "TONGBAN_ISSUER": issuer,
        "TONGBAN_LOG__ACCESS": "false",
    }
    runtime = build_runtime(load(env), env)
    app = create_app(runtime=runtime)
    app_holder["app"] = app
    p: Provider = app.extensions["idp"].provider
    add_department(p.db, "gjzwfw", "国家政务服务平台", name_en=None, now=NOW, actor="test")
    _, secret = p.clients.create(
        "gjzwfw",
        ClientMetadata(
            name="福建省通办",
            redirect_uris=(DOWNSTREAM_CALLBACK,),
            scopes=("openid", "profile", "realname", "idnumber", "phone"),
            allow_id_number=True,
        ),
        now=NOW,
        actor="test",
        client_id=UPSTREAM_CLIENT,
    )
    assert secret
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Upstream(issuer, p, secret, _upstream_people(p))
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
        runtime.db.dispose()


@pytest.fixture
def fake_upstream() -> Iterator[FakeUpstream]:
    with serving(FakeUpstream()) as fake:
        yield fake


def fake_settings(fake: FakeUpstream, **extra: str) -> dict[str, str]:
    return {
        "FEDERATION__ISSUER": fake.base_url,
        "FEDERATION__CLIENT_ID": FAKE_CLIENT_ID,
        "FEDERATION__CLIENT_SECRET": FAKE_CLIENT_SECRET,
        **extra,
    }


def fake_journey(idw: IdWorld, fake: FakeUpstream, browser: Browser | None = None) -> Journey:
    """Start a login at the fake and tell it what the token request must prove."""
    journey = begin(browser or idw.browser())
    params = query(journey.authorize_url)
    fake.challenge, fake.nonce = params["code_challenge"], params["nonce"]
    return journey


def fake_callback(journey: Journey, fake: FakeUpstream, **extra: str) -> TestResponse:
    params = query(journey.authorize_url)
    values = {"code": "code-1", "state": params["state"], "iss": fake.base_url, **extra}
    return journey.browser.get("/login/upstream/callback", **values)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres+redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
    ]
)
def backend_env(request: pytest.FixtureRequest, initialised: dict[str, str]) -> dict[str, str]:
    """Downstream settings for SQLite alone, and for PostgreSQL with Redis."""
    env = dict(initialised)
    if request.param == "postgres+redis":
        db = request.getfixturevalue("postgres_db")
        env["TONGBAN_DATABASE__URL"] = db.url.render_as_string(hide_password=False)
        env["TONGBAN_REDIS__URL"] = request.getfixturevalue("redis_url")
        env["TONGBAN_REDIS__PREFIX"] = request.getfixturevalue("redis_prefix")
        initialise(env)
    return env
