"""A small world for protocol tests: two departments, their clients, two people, and an
RP helper that drives the provider through Flask's test client like a browser would."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from config.load import load
from idp.clients import ClientMetadata
from idp.departments import add_department
from idp.provider import Provider
from tongban.app import create_app
from tongban.bootstrap import initialise
from tongban.runtime import Runtime
from tongban.runtime import build_runtime

PASSWORD = "correct horse battery staple"
NOW = datetime.now(UTC)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def basic(client_id: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def query_of(response: TestResponse) -> dict[str, str]:
    location = response.headers["Location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def form_field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field in page"
    return match.group(1)


@dataclass
class World:
    app: Flask
    runtime: Runtime
    provider: Provider
    secrets: dict[str, str] = field(default_factory=dict)

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def jwks(self) -> jwt.PyJWKSet:
        return jwt.PyJWKSet.from_dict(self.client().get("/jwks.json").json)

    def verify_id_token(self, token: str, audience: str, **options: Any) -> dict[str, Any]:
        """Verify as a strict relying party would: signature from the JWKS, iss, aud, exp."""
        kid = jwt.get_unverified_header(token)["kid"]
        key = self.jwks()[kid]
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=[key.algorithm_name],
            audience=audience,
            issuer=self.provider.issuer,
            options={"require": ["exp", "iat", "sub"], **options},
        )
        return claims


@dataclass
class RP:
    """A relying party and a browser, both played through Flask's test client."""

    world: World
    client_id: str
    redirect_uri: str = "https://rp1.example.gov.cn/cb"
    browser: FlaskClient = field(init=False)
    verifier: str = ""

    def __post_init__(self) -> None:
        self.browser = self.world.client()

    @property
    def secret(self) -> str:
        return self.world.secrets[self.client_id]

    def authorize(self, **params: str) -> TestResponse:
        self.verifier, challenge = pkce()
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid profile",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        query.update(params)
        return self.browser.get(
            "/authorize", query_string={k: v for k, v in query.items() if v is not None}
        )

    def login(
        self, response: TestResponse, username: str = "zhangsan", password: str = PASSWORD
    ) -> TestResponse:
        assert response.status_code == 303, response.get_data(as_text=True)
        assert response.headers["Location"].startswith("/login")
        page = self.browser.get(response.headers["Location"]).get_data(as_text=True)
        return self.browser.post(
            "/login",
            data={
                "csrf_token": form_field(page, "csrf_token"),
                "interaction": form_field(page, "interaction"),
                "username": username,
                "password": password,
            },
        )

    def consent(self, response: TestResponse, decision: str = "approve") -> TestResponse:
        assert response.status_code == 303, response.get_data(as_text=True)
        assert response.headers["Location"].startswith("/consent")
        page = self.browser.get(response.headers["Location"]).get_data(as_text=True)
        return self.browser.post(
            "/consent",
            data={
                "csrf_token": form_field(page, "csrf_token"),
                "interaction": form_field(page, "interaction"),
                "decision": decision,
            },
        )

    def code(self, response: TestResponse) -> str:
        assert response.status_code == 302, response.get_data(as_text=True)
        params = query_of(response)
        assert "code" in params, params
        return params["code"]

    def token(self, code: str, **extra: str) -> TestResponse:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": self.verifier,
        }
        data.update(extra)
        return self.world.client().post(
            "/token", data=data, headers=basic(self.client_id, self.secret)
        )

    def sign_in(self, username: str = "zhangsan", **params: str) -> dict[str, Any]:
        """The whole dance: authorize, log in, consent if asked, redeem the code."""
        response = self.authorize(**params)
        if response.status_code == 303 and response.headers["Location"].startswith("/login"):
            response = self.login(response, username)
        if response.status_code == 303 and response.headers["Location"].startswith("/consent"):
            response = self.consent(response)
        tokens = self.token(self.code(response))
        assert tokens.status_code == 200, tokens.get_data(as_text=True)
        result: dict[str, Any] = tokens.json  # type: ignore[assignment]
        return result


def build_world(env: dict[str, str]) -> World:
    runtime = build_runtime(load(env), env)
    app = create_app(runtime=runtime)
    app.testing = True
    # The app's own provider: operator actions in tests share its caches, as a change made
    # in the serving process would (other processes see it within their cache periods).
    provider: Provider = app.extensions["idp"].provider
    world = World(app, runtime, provider)
    add_department(
        provider.db, "scjgj", "市场监督管理局", name_en="Market Regulation", now=NOW, actor="test"
    )
    add_department(provider.db, "mzt", "民政厅", name_en="Civil Affairs", now=NOW, actor="test")
    clients = {
        "rp1": (
            "scjgj",
            ClientMetadata(
                name="市场监管业务系统",
                redirect_uris=("https://rp1.example.gov.cn/cb",),
                grant_types=("authorization_code", "refresh_token"),
                scopes=("openid", "profile", "realname", "offline_access"),
            ),
        ),
        "rp2": (
            "scjgj",
            ClientMetadata(
                name="食品经营许可系统",
                redirect_uris=("https://rp2.example.gov.cn/cb",),
                scopes=("openid", "profile"),
            ),
        ),
        "mz1": (
            "mzt",
            ClientMetadata(
                name="婚姻登记系统",
                redirect_uris=("https://mz1.example.gov.cn/cb",),
                scopes=("openid", "profile"),
            ),
        ),
        "svc": (
            "scjgj",
            ClientMetadata(
                name="审批服务",
                grant_types=("client_credentials",),
                scopes=("api:signing", "api:licences"),
            ),
        ),
    }
    for client_id, (department, meta) in clients.items():
        _, secret = provider.clients.create(
            department, meta, now=NOW, actor="test", client_id=client_id
        )
        assert secret
        world.secrets[client_id] = secret
    provider.accounts.add("zhangsan", PASSWORD, "张三", now=NOW, actor="test")
    provider.accounts.add("lisi", PASSWORD, "李四", now=NOW, actor="test", loa=2)
    return world


@pytest.fixture
def world(initialised: dict[str, str]) -> Iterator[World]:
    built = build_world(initialised)
    yield built
    built.runtime.db.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres+redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
    ]
)
def any_world(request: pytest.FixtureRequest, initialised: dict[str, str]) -> Iterator[World]:
    """The world on SQLite alone, and on PostgreSQL with Redis."""
    env = dict(initialised)
    if request.param == "postgres+redis":
        db = request.getfixturevalue("postgres_db")
        env["TONGBAN_DATABASE__URL"] = db.url.render_as_string(hide_password=False)
        env["TONGBAN_REDIS__URL"] = request.getfixturevalue("redis_url")
        env["TONGBAN_REDIS__PREFIX"] = request.getfixturevalue("redis_prefix")
        initialise(env)
    built = build_world(env)
    yield built
    built.runtime.db.dispose()


@pytest.fixture
def rp(world: World) -> RP:
    return RP(world, "rp1")


@pytest.fixture
def make_world(initialised: dict[str, str]) -> Iterator[Any]:
    """Build a world with extra settings, e.g. ``make_world(IDP__REFRESH_GRACE_SECONDS="0")``."""
    built: list[World] = []

    def make(**settings: str) -> World:
        env = dict(initialised)
        env.update({f"TONGBAN_{k}": v for k, v in settings.items()})
        world = build_world(env) if not built else _again(env)
        built.append(world)
        return world

    def _again(env: dict[str, str]) -> World:
        runtime = build_runtime(load(env), env)
        app = create_app(runtime=runtime)
        app.testing = True
        return World(app, runtime, app.extensions["idp"].provider, dict(built[0].secrets))

    yield make
    for world in built:
        world.runtime.db.dispose()
