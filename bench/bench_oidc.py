"""OpenID Connect provider throughput per core: client_credentials and the SSO hop.

The server (`tongban serve`, one granian worker) is pinned to core 0 with taskset and
wrk, the load generator, to core 1, so each figure is what one core serves. Each is
printed beside the raw ES256 sign rate measured on core 0 in the same run:

* client_credentials: one ES256 signature (the access token) per request;
* SSO hop: GET /authorize with a live session → 302 with a code → POST /token, which
  signs two tokens (access and ID token); hops/s counts completed token responses.

Runs on SQLite (the embedded default) and on PostgreSQL + Redis when they are
reachable (TONGBAN_BENCH_POSTGRES_URL / TONGBAN_BENCH_REDIS_URL, defaults as in tests).
Usage: python bench/bench_oidc.py [--seconds 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import table  # noqa: E402

from config.load import load  # noqa: E402
from idp.acr import acr_for  # noqa: E402
from idp.clients import ClientMetadata  # noqa: E402
from idp.departments import add_department  # noqa: E402
from idp.provider import Provider  # noqa: E402
from keys.master import generate_master_key  # noqa: E402
from tongban.bootstrap import initialise  # noqa: E402
from tongban.runtime import build_runtime  # noqa: E402

REDIRECT = "https://bench-rp.example.gov.cn/cb"
VERIFIER = secrets.token_urlsafe(48)
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
)

CC_LUA = """
wrk.method = "POST"
wrk.path = "/token"
wrk.body = "grant_type=client_credentials&scope=api%3Abench"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic {basic}"
"""

HOP_LUA = """
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) hops = 0; failures = 0; codes = {{}} end
request = function()
  local code = table.remove(codes)
  if code == nil then
    return wrk.format("GET", "{authorize}", {{["Cookie"] = "tb_sid={sid}"}})
  end
  return wrk.format("POST", "/token", {{["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic {basic}"}},
    "grant_type=authorization_code&code=" .. code .. "&redirect_uri={redirect}&code_verifier={verifier}")
end
response = function(status, headers, body)
  if status == 302 then
    local code = string.match(headers["Location"] or headers["location"] or "", "code=([^&]+)")
    if code then table.insert(codes, code) else failures = failures + 1 end
  elseif status == 200 then
    hops = hops + 1
  else
    failures = failures + 1
  end
end
function done(summary, latency, requests)
  local total, bad = 0, 0
  for _, t in ipairs(threads) do total = total + t:get("hops"); bad = bad + t:get("failures") end
  io.write(string.format("HOPS %d FAILURES %d\\n", total, bad))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare(env: dict[str, str]) -> dict[str, str]:
    """Initialise a data directory with a department, two clients, a person and a session."""
    initialise(env)
    runtime = build_runtime(load(env), env)
    provider = Provider(runtime)
    now = datetime.now(UTC)
    add_department(provider.db, "bench", "压测部门", name_en=None, now=now, actor="bench")
    _, svc_secret = provider.clients.create(
        "bench",
        ClientMetadata(
            name="bench api", grant_types=("client_credentials",), scopes=("api:bench",)
        ),
        now=now,
        actor="bench",
        client_id="bench-svc",
    )
    _, rp_secret = provider.clients.create(
        "bench",
        ClientMetadata(
            name="bench rp",
            redirect_uris=(REDIRECT,),
            scopes=("openid", "profile"),
            first_party=True,
        ),
        now=now,
        actor="bench",
        client_id="bench-rp",
    )
    person = provider.accounts.add("bench", "bench password 123", "压测", now=now, actor="bench")
    session = provider.sessions.create(
        person.id, acr=acr_for(1, ("pwd",)), amr=("pwd",), now=int(time.time())
    )
    runtime.db.dispose()
    return {
        "svc": base64.b64encode(f"bench-svc:{svc_secret}".encode()).decode(),
        "rp": base64.b64encode(f"bench-rp:{rp_secret}".encode()).decode(),
        "sid": session.sid,
    }


@contextmanager
def server(env: dict[str, str], port: int, threads: int) -> Any:
    log = open(Path(env["TONGBAN_DATA_DIR"]) / "serve.log", "w")  # noqa: SIM115
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
    process = subprocess.Popen(
        [
            "taskset",
            "-c",
            "0",
            sys.executable,
            "-m",
            "tongban",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            str(threads),
        ],
        env={**clean, **env, "TONGBAN_LOG__ACCESS": "false", "TONGBAN_LOG__LEVEL": "WARNING"},
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("server did not start; see serve.log") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(15)
        log.close()


def run_wrk(script: str, url: str, connections: int, seconds: float) -> tuple[float, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        path = handle.name
    try:
        out = subprocess.run(
            [
                "taskset",
                "-c",
                "1",
                "wrk",
                "-t",
                "1",
                "-c",
                str(connections),
                "-d",
                f"{max(1, round(seconds))}s",
                "--latency",
                "-s",
                path,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(path)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    if "HOPS" not in out and "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"failed requests during the run:\n{out}")
    return rate, out


def raw_es256_rate() -> float:
    """ES256 signatures per second on core 0, with cryptography alone."""
    program = (
        "import time\nfrom cryptography.hazmat.primitives import hashes\n"
        "from cryptography.hazmat.primitives.asymmetric import ec\n"
        "k = ec.generate_private_key(ec.SECP256R1()); d = b'x' * 300; n = 0\n"
        "t = time.perf_counter()\n"
        "while time.perf_counter() - t < 1.0:\n"
        "    k.sign(d, ec.ECDSA(hashes.SHA256())); n += 1\n"
        "print(n / (time.perf_counter() - t))\n"
    )
    out = subprocess.run(
        ["taskset", "-c", "0", sys.executable, "-c", program],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out)


def measure(
    label: str, env: dict[str, str], seconds: float, rounds: int, threads: int
) -> list[list[str]]:
    creds = prepare(env)
    rows: list[list[str]] = []
    port = free_port()
    with server(env, port, threads) as url:
        cc = CC_LUA.format(basic=creds["svc"])
        authorize = (
            "/authorize?response_type=code&client_id=bench-rp&scope=openid%20profile"
            f"&redirect_uri={REDIRECT}&code_challenge={CHALLENGE}"
            "&code_challenge_method=S256&prompt=none&state=s"
        )
        hop = HOP_LUA.format(
            authorize=authorize,
            sid=creds["sid"],
            basic=creds["rp"],
            redirect=REDIRECT,
            verifier=VERIFIER,
        )
        run_wrk(cc, url, 2, 1)  # warm up: caches, connections, JIT-free but lazy imports
        run_wrk(hop, url, 2, 1)
        for connections in (2, 16):
            raw = raw_es256_rate()
            cc_rates = [run_wrk(cc, url, connections, seconds)[0] for _ in range(rounds)]
            hop_rates = []
            for _ in range(rounds):
                _, out = run_wrk(hop, url, connections, seconds)
                found = re.search(r"HOPS (\d+) FAILURES (\d+)", out)
                assert found, out
                hops, failures = int(found.group(1)), int(found.group(2))
                if failures:
                    raise RuntimeError(f"{failures} failed requests in the SSO hop run")
                hop_rates.append(hops / seconds)
            cc_rate, hop_rate = statistics.median(cc_rates), statistics.median(hop_rates)
            rows.append(
                [
                    label,
                    str(connections),
                    f"{cc_rate:,.0f}",
                    f"{hop_rate:,.0f}",
                    f"{raw:,.0f}",
                    f"{cc_rate / raw:.1%}",
                    f"{2 * hop_rate / raw:.1%}",
                ]
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4, help="granian threads per worker")
    args = parser.parse_args()
    if not shutil.which("wrk") or not shutil.which("taskset"):
        raise SystemExit("needs wrk and taskset (apt-get install wrk util-linux)")
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = {"TONGBAN_MASTER_KEY": generate_master_key()}
        rows += measure(
            "SQLite",
            {**base, "TONGBAN_DATA_DIR": f"{tmp}/sqlite"},
            args.seconds,
            args.rounds,
            args.threads,
        )
        pg = postgres_database()
        if pg is not None:
            url, drop = pg
            env = {
                **base,
                "TONGBAN_DATA_DIR": f"{tmp}/pg",
                "TONGBAN_DATABASE__URL": url,
                "TONGBAN_REDIS__URL": os.environ.get(
                    "TONGBAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"
                ),
                "TONGBAN_REDIS__PREFIX": f"tongban-bench:{secrets.token_hex(4)}:",
            }
            try:
                rows += measure("PostgreSQL+Redis", env, args.seconds, args.rounds, args.threads)
            finally:
                drop()
    print(
        "OpenID Connect provider, one core (server on CPU 0, wrk on CPU 1), median of "
        f"{args.rounds} × {args.seconds:g} s"
    )
    print(
        table(
            [
                "backend",
                "conns",
                "client_credentials/s",
                "SSO hops/s",
                "raw ES256 sign/s",
                "cc of raw",
                "hop signatures of raw",
            ],
            rows,
        )
    )
    print("Targets: ≥ 1,000 client_credentials/s and ≥ 300 SSO hops/s per core.")


def postgres_database() -> tuple[str, Any] | None:
    from sqlalchemy import create_engine
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    admin_url = os.environ.get(
        "TONGBAN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    name = f"tongban_bench_{secrets.token_hex(4)}"
    admin = create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"(PostgreSQL not reachable, skipped: {type(exc).__name__})")
        return None

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


if __name__ == "__main__":
    main()
