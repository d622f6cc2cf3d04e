"""A live `tongban serve` for independent, certified relying-party libraries.

The server runs as it does in production: granian workers in their own process group,
answering real HTTP on a free loopback port, with the issuer set to that URL. The
departments, clients and person are made with the Python APIs against the same data
directory before the server starts (the server's caches start empty, so it sees them).

A person "logs in" through :class:`Browser`, which keeps cookies, follows redirects
and fills the login and consent pages by the login page contract of issue 3
(``autocomplete="username"`` / ``"current-password"``, a CSRF token, an approve
button), the way a password manager or a test robot would.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from config.load import load
from idp.clients import ClientMetadata
from idp.clients import issue_registration_token
from idp.departments import add_department
from idp.provider import Provider
from tests.conftest import free_port
from tests.e2e.test_serve import wait_for
from tongban.app import create_app
from tongban.runtime import build_runtime

NOW = datetime.now(UTC)
USERNAME = "wangwu"
PASSWORD = "violet staple horse correct"
NAME = "王五"
DEPARTMENT = "gat"
CALLBACK = "https://rp.example.gov.cn/cb"


# -- the world ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RelyingParty:
    """One registered client, as its relying party knows itself."""

    client_id: str
    redirect_uri: str | None
    secret: str | None = None
    #: The private key, as a JWK with ``kid`` and ``alg``, for private_key_jwt and JAR.
    private_jwk: dict[str, Any] | None = None
    id_token_alg: str = "ES256"
    userinfo_alg: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "client_secret": self.secret,
            "private_jwk": self.private_jwk,
            "id_token_signed_response_alg": self.id_token_alg,
            "userinfo_signed_response_alg": self.userinfo_alg,
        }


@dataclass(frozen=True)
class Live:
    """A running server and what was registered on it."""

    issuer: str
    clients: dict[str, RelyingParty]
    #: An RFC 7591 initial access token for the department, good for a few registrations.
    initial_access_token: str
    log: Path
    username: str = USERNAME
    password: str = PASSWORD


def _rp_key() -> tuple[dict[str, Any], dict[str, Any]]:
    """A fresh ES256 key: the public JWK to register, the private JWK for the RP."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = jwt.algorithms.ECAlgorithm.to_jwk(key, as_dict=True)
    private.update(kid="rp-key-1", alg="ES256")
    public = {k: v for k, v in private.items() if k != "d"}
    public["use"] = "sig"
    return public, private


def build_live_world(env: dict[str, str]) -> tuple[dict[str, RelyingParty], str]:
    """Register a department, its clients and a person with the Python APIs; return the
    clients and an initial access token for dynamic registration."""
    runtime = build_runtime(load(env), env)
    try:
        app = create_app(runtime=runtime)
        provider: Provider = app.extensions["idp"].provider
        add_department(
            provider.db, DEPARTMENT, "公安厅", name_en="Public Security", now=NOW, actor="test"
        )
        public_jwk, private_jwk = _rp_key()
        plan: dict[str, tuple[ClientMetadata, dict[str, Any]]] = {
            # A confidential web client, the usual department system.
            "confidential": (
                ClientMetadata(
                    name="户政业务系统",
                    redirect_uris=(CALLBACK,),
                    grant_types=("authorization_code", "refresh_token"),
                    scopes=("openid", "profile", "offline_access"),
                ),
                {},
            ),
            # A public client (a single-page or native app): no secret, PKCE only.
            "public": (
                ClientMetadata(
                    name="出入境预约小程序",
                    redirect_uris=(CALLBACK,),
                    grant_types=("authorization_code", "refresh_token"),
                    token_endpoint_auth_method="none",
                    scopes=("openid", "profile", "offline_access"),
                ),
                {},
            ),
            # A back-end service: client credentials only, secret in the form body.
            "service": (
                ClientMetadata(
                    name="证照核验服务",
                    grant_types=("client_credentials",),
                    token_endpoint_auth_method="client_secret_post",
                    scopes=("api:licences",),
                ),
                {},
            ),
            # Key-based client authentication (RFC 7523), PAR and request objects.
            "keyed": (
                ClientMetadata(
                    name="交管业务系统",
                    redirect_uris=(CALLBACK,),
                    grant_types=("authorization_code", "refresh_token", "client_credentials"),
                    token_endpoint_auth_method="private_key_jwt",
                    jwks={"keys": [public_jwk]},
                    scopes=("openid", "profile", "offline_access", "api:licences"),
                ),
                {"private_jwk": private_jwk},
            ),
            # RS256 ID tokens and signed userinfo responses.
            "rs256": (
                ClientMetadata(
                    name="户籍档案系统",
                    redirect_uris=(CALLBACK,),
                    scopes=("openid", "profile"),
                    id_token_signed_response_alg="RS256",
                    userinfo_signed_response_alg="RS256",
                ),
                {"id_token_alg": "RS256", "userinfo_alg": "RS256"},
            ),
            # EdDSA (Ed25519) ID tokens and signed userinfo responses.
            "eddsa": (
                ClientMetadata(
                    name="网上办事大厅",
                    redirect_uris=(CALLBACK,),
                    scopes=("openid", "profile"),
                    id_token_signed_response_alg="EdDSA",
                    userinfo_signed_response_alg="EdDSA",
                ),
                {"id_token_alg": "EdDSA", "userinfo_alg": "EdDSA"},
            ),
            # The Python library's own client, so its consent does not depend on test order.
            "pyoidc": (
                ClientMetadata(
                    name="不动产登记系统",
                    redirect_uris=(CALLBACK,),
                    grant_types=("authorization_code", "refresh_token"),
                    scopes=("openid", "profile", "offline_access"),
                ),
                {},
            ),
        }
        clients: dict[str, RelyingParty] = {}
        for client_id, (meta, extra) in plan.items():
            _, secret = provider.clients.create(
                DEPARTMENT, meta, now=NOW, actor="test", client_id=client_id
            )
            clients[client_id] = RelyingParty(
                client_id, meta.redirect_uris[0] if meta.redirect_uris else None, secret, **extra
            )
        provider.accounts.add(USERNAME, PASSWORD, NAME, now=NOW, actor="test")
        token = issue_registration_token(
            provider.db, DEPARTMENT, uses=20, days=1, now=NOW, actor="test"
        )
        return clients, token
    finally:
        runtime.db.dispose()


@pytest.fixture(scope="session")
def live(
    tmp_path_factory: pytest.TempPathFactory, _initialised_template: Path, _master_key: str
) -> Iterator[Live]:
    """`tongban serve` on a free loopback port, its issuer that very URL, in a fresh data
    directory (a copy of the session's `tongban init` template, as ``initialised`` makes)."""
    base = tmp_path_factory.mktemp("conformance")
    data_dir = base / "var"
    shutil.copytree(_initialised_template, data_dir)
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
    env = {
        "TONGBAN_DATA_DIR": str(data_dir),
        "TONGBAN_ISSUER": issuer,
        "TONGBAN_MASTER_KEY": _master_key,  # the template's key, given inline
    }
    clients, initial_access_token = build_live_world(env)
    log_path = base / "serve.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tongban", "serve", "--port", str(port), "--workers", "2"],
        env={**clean, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so teardown reaches the workers
    )
    try:
        wait_for(f"{issuer}/healthz")
        yield Live(issuer, clients, initial_access_token, log_path)
    finally:
        process.terminate()  # granian's main process stops its workers itself
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        log.close()


# -- the browser --------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    inputs: list[dict[str, str]] = field(default_factory=list)
    buttons: list[dict[str, str]] = field(default_factory=list)

    def hidden(self) -> dict[str, str]:
        return {
            i["name"]: i.get("value", "")
            for i in self.inputs
            if i.get("type") == "hidden" and "name" in i
        }

    def by_autocomplete(self, token: str) -> str | None:
        for i in self.inputs:
            if token in i.get("autocomplete", "").split():
                return i.get("name")
        return None


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.forms:
            self.forms[-1].inputs.append(a)
        elif tag == "button" and self.forms:
            self.forms[-1].buttons.append(a)


def forms_of(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


@dataclass(frozen=True)
class Callback:
    """Where the browser was sent back to the relying party."""

    url: str
    #: ``response_mode=form_post``: the fields the browser would post to ``url``.
    form: dict[str, str] | None = None
    pages: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        if self.form is None:
            return {"url": self.url}
        return {"form_post": {"action": self.url, "fields": self.form}}


class Browser:
    """A person with a cookie jar, reaching the relying party's callback from an
    authorization URL by logging in and approving consent when asked."""

    MAX_HOPS = 12

    def __init__(self, live: Live) -> None:
        self.live = live
        self.http = httpx.Client(follow_redirects=False, timeout=10)

    def close(self) -> None:
        self.http.close()

    def visit(self, url: str, *, approve: bool = True) -> Callback:
        pages: list[str] = []
        response = self.http.get(url)
        for _ in range(self.MAX_HOPS):
            here = str(response.url)
            if response.is_redirect:
                target = urljoin(here, response.headers["Location"])
                if not self._ours(target):
                    return Callback(target, pages=tuple(pages))
                response = self.http.get(target)
                continue
            assert response.status_code == 200, f"{here}: {response.status_code} {response.text}"
            forms = forms_of(response.text)
            login = next((f for f in forms if f.by_autocomplete("current-password")), None)
            consent = next(
                (f for f in forms if any(b.get("name") == "decision" for b in f.buttons)), None
            )
            if login is not None:
                pages.append("login")
                data = login.hidden()
                user_field = login.by_autocomplete("username")
                password_field = login.by_autocomplete("current-password")
                assert user_field, "no autocomplete=username input: the page contract is broken"
                assert password_field
                data[user_field] = self.live.username
                data[password_field] = self.live.password
                response = self.http.post(urljoin(here, login.action), data=data)
            elif consent is not None:
                pages.append("consent")
                data = consent.hidden()
                data["decision"] = "approve" if approve else "deny"
                response = self.http.post(urljoin(here, consent.action), data=data)
            elif forms and forms[0].method == "post" and not self._ours(forms[0].action):
                # OAuth 2.0 Form Post Response Mode: a self-submitting form to the client.
                return Callback(forms[0].action, forms[0].hidden(), tuple(pages))
            else:
                raise AssertionError(f"{here}: a page the browser cannot act on:\n{response.text}")
        raise AssertionError("too many hops without reaching the relying party")

    def _ours(self, url: str) -> bool:
        return url == self.live.issuer or url.startswith(self.live.issuer + "/")


@pytest.fixture
def browser(live: Live) -> Iterator[Browser]:
    b = Browser(live)
    yield b
    b.close()
