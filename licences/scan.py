"""Read a licence QR code from a photo, a screenshot or a PDF, with zxing-cpp.

Used by the verify page (an uploaded photo) and by the offline ``tongban licence verify``.
PDF pages are rasterised with poppler's ``pdftoppm`` (Debian ``poppler-utils``), at a
resolution where a 30 mm code has several pixels per module. Nothing here verifies
anything: it returns the text, which then goes through :mod:`licences.codec`.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

import zxingcpp
from PIL import Image
from PIL import UnidentifiedImageError

from licences.service_errors import QRCodeNotFound

__all__ = ["MAX_IMAGE_PIXELS", "read_qr_from_file", "read_qr_from_image", "read_qr_from_pdf"]

#: Larger images are refused before decoding (a phone photo is 12-50 megapixels).
MAX_IMAGE_PIXELS: Final = 60_000_000
_PDF_DPI: Final = 200


def read_qr_from_image(data: bytes) -> str:
    """The text of the first QR code found in an image (PNG, JPEG, WebP, …).

    :raises QRCodeNotFound: if the data is not an image or holds no readable QR code.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise QRCodeNotFound("the image is too large")
            image.load()
            results = zxingcpp.read_barcodes(
                image.convert("L"),
                formats=zxingcpp.barcode_formats_from_str("QRCode"),
                try_rotate=True,
            )
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        raise QRCodeNotFound("the file is not an image that can be read", detail=str(exc)) from None
    for result in results:
        if result.valid and result.text:
            return str(result.text)
    raise QRCodeNotFound("no QR code was found in the image")


def read_qr_from_pdf(data: bytes, *, max_pages: int = 4) -> str:
    """The text of the first QR code on the first ``max_pages`` pages of a PDF."""
    binary = shutil.which("pdftoppm")
    if binary is None:
        raise QRCodeNotFound("reading PDFs needs pdftoppm (Debian package poppler-utils)")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(data)
        completed = subprocess.run(  # noqa: S603 - a fixed program with our own arguments
            [
                binary,
                "-r",
                str(_PDF_DPI),
                "-gray",
                "-png",
                "-l",
                str(max_pages),
                str(source),
                str(Path(folder) / "page"),
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if completed.returncode != 0:
            raise QRCodeNotFound("the file is not a readable PDF")
        for page in sorted(Path(folder).glob("page*.png")):
            try:
                return read_qr_from_image(page.read_bytes())
            except QRCodeNotFound:
                continue
    raise QRCodeNotFound("no QR code was found in the PDF")


def read_qr_from_file(path: str | Path) -> str:
    """A QR code's text from an image or PDF file, told apart by their first bytes."""
    data = Path(path).read_bytes()
    if data.startswith(b"%PDF-"):
        return read_qr_from_pdf(data)
    return read_qr_from_image(data)
