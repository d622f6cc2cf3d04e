"""Render a licence as a one-page PDF: title, holder, printed fields, issuer, date, QR code.

Drawn straight on a reportlab canvas (no flowables) in AR PL UMing, embedded as a subset
like every Tongban document (:mod:`signing.fonts`). The QR code is drawn as vector
rectangles from the stored module matrix, at the type's ``layout.qr_mm`` (30 mm or more,
the size the QR research found reliable for cheap phone cameras), with its quiet zone. The
seal's centre, over the issuer's name and the date, is published as the named
destination :data:`licences.sealing.SEAL_ANCHOR`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Final

from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFDictionary
from reportlab.pdfgen.canvas import Canvas

from licences.licence_types import CHINA_TIME
from licences.licence_types import LicenceType
from licences.qr import QUIET_ZONE
from licences.qr import QRCodeMatrix
from licences.sealing import SEAL_ANCHOR
from signing.fonts import CJKFont
from signing.fonts import cjk_font

__all__ = ["LicenceSheet", "format_value", "render_licence_pdf"]

_RED: Final = (0.78, 0.07, 0.1)
_INK: Final = (0.1, 0.1, 0.1)
_GREY: Final = (0.35, 0.35, 0.35)


@dataclass(frozen=True)
class LicenceSheet:
    """What a licence page shows."""

    licence_id: str
    holder_code: str
    holder_name: str
    data: dict[str, Any]
    issuer_name: str
    issued_at: datetime
    not_before: datetime
    not_after: datetime | None
    version: int


def format_value(value: object) -> str:
    """A data value as printed: lists joined with 、, nothing as an empty string."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(format_value(item) for item in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{format_value(v)}" for k, v in value.items())
    return str(value)


def _wrap(text: str, font: CJKFont, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``, character by character (CJK)."""
    lines: list[str] = []
    line = ""
    for ch in text:
        if font.width(line + ch, size) > width and line:
            lines.append(line)
            line = ch
        else:
            line += ch
    if line:
        lines.append(line)
    return lines or [""]


def _date_text(moment: datetime) -> str:
    day = moment.astimezone(CHINA_TIME).date()
    return f"{day.year}年{day.month}月{day.day}日"


def render_licence_pdf(
    licence_type: LicenceType, sheet: LicenceSheet, qr: QRCodeMatrix, *, font: CJKFont | None = None
) -> bytes:
    """The licence page as PDF bytes, ready to be sealed."""
    font = font or cjk_font()
    layout = licence_type.layout
    page = landscape(A4) if layout.get("orientation", "landscape") == "landscape" else A4
    width, height = page
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=page, invariant=1, pageCompression=1)
    canvas.setTitle(f"{licence_type.name_zh} {sheet.licence_id}")
    canvas.setAuthor(sheet.issuer_name)
    canvas.setSubject(sheet.holder_name)
    canvas.setCreator("Tongban")
    margin = 14 * mm
    # Border: a red double frame, as on paper licences.
    canvas.setStrokeColorRGB(*_RED)
    canvas.setLineWidth(1.6)
    canvas.rect(margin, margin, width - 2 * margin, height - 2 * margin)
    canvas.setLineWidth(0.5)
    canvas.rect(
        margin + 2 * mm, margin + 2 * mm, width - 2 * margin - 4 * mm, height - 2 * margin - 4 * mm
    )

    inner_left = margin + 12 * mm
    inner_right = width - margin - 12 * mm
    top = height - margin - 12 * mm
    title = str(layout.get("title") or licence_type.name_zh)
    canvas.setFillColorRGB(*_RED)
    title_size = 30.0
    canvas.setFont(font.name, title_size)
    canvas.drawCentredString(width / 2, top - title_size, " ".join(title))
    subtitle = layout.get("subtitle")
    y = top - title_size - 10 * mm
    if subtitle:
        canvas.setFont(font.name, 12)
        canvas.drawCentredString(width / 2, y + 3 * mm, str(subtitle))
    canvas.setFillColorRGB(*_INK)
    canvas.setFont(font.name, 10.5)
    canvas.drawString(inner_left, top - 8, f"统一社会信用代码  {sheet.holder_code}")
    canvas.drawRightString(inner_right, top - 8, f"证照编号  {sheet.licence_id}")
    if sheet.version > 1:
        canvas.setFillColorRGB(*_GREY)
        canvas.drawRightString(inner_right, top - 22, f"第 {sheet.version} 版")
        canvas.setFillColorRGB(*_INK)

    qr_mm = float(layout.get("qr_mm", 32))
    qr_side = qr_mm * mm
    label_size = 12.0
    value_size = 12.0
    leading = value_size * 1.55
    label_width = 30 * mm
    text_right = inner_right
    rows: list[tuple[str, str]] = [("名称", sheet.holder_name)]
    rows += [
        (field.label_zh, format_value(field.value_in(sheet.data)))
        for field in licence_type.printed_fields
    ]
    until = "长期" if sheet.not_after is None else _date_text(sheet.not_after)
    rows.append(("有效期限", f"{_date_text(sheet.not_before)} 至 {until}"))
    y -= 6 * mm
    bottom_limit = margin + 12 * mm + qr_side + 8 * mm
    for label, value in rows:
        lines = _wrap(value, font, value_size, text_right - inner_left - label_width)
        size = value_size
        if y - leading * len(lines) < bottom_limit and len(lines) > 1:
            # Long text (a business scope) shrinks rather than running off the page.
            size = max(7.5, value_size * 0.72)
            lines = _wrap(value, font, size, text_right - inner_left - label_width)
        canvas.setFont(font.name, label_size)
        canvas.setFillColorRGB(*_GREY)
        canvas.drawString(inner_left, y - label_size, _spread(label))
        canvas.setFillColorRGB(*_INK)
        canvas.setFont(font.name, size)
        for line in lines:
            canvas.drawString(inner_left + label_width, y - size, line)
            y -= size * 1.55
        y -= 2
    # QR code, bottom left, with its quiet zone inside the drawn size.
    qr_x = inner_left
    qr_y = margin + 12 * mm
    _draw_qr(canvas, qr, qr_x, qr_y, qr_side)
    canvas.setFont(font.name, 8)
    canvas.setFillColorRGB(*_GREY)
    canvas.drawString(qr_x + qr_side + 3 * mm, qr_y + 10 * mm, "扫描二维码核验证照")
    canvas.drawString(qr_x + qr_side + 3 * mm, qr_y + 6 * mm, "Scan to verify this licence")
    # Issuer and date, bottom right: the seal goes over them.
    canvas.setFillColorRGB(*_INK)
    canvas.setFont(font.name, 13)
    centre_x = inner_right - 35 * mm
    name_y = margin + 26 * mm
    canvas.drawCentredString(centre_x, name_y, f"发证机关：{sheet.issuer_name}")
    canvas.drawCentredString(centre_x, name_y - 7 * mm, _date_text(sheet.issued_at))
    _publish_destination(canvas, SEAL_ANCHOR, centre_x, name_y - 1 * mm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _spread(label: str) -> str:
    """Short labels spread over four characters' width, as printed forms do."""
    if len(label) == 2:
        return f"{label[0]}\u3000\u3000{label[1]}"
    return label


def _draw_qr(canvas: Canvas, qr: QRCodeMatrix, x: float, y: float, side: float) -> None:
    count = qr.size + 2 * QUIET_ZONE
    module = side / count
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, side, side, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for r, row in enumerate(qr.modules):
        c = 0
        size = len(row)
        while c < size:
            if row[c]:
                start = c
                while c < size and row[c]:
                    c += 1
                path.rect(
                    x + (start + QUIET_ZONE) * module,
                    y + side - (r + QUIET_ZONE + 1) * module,
                    (c - start) * module,
                    module,
                )
            else:
                c += 1
    canvas.drawPath(path, stroke=0, fill=1)


def _publish_destination(canvas: Canvas, name: str, x: float, y: float) -> None:
    """A named destination at (x, y), listed in the catalog's /Dests (ISO 32000-1, 12.3.2.3)."""
    canvas.bookmarkPage(name, fit="XYZ", left=x, top=y)
    catalog = canvas._doc.Catalog
    destinations = getattr(catalog, "Dests", None)
    if destinations is None:
        destinations = catalog.Dests = PDFDictionary({})
    destinations.dict[name] = canvas._bookmarkReference(name)


def fields_for_display(
    licence_type: LicenceType, data: dict[str, Any], *, verify_only: bool, locale: str
) -> Sequence[tuple[str, str]]:
    """(label, value) pairs of the type's fields for a page."""
    chosen = licence_type.verify_fields if verify_only else licence_type.fields
    return [(field.label(locale), format_value(field.value_in(data))) for field in chosen]
