"""A real browser (Debian's Chromium driven by Playwright) against the real servers:
Tongban under granian and two demo department systems, each on a free loopback port,
and for federation a second Tongban as the upstream provider."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import pytest

from demo.run import PASSWORD
from demo.run import System
from demo.run import seed
from demo.run import start_department
from demo.run import start_tongban
from demo.run import start_upstream
from demo.run import stop
from tests.conftest import free_port
from tests.conftest import unavailable

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass
class Stack:
    env: dict[str, str]
    issuer: str
    systems: tuple[System, System]
    secrets: dict[str, str]
    cookie_keys: dict[str, str]
    processes: dict[str, Any] = field(default_factory=dict)

    def start_system(self, index: int) -> None:
        system, other = self.systems[index], self.systems[1 - index]
        self.processes[system.client_id] = start_department(
            system,
            other,
            self.issuer,
            self.secrets[system.client_id],
            self.cookie_keys[system.client_id],
        )

    def stop_system(self, index: int) -> None:
        stop([self.processes.pop(self.systems[index].client_id)])


def log_in_with_password(page: Any, username: str = "zhangsan") -> None:
    """On Tongban's login page: the password form, then, if asked whom the person acts for
    (张三 heads a company), himself."""
    page.fill("input[autocomplete=username]", username)
    page.fill("input[autocomplete=current-password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/login/entity" in page.url:
        page.check("input[value=self]")
        page.click("button[type=submit]")
        page.wait_for_load_state()


@contextmanager
def running_stack(
    initialised: dict[str, str], port: int, extra_env: dict[str, str] | None = None
) -> Iterator[Stack]:
    """Tongban on ``port`` (with ``extra_env`` settings) and both demo systems."""
    issuer = f"http://127.0.0.1:{port}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
    env = {**clean, **initialised, "TONGBAN_ISSUER": issuer, "TONGBAN_WORKER__INTERVAL": "0.2"}
    env.update(extra_env or {})
    systems = (
        System(
            "demo-scjg", "scjgj", "市场监督管理局", "市场监管 · 企业开办", free_port(), "#0b4a8b"
        ),
        System("demo-mzt", "mzt", "民政厅", "民政厅 · 社会救助", free_port(), "#1b6e3b"),
    )
    created = seed(env, systems)
    built = Stack(
        env, issuer, systems, created, {s.client_id: secrets.token_hex(16) for s in systems}
    )
    tongban = start_tongban(env, port)
    try:
        built.start_system(0)
        built.start_system(1)
        yield built
    finally:
        stop([*built.processes.values(), tongban])


@pytest.fixture
def stack(initialised: dict[str, str]) -> Iterator[Stack]:
    with running_stack(initialised, free_port()) as built:
        yield built


@pytest.fixture
def federated_stack(initialised: dict[str, str], tmp_path: Path) -> Iterator[Stack]:
    """The stack, whose Tongban also logs people in through a second Tongban (the
    upstream provider, on ``localhost`` so the browser keeps its cookies apart)."""
    port = free_port()
    upstream, settings = start_upstream(
        os.environ, tmp_path / "upstream", free_port(), f"http://127.0.0.1:{port}"
    )
    try:
        with running_stack(initialised, port, settings) as built:
            built.processes["upstream"] = upstream
            yield built
    finally:
        stop([upstream])


@pytest.fixture
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None:
        unavailable("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()
