"""The visible seal as a signature appearance, parsed once per seal and reused.

The seal image (a one-page PDF, see :mod:`signing.seal_image`) is parsed when the
:class:`SealAppearance` is built. Stamping a document then only copies its few
objects, still compressed, into the document as a form XObject: no drawing, no
re-encoding, so a visible seal costs little more than an invisible signature.
"""

from __future__ import annotations

import io
import threading
import uuid
from typing import Any

from pyhanko.pdf_utils import content
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.stamp import StaticStampStyle

from signing.seal_image import SealImage

__all__ = ["SealAppearance"]


class SealAppearance:
    """A seal image ready to be placed as the appearance of signature fields."""

    def __init__(self, image: SealImage) -> None:
        self.image = image
        self._reader = PdfFileReader(io.BytesIO(image.pdf))
        self._reader.root  # noqa: B018 - parse now, not during the first stamp
        # pyHanko readers cache resolved objects; copying from several threads at once
        # is not something they promise to support.
        self._lock = threading.Lock()

    def stamp_style(self) -> StaticStampStyle:
        """A fresh pyHanko stamp style drawing just the seal, edge to edge, at full ink."""
        return StaticStampStyle(
            background=_ImportedSeal(self),
            border_width=0,
            background_opacity=1.0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins(left=0, right=0, top=0, bottom=0),
            ),
        )

    def import_into(self, writer: Any) -> Any:
        """Copy the seal page into ``writer`` as a form XObject; returns its reference."""
        with self._lock:
            return writer.import_page_as_xobject(self._reader)


class _ImportedSeal(content.PdfContent):
    """Paint the seal XObject; imported into the target document on first render."""

    def __init__(self, appearance: SealAppearance) -> None:
        super().__init__(
            box=layout.BoxConstraints(
                width=appearance.image.width_pt, height=appearance.image.height_pt
            )
        )
        self._appearance = appearance

    def render(self) -> bytes:
        xobject = self._appearance.import_into(self._ensure_writer)
        name = "/Seal" + uuid.uuid4().hex
        self.resources.xobject[name] = xobject
        return name.encode("ascii") + b" Do"
