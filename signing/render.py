"""Render an approval (批复文件) from a template and data, as a PDF ready to be sealed.

The layout follows GB/T 9704-2012 (党政机关公文格式) in spirit: a red masthead with the
issuing department and a red rule, the document number (发文字号), the title, the
addressee (the applicant), body paragraphs indented by two characters, and the
issuing departments with the date at the bottom right. Chinese text is set in AR PL
UMing, embedded as a subset, wrapped by reportlab's CJK line breaking.

Where each issuer's seal goes is returned as a :class:`SealAnchor` and also written
into the PDF as a named destination (``seal-1``, ``seal-2``, ...) whose /XYZ point is
the seal's centre, so :mod:`signing.pades` can find it in the file alone.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import Any
from typing import Final
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.enums import TA_JUSTIFY
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFDictionary
from reportlab.platypus import BaseDocTemplate
from reportlab.platypus import Flowable
from reportlab.platypus import Frame
from reportlab.platypus import KeepTogether
from reportlab.platypus import PageTemplate
from reportlab.platypus import Paragraph
from reportlab.platypus import Spacer

from signing.errors import ApprovalDataInvalid
from signing.fonts import CJKFont
from signing.fonts import cjk_font
from signing.seal_image import SEAL_RED

__all__ = [
    "APPROVAL_TEMPLATE",
    "ApprovalData",
    "ApprovalTemplate",
    "RenderedApproval",
    "SealAnchor",
    "parse_approval_data",
    "render_approval",
    "seal_anchor_name",
]

_DOCUMENT_NUMBER: Final = re.compile(r"[\u4e00-\u9fff]{1,12}〔(19|20)\d{2}〕[1-9]\d{0,5}号")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FIELDS: Final = frozenset(
    {"title", "document_number", "applicant", "body", "issuers", "issued_on"}
)
_MAX_ISSUERS: Final = 3


@dataclass(frozen=True)
class ApprovalTemplate:
    """Page geometry and fixed wording for one kind of approval (sizes in mm and points)."""

    page_width_mm: float = 210.0
    page_height_mm: float = 297.0
    margin_top_mm: float = 37.0
    margin_bottom_mm: float = 35.0
    margin_left_mm: float = 28.0
    margin_right_mm: float = 26.0
    masthead_pt: float = 30.0
    title_pt: float = 22.0
    body_pt: float = 16.0
    line_spacing: float = 1.75
    closing: str | None = "特此批复。"
    seal_block_mm: float = 46.0
    """Height kept for the issuers, the date and the seal over them."""
    author: str = "通办"


APPROVAL_TEMPLATE: Final = ApprovalTemplate()
"""The default approval layout: A4, GB/T 9704 margins, 三号 body text."""


@dataclass(frozen=True)
class ApprovalData:
    """The variable content of one approval. Build it with :func:`parse_approval_data`."""

    title: str
    document_number: str
    applicant: str
    body: tuple[str, ...]
    issuers: tuple[str, ...]
    issued_on: date


@dataclass(frozen=True)
class SealAnchor:
    """Where a seal goes: its centre on a page, in PDF points from the bottom-left corner."""

    name: str
    page: int
    x: float
    y: float


@dataclass(frozen=True)
class RenderedApproval:
    """The rendered PDF and the seal anchors, one per issuer, in issuer order."""

    pdf: bytes
    anchors: tuple[SealAnchor, ...] = field(default_factory=tuple)


def seal_anchor_name(index: int) -> str:
    """The named destination of the seal of the ``index``-th issuer (0-based)."""
    return f"seal-{index + 1}"


def parse_approval_data(data: Mapping[str, Any], font: CJKFont | None = None) -> ApprovalData:
    """Check JSON-shaped approval data and build :class:`ApprovalData`.

    Raises :class:`ApprovalDataInvalid` naming the first offending field, including a
    character the document font cannot show.
    """
    if not isinstance(data, Mapping):
        raise ApprovalDataInvalid("$", "must be an object")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ApprovalDataInvalid(unknown[0], "is not a known field")
    font = font or cjk_font()
    title = _text(data, "title", 100, font)
    number = _text(data, "document_number", 30, font)
    if not _DOCUMENT_NUMBER.fullmatch(number):
        raise ApprovalDataInvalid(
            "document_number", "must look like 浙市监审〔2026〕12号 (agency code, year, number)"
        )
    applicant = _text(data, "applicant", 100, font)
    body = _text_list(data, "body", 1, 50, 2000, font)
    if sum(map(len, body)) > 20000:
        raise ApprovalDataInvalid("body", "is longer than 20000 characters in total")
    issuers = _text_list(data, "issuers", 1, _MAX_ISSUERS, 40, font)
    if len(set(issuers)) != len(issuers):
        raise ApprovalDataInvalid("issuers", "names a department twice")
    return ApprovalData(
        title=title,
        document_number=number,
        applicant=applicant,
        body=body,
        issuers=issuers,
        issued_on=_date(data, "issued_on"),
    )


def render_approval(
    data: ApprovalData, template: ApprovalTemplate = APPROVAL_TEMPLATE
) -> RenderedApproval:
    """Lay out ``data`` on ``template``'s pages; returns the PDF and the seal anchors."""
    font = cjk_font()
    buffer = io.BytesIO()
    page_size = (template.page_width_mm * mm, template.page_height_mm * mm)
    document = BaseDocTemplate(
        buffer,
        pagesize=page_size,
        leftMargin=template.margin_left_mm * mm,
        rightMargin=template.margin_right_mm * mm,
        topMargin=template.margin_top_mm * mm,
        bottomMargin=template.margin_bottom_mm * mm,
        title=data.title,
        author=template.author,
        subject=data.document_number,
        creator="Tongban",
        invariant=1,
        pageCompression=1,
        initialFontName=font.name,
    )
    frame = Frame(
        document.leftMargin,
        document.bottomMargin,
        document.width,
        document.height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    document.addPageTemplates([PageTemplate(id="approval", frames=[frame])])
    block = _SealBlock(data, template, font, document.width)
    document.build(_story(data, template, font, document.width, block))
    return RenderedApproval(pdf=buffer.getvalue(), anchors=tuple(block.anchors))


def _story(
    data: ApprovalData,
    template: ApprovalTemplate,
    font: CJKFont,
    width: float,
    block: _SealBlock,
) -> list[Flowable]:
    body_pt = template.body_pt
    leading = body_pt * template.line_spacing
    centred = ParagraphStyle(
        "centred", fontName=font.name, fontSize=body_pt, leading=leading, alignment=TA_CENTER
    )
    title = ParagraphStyle(
        "title",
        fontName=font.name,
        fontSize=template.title_pt,
        leading=template.title_pt * 1.5,
        alignment=TA_CENTER,
        wordWrap="CJK",
        spaceBefore=body_pt,
        spaceAfter=body_pt,
    )
    addressee = ParagraphStyle(
        "addressee", fontName=font.name, fontSize=body_pt, leading=leading, wordWrap="CJK"
    )
    paragraph = ParagraphStyle(
        "body",
        parent=addressee,
        firstLineIndent=2 * body_pt,
        alignment=TA_JUSTIFY,
    )
    story: list[Flowable] = [
        _Masthead(data.issuers[0], template.masthead_pt, font, width),
        Paragraph(escape(data.document_number), centred),
        _RedRule(width),
        Paragraph(escape(data.title), title),
        Paragraph(escape(data.applicant) + "：", addressee),
    ]
    paragraphs = [Paragraph(escape(text), paragraph) for text in data.body]
    if template.closing:
        paragraphs.append(Paragraph(escape(template.closing), paragraph))
    story += paragraphs[:-1]
    # The last paragraph travels with the seal block, so a seal never sits alone on a page.
    story.append(KeepTogether([paragraphs[-1], Spacer(0, body_pt), block]))
    return story


class _Masthead(Flowable):  # type: ignore[misc]
    """The issuing department's name in red, centred, condensed to fit the line."""

    def __init__(self, text: str, size: float, font: CJKFont, width: float) -> None:
        super().__init__()
        self._text = text
        self._size = size
        self._font = font
        self._width = width

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self._width, self._size * 1.4

    def draw(self) -> None:
        canvas = self.canv
        natural = self._font.width(self._text, self._size)
        scale = min(1.0, self._width / natural)
        text = canvas.beginText()
        text.setTextRenderMode(2)
        text.setFont(self._font.name, self._size)
        text.setHorizScale(scale * 100)
        text.setTextOrigin((self._width - natural * scale) / 2, self._size * 0.3)
        canvas.setFillColorRGB(*SEAL_RED)
        canvas.setStrokeColorRGB(*SEAL_RED)
        canvas.setLineWidth(self._size / 40)
        text.textOut(self._text)
        canvas.drawText(text)


class _RedRule(Flowable):  # type: ignore[misc]
    """The red separator line under the document number (版头分隔线)."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self._width = width

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self._width, 4 * mm

    def draw(self) -> None:
        self.canv.setStrokeColorRGB(*SEAL_RED)
        self.canv.setLineWidth(0.35 * mm)
        self.canv.line(0, 2 * mm, self._width, 2 * mm)


class _SealBlock(Flowable):  # type: ignore[misc]
    """Issuers and date at the bottom right, recording where each seal's centre falls.

    After GB/T 9704-2012 7.3.5: the seal sits squarely over the issuer's name and the
    date, which lie a little below its centre. Several issuers stand side by side,
    right-aligned, the date under the last.
    """

    def __init__(
        self, data: ApprovalData, template: ApprovalTemplate, font: CJKFont, width: float
    ) -> None:
        super().__init__()
        self._data = data
        self._template = template
        self._font = font
        self._width = width
        self.anchors: list[SealAnchor] = []

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self._width, self._template.seal_block_mm * mm

    def draw(self) -> None:
        canvas = self.canv
        size = self._template.body_pt
        date_text = _chinese_date(self._data.issued_on)
        slot = 52 * mm
        right_edge = self._width - 2 * size
        line_y = self._template.seal_block_mm * mm * 0.45
        date_y = line_y - size * self._template.line_spacing
        canvas.setFillColorRGB(0, 0, 0)
        self.anchors.clear()
        count = len(self._data.issuers)
        for index, issuer in enumerate(self._data.issuers):
            centre_x = right_edge - (count - 1 - index) * slot - slot / 2
            name_width = self._font.width(issuer, size)
            scale = min(1.0, (slot - 4 * mm) / name_width)
            text = canvas.beginText()
            text.setFont(self._font.name, size)
            text.setHorizScale(scale * 100)
            text.setTextOrigin(centre_x - name_width * scale / 2, line_y)
            text.textOut(issuer)
            canvas.drawText(text)
            # The name and date together sit a little below the seal's centre
            # (GB/T 9704-2012, 7.3.5.1): their midpoint is half a line below the
            # name's baseline, the centre 0.4 lines above that.
            seal_y = line_y - size * 0.1
            page_x, page_y = canvas.absolutePosition(centre_x, seal_y)
            name = seal_anchor_name(index)
            _publish_destination(canvas, name, page_x, page_y)
            self.anchors.append(SealAnchor(name, canvas.getPageNumber() - 1, page_x, page_y))
        date_width = self._font.width(date_text, size)
        last_centre = right_edge - slot / 2
        canvas.setFont(self._font.name, size)
        canvas.drawString(last_centre - date_width / 2, date_y, date_text)


def _publish_destination(canvas: Any, name: str, x: float, y: float) -> None:
    """Define a named destination at (x, y) and list it in the catalog's /Dests.

    reportlab writes destinations only where links point to them; an anchor nobody
    links to must be listed in the catalog (ISO 32000-1, 12.3.2.3) to be findable.
    """
    canvas.bookmarkPage(name, fit="XYZ", left=x, top=y)
    catalog = canvas._doc.Catalog
    destinations = getattr(catalog, "Dests", None)
    if destinations is None:
        destinations = catalog.Dests = PDFDictionary({})
    destinations.dict[name] = canvas._bookmarkReference(name)


def _chinese_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _text(data: Mapping[str, Any], name: str, max_length: int, font: CJKFont) -> str:
    if name not in data:
        raise ApprovalDataInvalid(name, "is required")
    value = data[name]
    if not isinstance(value, str):
        raise ApprovalDataInvalid(name, "must be a string")
    return _check_text(name, value, max_length, font)


def _check_text(name: str, value: str, max_length: int, font: CJKFont) -> str:
    value = value.strip()
    if not value:
        raise ApprovalDataInvalid(name, "must not be empty")
    if len(value) > max_length:
        raise ApprovalDataInvalid(name, f"must be at most {max_length} characters")
    if _CONTROL.search(value) or "\n" in value:
        raise ApprovalDataInvalid(name, "must not contain line breaks or control characters")
    missing = sorted({ch for ch in value if not ch.isspace()} - _covered(value, font))
    if missing:
        raise ApprovalDataInvalid(
            name, f"contains characters the document font cannot show: {''.join(missing)}"
        )
    return value


def _covered(value: str, font: CJKFont) -> set[str]:
    covered = set()
    for ch in set(value):
        try:
            font.check_covers(ch, "")
        except Exception:  # noqa: S112 - FontUnavailable marks the character missing
            continue
        covered.add(ch)
    return covered


def _text_list(
    data: Mapping[str, Any],
    name: str,
    min_items: int,
    max_items: int,
    max_length: int,
    font: CJKFont,
) -> tuple[str, ...]:
    if name not in data:
        raise ApprovalDataInvalid(name, "is required")
    value = data[name]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApprovalDataInvalid(name, "must be a list of strings")
    if not min_items <= len(value) <= max_items:
        raise ApprovalDataInvalid(name, f"must have {min_items} to {max_items} entries")
    return tuple(
        _check_text(f"{name}[{index}]", item, max_length, font) for index, item in enumerate(value)
    )


def _date(data: Mapping[str, Any], name: str) -> date:
    if name not in data:
        raise ApprovalDataInvalid(name, "is required")
    value = data[name]
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ApprovalDataInvalid(name, "must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ApprovalDataInvalid(name, "must be a date as YYYY-MM-DD") from exc
