"""The CJK font Tongban embeds: AR PL UMing, a Ming/Song serif (Debian ``fonts-arphic-uming``).

reportlab embeds only TrueType-outline fonts, so the CFF-based Noto CJK cannot be used
(see ``docs/decisions``). Text is always embedded as a subset, so a document looks the
same in every viewer. The font is registered with reportlab once per process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError
from reportlab.pdfbase.ttfonts import TTFont

from signing.errors import FontUnavailable

__all__ = ["DEFAULT_CJK_FONT_PATH", "CJKFont", "cjk_font"]

DEFAULT_CJK_FONT_PATH: Final = Path("/usr/share/fonts/truetype/arphic/uming.ttc")
_FONT_NAME: Final = "TongbanUMing"

_lock = threading.Lock()
_registered: dict[Path, CJKFont] = {}


@dataclass(frozen=True)
class CJKFont:
    """A registered CJK font: its reportlab name and the vertical metrics layout needs.

    :param centre_offset: how far above the baseline an ideograph's visual centre sits,
        as a fraction of the font size (the middle of the ascent-descent box)
    """

    name: str
    centre_offset: float
    _characters: frozenset[int]

    def check_covers(self, text: str, field: str) -> None:
        """Raise :class:`FontUnavailable` naming ``field`` if a character has no glyph."""
        missing = sorted({ch for ch in text if ord(ch) not in self._characters and ch != " "})
        if missing:
            raise FontUnavailable(
                f"{field}: the font has no glyph for {''.join(missing)!r}.",
                detail=f"code points {[hex(ord(ch)) for ch in missing]}",
            )

    def width(self, text: str, size: float) -> float:
        """The advance width of ``text`` at ``size`` points."""
        return float(pdfmetrics.stringWidth(text, self.name, size))


def cjk_font(path: Path = DEFAULT_CJK_FONT_PATH) -> CJKFont:
    """Register the TrueType collection at ``path`` (first face) once, and describe it."""
    with _lock:
        if path in _registered:
            return _registered[path]
        name = _FONT_NAME if not _registered else f"{_FONT_NAME}{len(_registered)}"
        try:
            font = TTFont(name, str(path), subfontIndex=0)
        except (OSError, TTFError) as exc:
            raise FontUnavailable(
                detail=f"{path}: {exc} (install Debian package fonts-arphic-uming)"
            ) from exc
        pdfmetrics.registerFont(font)
        face = font.face
        registered = CJKFont(
            name=name,
            centre_offset=(face.ascent + face.descent) / 2000,
            _characters=frozenset(face.charToGlyph),
        )
        _registered[path] = registered
        return registered
