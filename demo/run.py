"""`make demo`: Tongban on :8000 and two department systems on :8001 and :8002
(`DEMO_FEDERATION=1 make demo`: also a second Tongban on localhost:8010 as the upstream
provider people can log in through).

Seeds (once, idempotently) two departments, their demo clients, two demo people and
their documents (see ``demo/documents.py``), then runs the three servers until Ctrl-C. Everything lives in $TONGBAN_DATA_DIR (./var).
The browser tests start the same stack on free ports with :func:`start_stack`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.load import load  # noqa: E402
from demo.documents import IDENTITIES  # noqa: E402
from demo.documents import seed_documents  # noqa: E402
from idp.clients import ClientMetadata  # noqa: E402
from idp.departments import add_department  # noqa: E402
from idp.departments import list_departments  # noqa: E402
from idp.errors import ClientNotFound  # noqa: E402
from idp.errors import Conflict  # noqa: E402
from idp.identity.documents import parse_document  # noqa: E402
from idp.identity.documents import resident_id_check_char  # noqa: E402
from idp.provider import Provider  # noqa: E402
from tongban.bootstrap import initialise  # noqa: E402
from tongban.runtime import build_runtime  # noqa: E402

PASSWORD = "tongban-demo-2026"
PEOPLE = [("zhangsan", "张三"), ("lisi", "李四")]


@dataclass(frozen=True)
class System:
    client_id: str
    department: str
    department_name: str
    name: str
    port: int
    color: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


SYSTEMS = (
    System("demo-scjg", "scjgj", "市场监督管理局", "市场监督管理局 · 企业开办", 8001, "#0b4a8b"),
    System("demo-mzt", "mzt", "民政厅", "民政厅 · 社会救助", 8002, "#1b6e3b"),
)


def seed(env: Mapping[str, str], systems: tuple[System, ...]) -> dict[str, str]:
    """Create what is missing; return each demo client's secret (kept in the data dir)."""
    settings = load(env)
    runtime = build_runtime(settings, env)
    provider = Provider(runtime)
    now = datetime.now(UTC)
    known = {d.id for d in list_departments(provider.db)}
    secrets_file = settings.data_dir / "demo-clients.json"
    saved: dict[str, str] = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
    for system in systems:
        if system.department not in known:
            add_department(
                provider.db,
                system.department,
                system.department_name,
                name_en=None,
                now=now,
                actor="demo",
            )
            known.add(system.department)
        meta = ClientMetadata(
            name=system.name,
            redirect_uris=(f"{system.base}/callback",),
            post_logout_redirect_uris=(f"{system.base}/",),
            scopes=("openid", "profile", "realname"),
            backchannel_logout_uri=f"{system.base}/backchannel-logout",
        )
        try:
            provider.clients.get(system.client_id)
            if system.client_id not in saved:
                saved[system.client_id] = provider.clients.rotate_secret(
                    system.client_id, now=now, actor="demo"
                )
        except ClientNotFound:
            _, secret = provider.clients.create(
                system.department, meta, now=now, actor="demo", client_id=system.client_id
            )
            saved[system.client_id] = secret or ""
    fd = os.open(secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(saved, handle)
    for username, name in PEOPLE:
        with contextlib.suppress(Conflict):
            provider.accounts.add(username, PASSWORD, name, now=now, actor="demo")
    seed_documents(runtime, provider)
    runtime.db.dispose()
    return saved


# -- an upstream provider (federation) ----------------------------------------------------------

#: The upstream's client for the Tongban it federates to.
UPSTREAM_CLIENT = "demo-federation"
#: A person known only to the upstream, verified there (level 2).
UPSTREAM_PERSON = ("wangwu", "王五")
UPSTREAM_PORT = 8010


def demo_id_number() -> str:
    body = "44030519851120211"
    return body + resident_id_check_char(body)


def seed_upstream(env: Mapping[str, str], downstream_issuer: str) -> str:
    """Seed a second Tongban as the upstream provider: a client for the downstream (may
    receive ID numbers; first-party, so no consent page there) and one verified person.
    Returns the client's secret (rotated when the client exists already)."""
    settings = load(env)
    runtime = build_runtime(settings, env)
    provider = Provider(runtime)
    now = datetime.now(UTC)
    if "gjzwfw" not in {d.id for d in list_departments(provider.db)}:
        add_department(
            provider.db, "gjzwfw", "国家政务服务平台", name_en=None, now=now, actor="demo"
        )
    meta = ClientMetadata(
        name="通办（省级）",
        redirect_uris=(f"{downstream_issuer}/login/upstream/callback",),
        scopes=("openid", "profile", "realname", "idnumber", "phone"),
        allow_id_number=True,
        first_party=True,
    )
    try:
        provider.clients.get(UPSTREAM_CLIENT)
        secret = provider.clients.rotate_secret(UPSTREAM_CLIENT, now=now, actor="demo")
    except ClientNotFound:
        _, created = provider.clients.create(
            "gjzwfw", meta, now=now, actor="demo", client_id=UPSTREAM_CLIENT
        )
        secret = created or ""
    username, name = UPSTREAM_PERSON
    document = parse_document("resident_id", demo_id_number(), today=now.date())
    with contextlib.suppress(Conflict):
        provider.accounts.add(
            username, PASSWORD, name, now=now, actor="demo", document=document, verified_by="demo"
        )
    runtime.db.dispose()
    return secret


def federation_env(upstream_issuer: str, secret: str) -> dict[str, str]:
    """The downstream's settings for logging in through the upstream."""
    return {
        "TONGBAN_FEDERATION__ISSUER": upstream_issuer,
        "TONGBAN_FEDERATION__CLIENT_ID": UPSTREAM_CLIENT,
        "TONGBAN_FEDERATION__CLIENT_SECRET": secret,
    }


def start_upstream(
    env: Mapping[str, str], data_dir: Path, port: int, downstream_issuer: str
) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """Initialise (once) and start the upstream Tongban on ``localhost:port``; return
    the process and the settings the downstream needs. ``localhost``, not 127.0.0.1:
    browsers keep cookies per host name, not per port, and the two instances use the
    same cookie names."""
    issuer = f"http://localhost:{port}"
    upstream_env = {
        **{k: v for k, v in env.items() if not k.startswith("TONGBAN_")},
        "TONGBAN_DATA_DIR": str(data_dir),
        "TONGBAN_ISSUER": issuer,
        "TONGBAN_SERVER__PORT": str(port),
    }
    initialise(upstream_env)
    secret = seed_upstream(upstream_env, downstream_issuer)
    return start_tongban(upstream_env, port), federation_env(issuer, secret)


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 (loopback)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up") from None
            time.sleep(0.2)


def start_tongban(env: Mapping[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tongban", "serve", "--port", str(port)], cwd=ROOT, env=dict(env)
    )
    wait_for(f"http://127.0.0.1:{port}/healthz")
    return process


def start_department(
    system: System, other: System | None, issuer: str, secret: str, cookie_key: str | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DEMO_NAME": system.name,
        "DEMO_COLOR": system.color,
        "DEMO_ISSUER": issuer,
        "DEMO_BASE_URL": system.base,
        "DEMO_CLIENT_ID": system.client_id,
        "DEMO_CLIENT_SECRET": secret,
    }
    if other is not None:
        env.update(DEMO_OTHER_URL=f"{other.base}/", DEMO_OTHER_NAME=other.name)
    if cookie_key:
        env["DEMO_SECRET"] = cookie_key
    process = subprocess.Popen([sys.executable, str(ROOT / "demo" / "department_app.py")], env=env)
    wait_for(f"{system.base}/")
    return process


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def main() -> None:
    env = dict(os.environ)
    issuer = load(env).issuer
    port = int(issuer.rsplit(":", 1)[-1]) if issuer.count(":") == 2 else 8000
    secrets = seed(env, SYSTEMS)
    children: list[subprocess.Popen[bytes]] = []
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        upstream_line = ""
        if os.environ.get("DEMO_FEDERATION") == "1":
            # A second Tongban as the upstream provider (国家政务服务平台 in the demo).
            upstream, settings = start_upstream(
                env, load(env).data_dir / "upstream", UPSTREAM_PORT, issuer
            )
            children.append(upstream)
            env.update(settings)
            upstream_line = (
                f"\n  Upstream provider (federation) {settings['TONGBAN_FEDERATION__ISSUER']}"
                f"  person {UPSTREAM_PERSON[0]} ({UPSTREAM_PERSON[1]}), same password: log in "
                f"with the 使用 国家政务服务平台 登录 button"
            )
        children.append(start_tongban(env, port))
        first, second = SYSTEMS
        children.append(start_department(first, second, issuer, secrets[first.client_id]))
        children.append(start_department(second, first, issuer, secrets[second.client_id]))
        print(
            f"""
  通办 Tongban demo
  ─────────────────
  Tongban (identity provider)   {issuer}
  {first.name:<28} {first.base}/
  {second.name:<28} {second.base}/

  Demo accounts (password {PASSWORD}):  {", ".join(f"{u} ({n})" for u, n in PEOPLE)}{upstream_line}

  Log in at one system, open the other: you are logged in. Log out at either: both end.
  张三 is real-name verified and heads a company: its licence and his approval are in
  {issuer}/me/ . 李四 is not: verify at {issuer}/account/realname with
  name 李四 and ID number {IDENTITIES["lisi"][1]} (the demo registry). SMS codes: {issuer}/dev/sms
  Ctrl-C stops everything.
""",
            flush=True,
        )
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(children)


if __name__ == "__main__":
    main()
