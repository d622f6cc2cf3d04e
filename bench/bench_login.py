"""Password logins per core beside the raw Argon2id verify rate, and real-name checks.

Login: the whole form post, as a browser sends it — CSRF token checked, the throttle's
counters read and cleared, Argon2id verified with the production parameters
(``idp.argon2_memory_kib`` / ``idp.argon2_iterations``, default 19 MiB / 2 passes /
1 lane), a browser session created in the ephemeral store, a 303 redirect. The server
(`tongban serve`, one granian worker) runs on core 0 with taskset and wrk on core 1, so
the figure is what one core serves; the raw Argon2id verify rate of the same parameters
is measured on core 0 in the same run. Targets: login ≥ 80 % of the raw rate and
≥ 30 logins/s per core.

Real-name checks: name + resident ID number against the ``local`` registry holding
``--registry-rows`` persons, in-process on core 0: the registry lookup alone (keyed
hash + indexed SELECT) and the whole check the pages run (with its audit record).

Runs on SQLite and, when reachable, PostgreSQL + Redis (as bench_oidc.py).
Usage: python bench/bench_login.py [--seconds 5] [--rounds 3] [--registry-rows 20000]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import table  # noqa: E402
from bench_oidc import free_port  # noqa: E402
from bench_oidc import postgres_database  # noqa: E402
from bench_oidc import run_wrk  # noqa: E402
from bench_oidc import server  # noqa: E402

from config.load import load  # noqa: E402
from idp.identity.documents import parse_document  # noqa: E402
from idp.identity.documents import resident_id_check_char  # noqa: E402
from idp.provider import Provider  # noqa: E402
from idp.registry.importer import import_persons  # noqa: E402
from keys.master import generate_master_key  # noqa: E402
from tongban.bootstrap import initialise  # noqa: E402
from tongban.runtime import build_runtime  # noqa: E402

USERNAME = "bench"
PASSWORD = "plum blossom in winter"  # noqa: S105 (the benchmark account)

LOGIN_LUA = """
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; bad = 0 end
wrk.method = "POST"
wrk.path = "/login"
wrk.body = "{body}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "{cookie}"
response = function(status, headers, body)
  if status == 303 then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local total, failed = 0, 0
  for _, t in ipairs(threads) do total = total + t:get("ok"); failed = failed + t:get("bad") end
  io.write(string.format("LOGINS %d FAILURES %d\\n", total, failed))
end
"""


def rid(rng: random.Random) -> str:
    body = "110105" + f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += f"{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def prepare(env: dict[str, str]) -> None:
    initialise(env)
    runtime = build_runtime(load(env), env)
    provider = Provider(runtime)
    provider.accounts.add(USERNAME, PASSWORD, "压测", now=datetime.now(UTC), actor="bench")
    runtime.db.dispose()


def login_form(url: str) -> tuple[str, str]:
    """(form body, Cookie header) of a browser that opened the login page."""
    with urllib.request.urlopen(f"{url}/login", timeout=10) as response:  # noqa: S310 (loopback)
        html = response.read().decode()
        cookies = [value.split(";", 1)[0] for value in response.headers.get_all("Set-Cookie") or []]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token, "no CSRF token on the login page"
    body = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "username": USERNAME, "password": PASSWORD}
    )
    return body, "; ".join(cookies)


def raw_argon2_rate(memory_kib: int, iterations: int, seconds: float) -> float:
    """Argon2id verifications per second on core 0 with argon2-cffi alone."""
    program = (
        "import time\nfrom argon2 import PasswordHasher, Type\n"
        f"h = PasswordHasher(time_cost={iterations}, memory_cost={memory_kib}, parallelism=1, "
        "hash_len=32, salt_len=16, type=Type.ID)\n"
        f"s = h.hash({PASSWORD!r}); n = 0; t = time.perf_counter()\n"
        f"while time.perf_counter() - t < {seconds}:\n"
        f"    h.verify(s, {PASSWORD!r}); n += 1\n"
        "print(n / (time.perf_counter() - t))\n"
    )
    out = subprocess.run(
        ["taskset", "-c", "0", sys.executable, "-c", program],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out)


def measure_logins(
    label: str, env: dict[str, str], seconds: float, rounds: int, threads: int
) -> list[list[str]]:
    prepare(env)
    settings = load(env)
    memory, passes = settings.idp.argon2_memory_kib, settings.idp.argon2_iterations
    rows = []
    with server(env, free_port(), threads) as url:
        body, cookie = login_form(url)
        script = LOGIN_LUA.format(body=body, cookie=cookie)
        run_wrk(script, url, 2, 1)  # warm up
        for connections in (1, 4):
            raw = statistics.median(raw_argon2_rate(memory, passes, 2) for _ in range(rounds))
            rates = []
            for _ in range(rounds):
                _, out = run_wrk(script, url, connections, seconds)
                found = re.search(r"LOGINS (\d+) FAILURES (\d+)", out)
                assert found, out
                if int(found.group(2)):
                    raise RuntimeError(f"{found.group(2)} logins failed:\n{out}")
                rates.append(int(found.group(1)) / seconds)
            rate = statistics.median(rates)
            rows.append(
                [
                    label,
                    f"{memory // 1024} MiB / {passes}",
                    str(connections),
                    f"{rate:,.1f}",
                    f"{raw:,.1f}",
                    f"{rate / raw:.0%}",
                ]
            )
    return rows


def measure_registry(
    label: str, env: dict[str, str], rows_wanted: int, seconds: float
) -> list[str]:
    """Real-name checks per second in this process, pinned to core 0."""
    initialise(env)
    runtime = build_runtime(load(env), env)
    provider = Provider(runtime)
    rng = random.Random(7)
    numbers = sorted({rid(rng) for _ in range(rows_wanted)})
    csv_path = Path(env["TONGBAN_DATA_DIR"]) / "persons.csv"
    csv_path.write_text(
        "name,id_number\n" + "".join(f"测试{i},{n}\n" for i, n in enumerate(numbers)),
        encoding="utf-8",
    )
    started = time.perf_counter()
    report = import_persons(runtime.db, runtime.pii, csv_path, now=datetime.now(UTC))
    import_seconds = time.perf_counter() - started
    os.sched_setaffinity(0, {0})
    today = date.today()
    docs = [
        (f"测试{i}", parse_document("resident_id", n, today=today)) for i, n in enumerate(numbers)
    ]
    registry, realnames = provider.registry, provider.realnames

    def loop(check: object) -> float:
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            name, doc = docs[rng.randrange(len(docs))]
            check(name, doc)  # type: ignore[operator]
            count += 1
        return count / (time.perf_counter() - start)

    lookups = loop(lambda name, doc: registry.verify_person(name, doc))
    checks = loop(
        lambda name, doc: realnames.check(
            name, doc, now=datetime.now(UTC), actor="bench", target="bench"
        )
    )
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    runtime.db.dispose()
    return [
        label,
        f"{report.rows:,}",
        f"{report.rows / import_seconds:,.0f}",
        f"{lookups:,.0f}",
        f"{checks:,.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4, help="granian threads per worker")
    parser.add_argument("--registry-rows", type=int, default=20_000)
    args = parser.parse_args()
    if not shutil.which("wrk") or not shutil.which("taskset"):
        raise SystemExit("needs wrk and taskset (apt-get install wrk util-linux)")
    logins: list[list[str]] = []
    registry: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = {"TONGBAN_MASTER_KEY": generate_master_key()}
        sqlite = {**base, "TONGBAN_DATA_DIR": f"{tmp}/sqlite"}
        logins += measure_logins("SQLite", sqlite, args.seconds, args.rounds, args.threads)
        registry.append(
            measure_registry(
                "SQLite", {**base, "TONGBAN_DATA_DIR": f"{tmp}/reg"}, args.registry_rows, 2
            )
        )
        for label, target in (("PostgreSQL+Redis", logins), ("PostgreSQL", registry)):
            pg = postgres_database()
            if pg is None:
                break
            url, drop = pg
            env = {
                **base,
                "TONGBAN_DATA_DIR": f"{tmp}/pg-{len(target)}",
                "TONGBAN_DATABASE__URL": url,
            }
            try:
                if target is logins:
                    env["TONGBAN_REDIS__URL"] = os.environ.get(
                        "TONGBAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"
                    )
                    env["TONGBAN_REDIS__PREFIX"] = f"tongban-bench:{secrets.token_hex(4)}:"
                    target += measure_logins(label, env, args.seconds, args.rounds, args.threads)
                else:
                    target.append(measure_registry(label, env, args.registry_rows, 2))
            finally:
                drop()
    print(
        "Password logins, one core (server on CPU 0, wrk on CPU 1), median of "
        f"{args.rounds} × {args.seconds:g} s; raw Argon2id on CPU 0 in the same run"
    )
    print(
        table(
            ["backend", "argon2id m / t", "conns", "logins/s", "raw verify/s", "login of raw"],
            logins,
        )
    )
    print("Targets: ≥ 80 % of the raw Argon2id rate and ≥ 30 logins/s per core.")
    print()
    print("Real-name checks against the local registry, in-process on CPU 0")
    print(
        table(
            ["backend", "registry rows", "import rows/s", "lookups/s", "checks/s (with audit)"],
            registry,
        )
    )


if __name__ == "__main__":
    main()
