"""The visible seal as a signature appearance, parsed once per seal and reused.

The seal image (a one-page PDF, see :mod:`signing.seal_image`) is parsed when the
:class:`SealAppearance` is built, and its page content decoded once. Stamping a
document then copies the page's resources (font, graphics states), still
compressed, into the document and uses the page content as the widget's appearance
stream itself: no drawing, no re-encoding, no wrapper objects, so a visible seal
costs little more than an invisible signature.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any
from typing import Final

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.stamp import BaseStamp
from pyhanko.stamp import BaseStampStyle

from signing.seal_image import SealImage

__all__ = ["SealAppearance"]

# Resource categories a seal page may use, as pyHanko's PdfResources names them.
_RESOURCE_CATEGORIES: Final = {
    "/ExtGState": "ext_g_state",
    "/Font": "font",
    "/XObject": "xobject",
    "/ColorSpace": "color_space",
    "/Pattern": "pattern",
    "/Shading": "shading",
}


class SealAppearance:
    """A seal image ready to be the appearance of signature fields."""

    def __init__(self, image: SealImage) -> None:
        self.image = image
        reader = PdfFileReader(io.BytesIO(image.pdf))
        page_ref, resources = reader.find_page_for_modification(0)  # type: ignore[no-untyped-call]
        contents = page_ref.get_object()["/Contents"]
        streams = contents if isinstance(contents, generic.ArrayObject) else [contents]
        self._content = b"\n".join(stream.get_object().data for stream in streams)
        self._resources = resources
        self._reader = reader
        # pyHanko readers cache resolved objects; copying from several threads at once
        # is not something they promise to support.
        self._lock = threading.Lock()

    def stamp_style(self) -> BaseStampStyle:
        """A pyHanko stamp style whose appearance is exactly the seal page."""
        return _SealStampStyle(appearance=self, border_width=0, background=None)

    def content(self) -> bytes:
        """The seal page's decoded content stream."""
        return self._content

    def import_resources(self, writer: Any) -> Any:
        """Copy the seal page's resource dictionary into ``writer``."""
        with self._lock:
            return writer.import_object(self._resources)


@dataclass(frozen=True)
class _SealStampStyle(BaseStampStyle):
    appearance: SealAppearance | None = None

    def create_stamp(
        self, writer: Any, box: layout.BoxConstraints, text_params: dict[str, Any]
    ) -> BaseStamp:
        assert self.appearance is not None  # noqa: S101 - set by SealAppearance
        return _SealStamp(writer, self, box, self.appearance)


class _SealStamp(BaseStamp):
    def __init__(
        self,
        writer: Any,
        style: _SealStampStyle,
        box: layout.BoxConstraints,
        appearance: SealAppearance,
    ) -> None:
        super().__init__(writer=writer, style=style, box=box)
        self._appearance = appearance

    def _render_inner_content(self) -> list[bytes]:
        resources = self._appearance.import_resources(self.writer)
        for key, attribute in _RESOURCE_CATEGORIES.items():
            if key in resources:
                getattr(self.resources, attribute).update(resources[key])
        return [self._appearance.content()]
