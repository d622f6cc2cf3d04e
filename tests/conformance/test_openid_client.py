"""panva's openid-client (Node.js, OpenID Certified relying party) against a live server.

The library does everything a relying party does (discovery, PKCE, state, nonce, the
token request, ID token and userinfo validation, refresh, introspection, revocation,
PAR, JAR, private_key_jwt); Python plays only the person's browser. Its Node project
is ``tests/conformance/node``: exact versions in ``package-lock.json``, installed here
with ``npm ci`` when ``node_modules`` is missing or stale. Without Node.js and npm the
tests skip with the reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.conftest import CALLBACK
from tests.conformance.conftest import Browser
from tests.conformance.conftest import Live
from tests.conftest import unavailable

NODE_DIR = Path(__file__).parent / "node"
SCRIPT = NODE_DIR / "rp.mjs"
STAMP = NODE_DIR / "node_modules" / ".tongban-installed"
MIN_NODE = 20
TIMEOUT = 60

pytestmark = pytest.mark.slow


def _lock_digest() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((NODE_DIR / name).read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def node() -> str:
    """The ``node`` binary, with the locked packages installed beside the script."""
    binary, npm = shutil.which("node"), shutil.which("npm")
    if binary is None or npm is None:
        unavailable("Node.js and npm are needed for the openid-client tests and are not installed")
    assert binary is not None
    assert npm is not None
    version = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < MIN_NODE:
        unavailable(f"openid-client needs Node.js {MIN_NODE} or later, found {version}")
    wanted = _lock_digest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            unavailable(f"npm ci failed in {NODE_DIR}: {result.stderr.strip()[-2000:]}")
        STAMP.write_text(wanted)
    return binary


def run_rp(
    node: str, live: Live, browser: Browser, scenario: str, client_id: str | None
) -> list[dict[str, Any]]:
    """Run one scenario of ``rp.mjs``; do the browser part it asks for; return its steps."""
    process = subprocess.Popen(
        [node, str(SCRIPT)],
        cwd=NODE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    watchdog = threading.Timer(TIMEOUT, process.kill)
    watchdog.start()
    assert process.stdin is not None
    assert process.stdout is not None
    steps: list[dict[str, Any]] = []
    failure: dict[str, Any] | None = None
    try:
        order = {
            "scenario": scenario,
            "issuer": live.issuer,
            "client": live.clients[client_id].as_json() if client_id else None,
            "initial_access_token": live.initial_access_token,
            "callback": CALLBACK,
        }
        process.stdin.write(json.dumps(order) + "\n")
        process.stdin.flush()
        for line in process.stdout:
            message = json.loads(line)
            kind = message["type"]
            if kind == "authorize":
                callback = browser.visit(message["url"], approve=message["approve"])
                process.stdin.write(json.dumps(callback.as_json()) + "\n")
                process.stdin.flush()
            elif kind == "step":
                steps.append(message)
                print(f"openid-client {scenario}/{message['step']}: ok")
                for who in ("library", "own"):
                    for rule in message[who]:
                        print(f"    [{who}] {rule}")
            elif kind == "fail":
                failure = message
            elif kind == "done":
                break
        process.stdin.close()
        process.wait(10)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read() if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    process.stdout.close()
    if failure is not None or process.returncode != 0:
        done = ", ".join(s["step"] for s in steps) or "none"
        log = live.log.read_text(errors="replace")[-3000:]
        pytest.fail(
            f"openid-client, scenario {scenario!r}: step {failure and failure['step']!r} failed\n"
            f"  error: {failure and failure['error']}\n"
            f"  code: {failure and failure.get('code')}\n"
            f"  detail: {failure and failure.get('detail')}\n"
            f"  steps passed: {done}\n"
            f"  node stderr: {stderr.strip()[-2000:]}\n"
            f"  server log (tail):\n{log}",
            pytrace=False,
        )
    return steps


def names(steps: list[dict[str, Any]]) -> list[str]:
    return [s["step"] for s in steps]


def test_code_flow_with_refresh_introspection_and_revocation(
    node: str, live: Live, browser: Browser
) -> None:
    steps = run_rp(node, live, browser, "confidential", "confidential")
    assert names(steps) == [
        "discovery",
        "authorization_code",
        "userinfo",
        "refresh_token",
        "introspection",
        "revocation",
    ]


def test_form_post_response_mode(node: str, live: Live, browser: Browser) -> None:
    assert names(run_rp(node, live, browser, "form_post", "confidential")) == ["form_post"]


def test_public_client(node: str, live: Live, browser: Browser) -> None:
    steps = run_rp(node, live, browser, "public", "public")
    assert names(steps) == [
        "authorization_code",
        "userinfo",
        "refresh_token",
        "introspection_refused",
        "code_reuse",
        "par",
        "without_state_and_nonce",
    ]


def test_error_responses_carry_state_and_iss(node: str, live: Live, browser: Browser) -> None:
    steps = run_rp(node, live, browser, "errors", "confidential")
    assert names(steps) == [
        "prompt_none_without_session",
        "pkce_plain_refused",
        "pkce_missing_refused",
        "response_type_refused",
        "consent_denied",
    ]


def test_client_credentials_with_client_secret_post(
    node: str, live: Live, browser: Browser
) -> None:
    steps = run_rp(node, live, browser, "service", "service")
    assert names(steps) == ["client_credentials", "introspection_and_revocation"]


def test_private_key_jwt_par_and_request_objects(node: str, live: Live, browser: Browser) -> None:
    steps = run_rp(node, live, browser, "keyed", "keyed")
    assert names(steps) == [
        "par",
        "userinfo",
        "refresh_token",
        "jar",
        "jar_and_par",
        "client_credentials",
    ]


@pytest.mark.parametrize("client_id", ["rs256", "eddsa"])
def test_other_signing_algorithms_and_signed_userinfo(
    node: str, live: Live, browser: Browser, client_id: str
) -> None:
    steps = run_rp(node, live, browser, "signed", client_id)
    assert names(steps) == ["authorization_code", "signed_userinfo"]


def test_dynamic_client_registration(node: str, live: Live, browser: Browser) -> None:
    steps = run_rp(node, live, browser, "registration", None)
    assert names(steps) == [
        "register",
        "registered_client_signs_in",
        "register_minimal",
        "minimal_client_signs_in",
    ]
