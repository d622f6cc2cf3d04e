"""Single sign-on and single logout per core.

* SSO hop: a person with a live session opens a second department system: GET
  /authorize (prompt=none) → 302 with a code → POST /token. Server on core 0, wrk on
  core 1, as in bench_oidc.py; each hop signs two tokens.
* Logout fan-out: a session used at 10 department systems ends; the outbox worker
  (pinned to core 0) signs a logout token for each and POSTs it to each system's
  back-channel endpoint (a loopback receiver on core 1). Reported as notices per second
  in bulk and the time from logout to the tenth notice for single logouts.

Both beside the raw ES256 sign rate on core 0 in the same run (the signature bound:
a hop needs 2 signatures, a notice 1). Usage: python bench/bench_sso.py [--seconds 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_oidc
from _timing import table

from config.load import load
from idp.acr import acr_for
from idp.clients import ClientMetadata
from idp.provider import Provider
from keys.master import generate_master_key
from tongban.runtime import build_runtime

FAN_OUT = 10


class Receiver(BaseHTTPRequestHandler):
    arrivals: ClassVar[list[float]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Receiver.lock:
            Receiver.arrivals.append(time.perf_counter())
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def fan_out(env: dict[str, str], single: int, bulk: int) -> tuple[float, float, float]:
    """Return (notices/s in bulk, median ms to the 10th notice, p90 ms) for the worker."""
    os.sched_setaffinity(0, {1})
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/backchannel"
    runtime = build_runtime(load(env), env)
    provider = Provider(runtime)
    now = datetime.now(UTC)
    clients = []
    for i in range(FAN_OUT):
        client, _ = provider.clients.create(
            "bench",
            ClientMetadata(
                name=f"rp{i}",
                redirect_uris=(f"https://rp{i}.example/cb",),
                backchannel_logout_uri=f"{url}/{i}",
            ),
            now=now,
            actor="bench",
            client_id=f"fan-{i}",
        )
        clients.append(client.client_id)
    person = provider.accounts.by_username("bench")

    def session_with_clients() -> object:
        session = provider.start_session(person.id, acr=acr_for(1, ("pwd",)), amr=("pwd",))
        for client_id in clients:
            session = provider.note_client(session, client_id)
        return session

    worker_log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    worker = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, "-m", "tongban", "worker"],
        env={**os.environ, **env, "TONGBAN_WORKER__INTERVAL": "0.05"},
        stdout=subprocess.DEVNULL,
        stderr=worker_log,
    )

    def wait_for(count: int) -> None:
        """Until ``count`` notices arrived; a stuck worker fails the run with its log."""
        deadline = time.perf_counter() + 60
        while len(Receiver.arrivals) < count:
            if time.perf_counter() > deadline or worker.poll() is not None:
                worker_log.seek(0)
                tail = worker_log.read()[-3000:].decode(errors="replace")
                raise SystemExit(
                    f"{len(Receiver.arrivals)}/{count} notices arrived; worker:\n{tail}"
                )
            time.sleep(0.001)

    try:
        time.sleep(2)
        latencies = []
        for _ in range(single):
            session = session_with_clients()
            Receiver.arrivals.clear()
            start = time.perf_counter()
            provider.logouts.end(session, reason="bench", actor="bench")  # type: ignore[arg-type]
            wait_for(FAN_OUT)
            latencies.append((max(Receiver.arrivals) - start) * 1000)
        sessions = [session_with_clients() for _ in range(bulk)]
        Receiver.arrivals.clear()
        start = time.perf_counter()
        for session in sessions:
            provider.logouts.end(session, reason="bench", actor="bench")  # type: ignore[arg-type]
        wait_for(bulk * FAN_OUT)
        rate = bulk * FAN_OUT / (max(Receiver.arrivals) - start)
    finally:
        worker.terminate()
        worker.wait(10)
        worker_log.close()
        server.shutdown()
        runtime.db.dispose()
    latencies.sort()
    return rate, statistics.median(latencies), latencies[int(len(latencies) * 0.9) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"TONGBAN_MASTER_KEY": generate_master_key(), "TONGBAN_DATA_DIR": f"{tmp}/var"}
        hop_rows = bench_oidc.measure("SQLite", env, args.seconds, args.rounds, threads=4)
        raw = bench_oidc.raw_es256_rate()
        rate, median_ms, p90_ms = fan_out(env, single=20, bulk=50)
    print("Single sign-on (server on CPU 0, wrk on CPU 1)")
    print(
        table(
            ["backend", "conns", "SSO hops/s", "raw ES256 sign/s", "hop signatures of raw"],
            [[r[0], r[1], r[3], r[4], r[6]] for r in hop_rows],
        )
    )
    print()
    print(f"Logout fan-out to {FAN_OUT} systems (worker on CPU 0, receivers on CPU 1)")
    print(
        table(
            [
                "notices/s (bulk)",
                "logout → 10th notice, median",
                "p90",
                "raw ES256 sign/s",
                "notices of raw",
            ],
            [
                [
                    f"{rate:,.0f}",
                    f"{median_ms:.0f} ms",
                    f"{p90_ms:.0f} ms",
                    f"{raw:,.0f}",
                    f"{rate / raw:.1%}",
                ]
            ],
        )
    )


if __name__ == "__main__":
    main()
