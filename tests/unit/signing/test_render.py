"""Approval rendering: data validation, layout, embedded font, seal anchors."""

# mypy: disable-error-code="no-untyped-call"
# (pyHanko's reader API used to inspect the output is partly untyped)

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.errors import ApprovalDataInvalid
from signing.render import ApprovalTemplate
from signing.render import RenderedApproval
from signing.render import parse_approval_data
from signing.render import render_approval
from signing.render import seal_anchor_name

PDFTOTEXT = shutil.which("pdftotext")
PDFFONTS = shutil.which("pdffonts")


def test_parsed_data(approval_data: dict[str, Any]) -> None:
    data = parse_approval_data(approval_data)
    assert data.document_number == "浙市监审〔2026〕12号"
    assert data.issued_on == date(2026, 3, 2)
    assert len(data.body) == 3
    assert data.issuers == ("浙江省市场监督管理局",)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        pytest.param({"title": None}, "title", "is required", id="missing"),
        pytest.param({"title": 12}, "title", "must be a string", id="not-string"),
        pytest.param({"title": "   "}, "title", "must not be empty", id="blank"),
        pytest.param({"title": "批" * 101}, "title", "at most 100", id="too-long"),
        pytest.param({"title": "第一行\n第二行"}, "title", "line breaks", id="newline"),
        pytest.param({"applicant": "杭州\U0001f600公司"}, "applicant", "cannot show", id="emoji"),
        pytest.param(
            {"document_number": "浙市监审[2026]12号"}, "document_number", "look like", id="brackets"
        ),
        pytest.param(
            {"document_number": "浙市监审〔2026〕012号"},
            "document_number",
            "look like",
            id="leading-zero",
        ),
        pytest.param({"body": []}, "body", "1 to 50", id="no-body"),
        pytest.param({"body": "一段"}, "body", "list of strings", id="body-not-list"),
        pytest.param({"body": ["一段", ""]}, "body[1]", "must not be empty", id="empty-paragraph"),
        pytest.param(
            {"issuers": ["甲局", "乙局", "丙局", "丁局"]}, "issuers", "1 to 3", id="four-issuers"
        ),
        pytest.param({"issuers": ["甲局", "甲局"]}, "issuers", "twice", id="duplicate-issuer"),
        pytest.param({"issued_on": "2026-02-30"}, "issued_on", "YYYY-MM-DD", id="bad-date"),
        pytest.param({"issued_on": 20260302}, "issued_on", "YYYY-MM-DD", id="date-number"),
        pytest.param({"colour": "red"}, "colour", "not a known field", id="unknown"),
    ],
)
def test_invalid_data_names_the_field(
    approval_data: dict[str, Any], change: dict[str, Any], field: str, message: str
) -> None:
    data = {**approval_data, **change}
    data = {key: value for key, value in data.items() if value is not None}
    with pytest.raises(ApprovalDataInvalid, match=message) as raised:
        parse_approval_data(data)
    assert raised.value.field == field
    assert raised.value.code == "approval_data_invalid"


def test_not_an_object() -> None:
    with pytest.raises(ApprovalDataInvalid):
        parse_approval_data(["title"])  # type: ignore[arg-type]


def test_anchor_is_a_named_destination_at_the_seal_centre(rendered: RenderedApproval) -> None:
    (anchor,) = rendered.anchors
    assert anchor.name == seal_anchor_name(0) == "seal-1"
    reader = PdfFileReader(io.BytesIO(rendered.pdf))
    destination = reader.root["/Dests"]["/seal-1"]
    page_ref, _ = reader.find_page_for_modification(anchor.page)
    assert destination.raw_get(0).reference == page_ref.reference
    assert destination[1] == "/XYZ"
    assert (float(destination[2]), float(destination[3])) == pytest.approx(
        (anchor.x, anchor.y), abs=0.01
    )
    # The seal sits right of centre, in the lower part of the page, inside the margins.
    assert 297.6 < anchor.x < 595.3 - 26 / 25.4 * 72 - 59.5
    assert 35 / 25.4 * 72 < anchor.y < 841.9 / 2 + 200


def test_joint_approvals_get_one_anchor_per_issuer(joint_rendered: RenderedApproval) -> None:
    one, two = joint_rendered.anchors
    assert (one.name, two.name) == ("seal-1", "seal-2")
    assert one.page == two.page
    assert two.x - one.x == pytest.approx(52 / 25.4 * 72, abs=0.01)


def test_long_bodies_flow_onto_more_pages(approval_data: dict[str, Any]) -> None:
    data = parse_approval_data({**approval_data, "body": ["经审查，" + "符合规定。" * 180] * 4})
    rendered = render_approval(data)
    reader = PdfFileReader(io.BytesIO(rendered.pdf))
    pages = int(reader.root["/Pages"]["/Count"])
    assert pages >= 3
    assert rendered.anchors[0].page == pages - 1


def test_template_changes_the_page(approval_data: dict[str, Any]) -> None:
    template = ApprovalTemplate(page_width_mm=184, page_height_mm=260, closing=None)
    rendered = render_approval(parse_approval_data(approval_data), template)
    reader = PdfFileReader(io.BytesIO(rendered.pdf))
    page, _ = reader.find_page_for_modification(0)
    box = [float(v) for v in page.get_object()["/MediaBox"]]
    assert box[2:] == pytest.approx([184 / 25.4 * 72, 260 / 25.4 * 72], abs=0.01)


def test_rendering_is_deterministic(approval_data: dict[str, Any]) -> None:
    data = parse_approval_data(approval_data)
    assert render_approval(data).pdf == render_approval(data).pdf


@pytest.mark.skipif(
    PDFTOTEXT is None, reason="pdftotext not installed (Debian package poppler-utils)"
)
def test_text_extracts_in_reading_order(rendered: RenderedApproval, tmp_path: Path) -> None:
    assert PDFTOTEXT is not None
    source = tmp_path / "approval.pdf"
    source.write_bytes(rendered.pdf)
    text = subprocess.run(
        [PDFTOTEXT, "-layout", str(source), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    compact = "".join(text.split())
    for expected in (
        "浙江省市场监督管理局",
        "浙市监审〔2026〕12号",
        "杭州西湖茶叶有限公司：",
        "特此批复。",
        "2026年3月2日",
    ):
        assert expected in compact
    assert compact.index("关于准予杭州西湖茶叶有限公司") < compact.index("特此批复")


@pytest.mark.skipif(
    PDFFONTS is None, reason="pdffonts not installed (Debian package poppler-utils)"
)
def test_only_the_embedded_subset_font_is_used(rendered: RenderedApproval, tmp_path: Path) -> None:
    assert PDFFONTS is not None
    source = tmp_path / "approval.pdf"
    source.write_bytes(rendered.pdf)
    rows = subprocess.run(
        [PDFFONTS, str(source)], capture_output=True, text=True, check=True, timeout=30
    ).stdout.splitlines()[2:]
    assert len(rows) == 1
    name, kind, _encoding, embedded, subset, *_ = rows[0].split()
    assert name.startswith("AAAAAA+UMing")
    assert (kind, embedded, subset) == ("TrueType", "yes", "yes")
