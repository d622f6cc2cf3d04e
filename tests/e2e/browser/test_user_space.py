"""The user space in a browser: 张三's licence with its QR picture, the verify page its QR
opens, and his sealed approval checked on the seal verify page."""

from __future__ import annotations

from typing import Any

import pytest

from demo.documents import COMPANY
from tests.e2e.browser.conftest import Stack
from tests.e2e.browser.conftest import log_in_with_password

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def log_in_to_tongban(page: Any, issuer: str) -> None:
    page.goto(f"{issuer}/me/")
    log_in_with_password(page)
    assert page.url == f"{issuer}/me/", page.url


def test_my_licence_shows_its_qr_and_opens_the_verify_page(stack: Stack, browser: Any) -> None:
    page = browser.new_page(locale="zh-CN")
    log_in_to_tongban(page, stack.issuer)
    assert "张三，您好" in page.inner_text("h1")
    page.click("text=我的证照")
    page.wait_for_load_state()
    assert COMPANY[1] in page.inner_text("main")
    # The QR preview is a real picture the browser decoded, not a broken image.
    width = page.eval_on_selector("img.qr-preview", "img => img.naturalWidth")
    assert width > 0
    with page.expect_download() as download:
        page.click("text=下载 PDF")
    assert download.value.suggested_filename.endswith(".pdf")
    page.click("text=打开核验页")
    page.wait_for_load_state()
    assert "/v/01" in page.url
    assert "证照有效" in page.inner_text("main")
    assert COMPANY[1] in page.inner_text("main")


def test_my_approval_downloads_and_verifies_with_its_seal_picture(
    stack: Stack, browser: Any, tmp_path: Any
) -> None:
    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    log_in_to_tongban(page, stack.issuer)
    page.click("text=我的批文")
    page.wait_for_load_state()
    with page.expect_download() as download:
        page.click("a.button:has-text('下载')")
    saved = tmp_path / "approval.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    page.goto(f"{stack.issuer}/verify")
    page.set_input_files("input[type=file]", str(saved))
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "验证通过" in page.inner_text("main")
    picture = page.eval_on_selector(".seal-picture img", "img => img.naturalWidth")
    assert picture > 0
    context.close()
