"""The Flask app through its test client: health, errors, languages, headers, logs."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.errors import TongbanError
from config.load import load
from config.settings import Settings
from store.db import Database
from tongban.app import create_app
from tongban.logs import JSONFormatter
from tongban.logs import RequestIdFilter
from tongban.runtime import Runtime
from tongban.runtime import build_runtime


class CapturedLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(JSONFormatter())
        self.addFilter(RequestIdFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    handler = CapturedLog()
    logger = logging.getLogger("tongban")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_healthz_says_alive(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "alive"}


def test_readyz_checks_every_dependency(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok", "ephemeral": "ok", "keys": "ok"},
    }


def test_readyz_names_a_database_that_is_down_without_its_address(
    settings: Settings, initialised: dict[str, str]
) -> None:
    from tests.conftest import free_port

    env = {
        **initialised,
        "TONGBAN_DATABASE__URL": f"postgresql+psycopg://u:pw@127.0.0.1:{free_port()}/x",
        "TONGBAN_DATABASE__CONNECT_TIMEOUT": "1",
    }
    app = create_app(runtime=build_runtime(load(env), env))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "database_unavailable"
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_readyz_names_a_schema_that_is_behind(
    initialised: dict[str, str], tmp_path: object
) -> None:
    env = {**initialised, "TONGBAN_DATABASE__URL": f"sqlite:///{tmp_path}/blank.sqlite3"}
    app = create_app(runtime=build_runtime(load(env), env))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["schema"] == "schema_out_of_date"


@pytest.mark.redis
def test_redis_going_away_makes_readyz_fail_and_keeps_the_database(
    initialised: dict[str, str], own_redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, process = own_redis
    env = {**initialised, "TONGBAN_REDIS__URL": url, "TONGBAN_REDIS__TIMEOUT": "0.5"}
    runtime = build_runtime(load(env), env)
    client = create_app(runtime=runtime).test_client()
    assert client.get("/readyz").status_code == 200
    process.terminate()
    process.wait(5)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {
        "database": "ok",
        "schema": "ok",
        "ephemeral": "ephemeral_store_unavailable",
        "keys": "ok",
    }
    # Durable data untouched: next + active per purpose (three OIDC, three of the CA).
    assert runtime.keys.check() == 12


def test_pages_carry_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # development


def test_production_adds_hsts_and_secure_cookies(initialised: dict[str, str]) -> None:
    env = {
        **initialised,
        "TONGBAN_MODE": "production",
        "TONGBAN_SMS__KIND": "off",
        "TONGBAN_ISSUER": "https://id.example",
        "TONGBAN_SECRET_KEY": "p" * 40,
    }
    app = create_app(runtime=build_runtime(load(env), env))
    response = app.test_client().get("/?lang=en")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert "Secure" in response.headers["Set-Cookie"]
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_home_page_is_chinese_first_and_switches_to_english(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "一网通办" in page
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "lang=en" in english.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)  # the cookie sticks


def test_browser_language_is_honoured(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_not_found_is_a_localized_page_for_browsers(client: FlaskClient) -> None:
    response = client.get("/missing", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "找不到您要访问的页面" in response.get_data(as_text=True)
    english = client.get("/missing?lang=en", headers={"Accept": "text/html"})
    assert "does not exist" in english.get_data(as_text=True)


def test_programs_get_problem_details(client: FlaskClient) -> None:
    response = client.get("/api/nothing")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == 404
    assert body["type"] == "about:blank"
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_method_not_allowed_lists_the_allowed_ones(client: FlaskClient) -> None:
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


class InputError(TongbanError):
    code = "bad_licence_number"
    http_status = 400
    expose = True


class InternalProblem(TongbanError):
    code = "upstream_broken"
    http_status = 502


@pytest.fixture
def app_with_faults(app: Flask) -> Flask:
    @app.get("/boom")
    def boom() -> str:
        raise ValueError("secret internals for 110101199003078515")

    @app.get("/input")
    def bad_input() -> str:
        raise InputError("licence number must be 18 characters")

    @app.get("/upstream")
    def upstream() -> str:
        raise InternalProblem("registry at 10.1.2.3 said no", detail="raw reply")

    @app.post("/upload")
    def upload() -> str:
        from flask import request

        return str(len(request.get_data()))

    return app


def test_unexpected_errors_are_a_generic_500_and_logged_redacted(
    app_with_faults: Flask, log_lines: list[str]
) -> None:
    response = app_with_faults.test_client().get("/boom", headers={"Accept": "text/html"})
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body
    assert "Traceback" not in body
    assert response.headers["X-Request-ID"] in body
    logged = "\n".join(log_lines)
    assert "ValueError" in logged
    assert "1101**********8515" in logged
    assert "110101199003078515" not in logged


def test_input_errors_show_their_message_others_do_not(app_with_faults: Flask) -> None:
    client = app_with_faults.test_client()
    shown = client.get("/input", headers={"Accept": "application/json"})
    assert shown.status_code == 400
    assert shown.json["code"] == "bad_licence_number"
    assert shown.json["detail"] == "licence number must be 18 characters"
    hidden = client.get("/upstream", headers={"Accept": "application/json"})
    assert hidden.status_code == 502
    assert "10.1.2.3" not in hidden.get_data(as_text=True)


def test_oversized_bodies_are_refused(initialised: dict[str, str]) -> None:
    env = {**initialised, "TONGBAN_SERVER__MAX_BODY_BYTES": "2048"}
    app = create_app(runtime=build_runtime(load(env), env))

    @app.post("/upload")
    def upload() -> str:
        from flask import request

        return str(len(request.get_data()))

    client = app.test_client()
    assert client.post("/upload", data=b"x" * 100).get_data(as_text=True) == "100"
    assert client.post("/upload", data=b"x" * 5000).status_code == 413


def test_request_ids_are_reused_when_well_formed_and_replaced_otherwise(
    client: FlaskClient,
) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"}).headers["X-Request-ID"]
        == "lb-1234abcd"
    )
    replaced = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert replaced.headers["X-Request-ID"] != "<script>alert(1)</script>"
    assert len(replaced.headers["X-Request-ID"]) == 16


def test_access_log_has_the_path_but_never_the_query(
    client: FlaskClient, log_lines: list[str]
) -> None:
    client.get("/healthz?code=SECRET-CODE&id=110101199003078515")
    entries = [json.loads(line) for line in log_lines if '"tongban.access"' in line]
    assert entries, log_lines
    entry = entries[-1]
    assert entry["path"] == "/healthz"
    assert entry["status"] == 200
    assert "SECRET-CODE" not in json.dumps(entry)
    assert entry["request_id"]


def test_metrics_count_requests(client: FlaskClient) -> None:
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'tongban_http_requests_total{endpoint="/healthz",method="GET",status="200"}' in text
    assert "tongban_http_request_seconds_bucket" in text


def test_runtime_is_reachable_from_the_app(app: Flask, runtime: Runtime) -> None:
    from tongban.runtime import runtime as current_runtime

    with app.app_context():
        assert current_runtime() is runtime
        assert isinstance(current_runtime().db, Database)
