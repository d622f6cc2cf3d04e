"""The seal image: a Chinese official seal drawn as PDF vector graphics at true size.

The form follows 国发〔1999〕25号 and common practice for departmental seals: a red
ring, a solid five-pointed star in the centre, the department's name left to right
along the upper arc (tops outward), an optional purpose line under the star (e.g.
行政审批专用章) and an optional registration code along the lower arc (tops inward).
The geometry below is for the 42 mm seal and scales with the diameter (40-60 mm).

The ink is painted with the Multiply blend mode, as ink on paper: black text under
the seal stays black, white paper turns red. Text is AR PL UMing, embedded as a
subset and thickened with a hairline stroke, since the font has no bold face.

The result is a one-page PDF exactly the seal's size, used as the signature's visible
appearance. An uploaded PNG goes through the same wrapper (:func:`seal_from_png`).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Final

from PIL import Image
from PIL import UnidentifiedImageError
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from signing.errors import SealDesignInvalid
from signing.errors import SealImageInvalid
from signing.fonts import CJKFont
from signing.fonts import cjk_font

__all__ = [
    "MAX_DIAMETER_MM",
    "MIN_DIAMETER_MM",
    "SEAL_RED",
    "SealDesign",
    "SealImage",
    "draw_seal",
    "seal_from_png",
]

MIN_DIAMETER_MM: Final = 40.0
MAX_DIAMETER_MM: Final = 60.0
SEAL_RED: Final = (230 / 255, 0.0, 18 / 255)
"""RGB(230, 0, 18), the red of seal ink."""

_REFERENCE_MM: Final = 42.0
_RING_MM: Final = 1.2
_STAR_OUTER_MM: Final = 7.0
_STAR_INNER_RATIO: Final = math.sin(math.radians(18)) / math.sin(math.radians(54))
_NAME_HEIGHT_MM: Final = 6.2
_NAME_RADIUS_MM: Final = 15.7
_NAME_WIDTH_SCALE: Final = 0.78
_NAME_MAX_SPREAD_DEG: Final = 215.0
_NAME_STEP_DEG: Final = 21.0
_NAME_MIN_SPREAD_DEG: Final = 120.0
_PURPOSE_HEIGHT_MM: Final = 3.8
_PURPOSE_WIDTH_SCALE: Final = 0.85
_PURPOSE_DROP_MM: Final = 8.6
_PURPOSE_MAX_WIDTH_MM: Final = 22.0
_CODE_HEIGHT_MM: Final = 2.6
_CODE_RADIUS_MM: Final = 17.7
_CODE_MAX_SPREAD_DEG: Final = 90.0
_CODE_STEP_DEG: Final = 5.2
_BOLD_STROKE_MM: Final = 0.26
_MIN_WIDTH_SCALE: Final = 0.5
_MIN_NAME_HEIGHT_RATIO: Final = 0.6
_GLYPH_FILL: Final = 0.92
_MAX_PNG_BYTES: Final = 2 * 1024 * 1024
_MAX_PNG_PIXELS: Final = 2400


@dataclass(frozen=True)
class SealDesign:
    """What to draw: the department's name, and optionally a purpose line and a code."""

    department: str
    purpose: str | None = None
    code: str | None = None
    diameter_mm: float = _REFERENCE_MM

    def __post_init__(self) -> None:
        if not MIN_DIAMETER_MM <= self.diameter_mm <= MAX_DIAMETER_MM:
            raise SealDesignInvalid(
                f"The diameter must be {MIN_DIAMETER_MM:g} to {MAX_DIAMETER_MM:g} mm."
            )
        if not 2 <= len(self.department) <= 30 or self.department != self.department.strip():
            raise SealDesignInvalid("The department name must be 2 to 30 characters.")
        if any(ch.isspace() for ch in self.department):
            raise SealDesignInvalid("The department name must not contain spaces.")
        if self.purpose is not None and not 1 <= len(self.purpose.strip()) <= 12:
            raise SealDesignInvalid("The purpose line must be 1 to 12 characters.")
        if self.code is not None and not (self.code.isascii() and self.code.isdigit()):
            raise SealDesignInvalid("The seal code must be ASCII digits.")
        if self.code is not None and not 1 <= len(self.code) <= 20:
            raise SealDesignInvalid("The seal code must be 1 to 20 digits.")


@dataclass(frozen=True)
class SealImage:
    """A one-page PDF whose page is the seal at its physical size."""

    pdf: bytes
    width_mm: float
    height_mm: float

    @property
    def width_pt(self) -> float:
        """Width in PDF points (1/72 inch)."""
        return float(self.width_mm * mm)

    @property
    def height_pt(self) -> float:
        """Height in PDF points (1/72 inch)."""
        return float(self.height_mm * mm)


def draw_seal(design: SealDesign, font: CJKFont | None = None) -> SealImage:
    """Draw ``design`` as vector graphics; returns the seal as a one-page PDF."""
    font = font or cjk_font()
    font.check_covers(design.department, "department")
    if design.purpose:
        font.check_covers(design.purpose, "purpose")
    size = design.diameter_mm * mm
    scale = design.diameter_mm / _REFERENCE_MM
    buffer = io.BytesIO()
    canvas = _seal_canvas(buffer, size, size, font)
    canvas.translate(size / 2, size / 2)

    ring = _RING_MM * mm * scale
    canvas.setLineWidth(ring)
    canvas.circle(0, 0, size / 2 - ring / 2, stroke=1, fill=0)
    _draw_star(canvas, _STAR_OUTER_MM * mm * scale)

    canvas.setLineWidth(_BOLD_STROKE_MM * mm * scale)
    canvas.setLineJoin(1)
    _draw_name(canvas, font, design.department, scale)
    if design.purpose:
        _draw_purpose(canvas, font, design.purpose.strip(), scale)
    if design.code:
        _draw_code(canvas, font, design.code, scale)
    canvas.showPage()
    canvas.save()
    return SealImage(buffer.getvalue(), design.diameter_mm, design.diameter_mm)


def seal_from_png(png: bytes, *, width_mm: float = _REFERENCE_MM) -> SealImage:
    """Wrap an uploaded PNG seal as a seal image ``width_mm`` wide (height keeps the aspect).

    Transparent pixels stay transparent; an opaque white background disappears under
    the Multiply blend mode, so either kind of scan works.
    """
    if len(png) > _MAX_PNG_BYTES:
        raise SealImageInvalid("The seal image must be at most 2 MB.")
    if not MIN_DIAMETER_MM <= width_mm <= MAX_DIAMETER_MM:
        raise SealImageInvalid(f"The width must be {MIN_DIAMETER_MM:g} to {MAX_DIAMETER_MM:g} mm.")
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG":
                raise SealImageInvalid(detail=f"format {image.format}")
            if max(image.size) > _MAX_PNG_PIXELS or min(image.size) < 64:
                raise SealImageInvalid("The seal image must be 64 to 2400 pixels on each side.")
            image.load()
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise SealImageInvalid(detail=str(exc)) from exc
    width = width_mm * mm
    height = width * rgba.height / rgba.width
    buffer = io.BytesIO()
    canvas = _seal_canvas(buffer, width, height)
    canvas.drawImage(ImageReader(rgba), 0, 0, width, height, mask="auto")
    canvas.showPage()
    canvas.save()
    return SealImage(buffer.getvalue(), width_mm, height / mm)


def _seal_canvas(
    buffer: io.BytesIO, width: float, height: float, font: CJKFont | None = None
) -> Canvas:
    # Starting in the CJK font keeps reportlab from declaring an unembedded Helvetica.
    canvas = Canvas(
        buffer,
        pagesize=(width, height),
        pageCompression=1,
        invariant=1,
        initialFontName=font.name if font else "Helvetica",
    )
    canvas.setTitle("seal")
    canvas.setBlendMode("Multiply")
    canvas.setFillColorRGB(*SEAL_RED)
    canvas.setStrokeColorRGB(*SEAL_RED)
    return canvas


def _draw_star(canvas: Canvas, outer: float) -> None:
    inner = outer * _STAR_INNER_RATIO
    path = canvas.beginPath()
    for point in range(10):
        radius = outer if point % 2 == 0 else inner
        angle = math.radians(90 + 36 * point)
        x, y = radius * math.cos(angle), radius * math.sin(angle)
        if point == 0:
            path.moveTo(x, y)
        else:
            path.lineTo(x, y)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_name(canvas: Canvas, font: CJKFont, name: str, scale: float) -> None:
    height = _NAME_HEIGHT_MM * mm * scale
    outer_edge = (_NAME_RADIUS_MM * mm + _NAME_HEIGHT_MM * mm / 2) * scale
    spread = min(_NAME_MAX_SPREAD_DEG, max(_NAME_MIN_SPREAD_DEG, _NAME_STEP_DEG * len(name)))
    step = spread / (len(name) - 1)
    # A long name packs the glyphs closer than their condensed width: narrow them
    # further, down to half width, then make them smaller, keeping their tops at the
    # same distance from the ring.
    pitch = (outer_edge - height / 2) * math.radians(step)
    width_scale = min(_NAME_WIDTH_SCALE, _GLYPH_FILL * pitch / height)
    if width_scale < _MIN_WIDTH_SCALE:
        height = _GLYPH_FILL * (outer_edge - height / 2) * math.radians(step) / _MIN_WIDTH_SCALE
        width_scale = _MIN_WIDTH_SCALE
    if height < _MIN_NAME_HEIGHT_RATIO * _NAME_HEIGHT_MM * mm * scale:
        raise SealDesignInvalid("The department name is too long for this seal size.")
    radius = outer_edge - height / 2
    for index, character in enumerate(name):
        angle = 90 + spread / 2 - index * step
        _draw_glyph(canvas, font, character, angle, radius, height, width_scale, angle - 90)


def _draw_code(canvas: Canvas, font: CJKFont, code: str, scale: float) -> None:
    height = _CODE_HEIGHT_MM * mm * scale
    radius = _CODE_RADIUS_MM * mm * scale
    spread = min(_CODE_MAX_SPREAD_DEG, _CODE_STEP_DEG * len(code))
    step = spread / max(len(code) - 1, 1)
    for index, digit in enumerate(code):
        angle = 270 - spread / 2 + index * step if len(code) > 1 else 270.0
        _draw_glyph(canvas, font, digit, angle, radius, height, 1.0, angle - 270)


def _draw_purpose(canvas: Canvas, font: CJKFont, purpose: str, scale: float) -> None:
    height = _PURPOSE_HEIGHT_MM * mm * scale
    natural = font.width(purpose, height)
    width_scale = min(_PURPOSE_WIDTH_SCALE, _PURPOSE_MAX_WIDTH_MM * mm * scale / natural)
    if width_scale < _MIN_WIDTH_SCALE - 0.1:
        raise SealDesignInvalid("The purpose line is too long for this seal size.")
    centre_y = -_PURPOSE_DROP_MM * mm * scale
    text = canvas.beginText()
    text.setTextRenderMode(2)
    text.setFont(font.name, height)
    text.setHorizScale(width_scale * 100)
    text.setTextOrigin(-natural * width_scale / 2, centre_y - font.centre_offset * height)
    text.textOut(purpose)
    canvas.drawText(text)


def _draw_glyph(
    canvas: Canvas,
    font: CJKFont,
    character: str,
    position_deg: float,
    radius: float,
    height: float,
    width_scale: float,
    rotation_deg: float,
) -> None:
    """Draw one glyph centred on the circle of ``radius`` at ``position_deg``."""
    angle = math.radians(position_deg)
    canvas.saveState()
    canvas.translate(radius * math.cos(angle), radius * math.sin(angle))
    canvas.rotate(rotation_deg)
    text = canvas.beginText()
    text.setTextRenderMode(2)
    text.setFont(font.name, height)
    text.setHorizScale(width_scale * 100)
    width = font.width(character, height) * width_scale
    text.setTextOrigin(-width / 2, -font.centre_offset * height)
    text.textOut(character)
    canvas.drawText(text)
    canvas.restoreState()
