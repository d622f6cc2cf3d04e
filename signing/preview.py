"""Pictures of the seals as a document shows them, for the verify page.

The region of each visible signature is rendered from the very file that was
verified, with poppler's ``pdftoppm`` (Debian ``poppler-utils``): the page shows what
the document shows, whoever drew the seal. Without ``pdftoppm`` there are no pictures
and the report says nothing worse.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from signing.pades import Appearance

__all__ = ["seal_picture"]

_DPI: Final = 110
_TIMEOUT_SECONDS: Final = 10
_MARGIN_PT: Final = 6.0


def seal_picture(pdf: bytes, appearance: Appearance) -> bytes | None:
    """A PNG of the signature's box (with a small margin), or None if it cannot be made."""
    binary = shutil.which("pdftoppm")
    if binary is None:
        return None
    scale = _DPI / 72
    left, bottom, right, top = appearance.rect
    box_left, _box_bottom, _box_right, box_top = appearance.page_box
    x = max(0.0, left - _MARGIN_PT - box_left) * scale
    y = max(0.0, box_top - top - _MARGIN_PT) * scale
    width = (right - left + 2 * _MARGIN_PT) * scale
    height = (top - bottom + 2 * _MARGIN_PT) * scale
    page = str(appearance.page + 1)
    with tempfile.TemporaryDirectory(prefix="tongban-preview-") as directory:
        source = Path(directory) / "in.pdf"
        source.write_bytes(pdf)
        target = Path(directory) / "seal"
        command = [
            binary,
            "-f", page, "-l", page,
            "-r", str(_DPI),
            "-x", str(int(x)), "-y", str(int(y)),
            "-W", str(int(width)), "-H", str(int(height)),
            "-png", "-singlefile",
            str(source), str(target),
        ]  # fmt: skip
        try:
            subprocess.run(  # noqa: S603 - fixed binary, our own arguments
                command, check=True, capture_output=True, timeout=_TIMEOUT_SECONDS
            )
        except (subprocess.SubprocessError, OSError):
            return None
        picture = target.with_suffix(".png")
        return picture.read_bytes() if picture.exists() else None
