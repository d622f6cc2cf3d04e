"""`tongban serve` for real: granian workers on loopback, answering over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tongban.bootstrap import initialise


def wait_for(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (loopback test server)
                return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    initialise(env)
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tongban", "serve", "--port", str(port), "--workers", "2"],
        env={**clean, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so teardown reaches the workers
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz")
        yield base
    finally:
        process.terminate()  # granian's main process stops its workers itself
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        log.close()


def healthz_count(server: str) -> float:
    with urllib.request.urlopen(f"{server}/metrics") as response:  # noqa: S310
        text = response.read().decode()
    line = next(
        x
        for x in text.splitlines()
        if x.startswith('tongban_http_requests_total{endpoint="/healthz"')
    )
    return float(line.rsplit(" ", 1)[1])


@pytest.mark.slow
def test_served_app_is_ready_and_counts_across_workers(server: str) -> None:
    with urllib.request.urlopen(f"{server}/readyz") as response:  # noqa: S310
        assert json.load(response)["status"] == "ready"
    before = healthz_count(server)
    for _ in range(10):
        urllib.request.urlopen(f"{server}/healthz").close()  # noqa: S310
    assert healthz_count(server) == before + 10  # summed over both workers
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{server}/no-such-page")  # noqa: S310
    with info.value as error:
        assert error.code == 404
        assert error.headers["Content-Security-Policy"]
