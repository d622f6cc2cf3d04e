"""`make screenshots`: the README's pictures, taken from the real demo stack.

Starts Tongban and the two demo department systems on free loopback ports with a fresh
data directory, walks through them in Debian's Chromium (Playwright) and writes PNGs to
docs/screenshots/. Nothing here is staged: every page is what a person would see.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from demo.run import PASSWORD  # noqa: E402
from demo.run import System  # noqa: E402
from demo.run import seed  # noqa: E402
from demo.run import start_department  # noqa: E402
from demo.run import start_tongban  # noqa: E402
from demo.run import stop  # noqa: E402
from tongban.bootstrap import initialise  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1200, "height": 820}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def shoot(page: Any, name: str, *, full_page: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"  {path.relative_to(ROOT)}", flush=True)


def walk(browser: Any, issuer: str, systems: tuple[System, System]) -> None:
    first, second = (f"{s.base}/" for s in systems)
    page = browser.new_page(locale="zh-CN", viewport=DESKTOP)
    page.goto(first)
    page.click("#login")
    page.wait_for_load_state()
    page.fill("input[autocomplete=username]", "zhangsan")
    page.fill("input[autocomplete=current-password]", PASSWORD)
    shoot(page, "login")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/login/entity" in page.url:
        shoot(page, "acting-for")
        page.check("input[value=self]")
        page.click("button[type=submit]")
        page.wait_for_load_state()
    if "/consent" in page.url:
        shoot(page, "consent")
        page.click("button[value=approve]")
        page.wait_for_load_state()
    shoot(page, "department-system")
    page.goto(second)
    page.click("#login")
    page.wait_for_load_state()
    if "/consent" in page.url:
        page.click("button[value=approve]")
        page.wait_for_load_state()
    shoot(page, "single-sign-on")
    for path, name in (
        ("/me/", "my-space"),
        ("/me/licences", "my-licences"),
        ("/me/approvals", "my-approvals"),
        ("/me/sessions", "my-sessions"),
        ("/account", "account-security"),
    ):
        page.goto(issuer + path)
        shoot(page, name)
    page.goto(issuer + "/me/licences")
    verify_href = page.get_attribute("text=打开核验页", "href")
    with page.expect_download() as download:
        page.click("a.button:has-text('下载 PDF')")
    licence_pdf = Path(tempfile.mkdtemp()) / "licence.pdf"
    download.value.save_as(licence_pdf)
    page.goto(issuer + "/me/approvals")
    with page.expect_download() as download:
        page.click("a.button:has-text('下载')")
    approval_pdf = licence_pdf.with_name("approval.pdf")
    download.value.save_as(approval_pdf)
    page.goto(issuer + "/verify")
    page.set_input_files("input[type=file]", str(approval_pdf))
    page.click("button[type=submit]")
    shoot(page, "seal-verify", full_page=True)
    page.close()

    phone = browser.new_page(locale="zh-CN", viewport=PHONE, device_scale_factor=2)
    phone.goto(issuer + str(verify_href))
    shoot(phone, "licence-verify-phone", full_page=True)
    phone.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        issuer = f"http://127.0.0.1:{port}"
        clean = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
        env = {**clean, "TONGBAN_DATA_DIR": f"{tmp}/var", "TONGBAN_ISSUER": issuer}
        env["TONGBAN_LOG__LEVEL"] = "WARNING"
        initialise(env)
        systems = (
            System(
                "demo-scjg",
                "scjgj",
                "市场监督管理局",
                "市场监督管理局 · 企业开办",
                free_port(),
                "#0b4a8b",
            ),
            System("demo-mzt", "mzt", "民政厅", "民政厅 · 社会救助", free_port(), "#1b6e3b"),
        )
        created = seed(env, systems)
        processes = [start_tongban(env, port)]
        try:
            for system, other in (systems, systems[::-1]):
                key = secrets.token_hex(16)
                processes.append(
                    start_department(system, other, issuer, created[system.client_id], key)
                )
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                try:
                    walk(browser, issuer, systems)
                finally:
                    browser.close()
        finally:
            stop(processes)


if __name__ == "__main__":
    main()
