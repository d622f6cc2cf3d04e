"""QR rendering: mixed segments, the example licence's version, and an independent decoder."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
import qrcode
import qrcode.constants
import zxingcpp
from licence_support import SoftwareSigner
from licence_support import example_licence
from PIL import Image

from licences import codec
from licences.codec import LicenceClaims
from licences.qr import QRCodeMatrix
from licences.qr import make_qr
from licences.qr import render_png
from licences.qr import render_svg
from licences.qr import split_segments

BASE_URL = example_licence()["credential"]["base_url"]


@pytest.fixture(params=["es256_signer", "eddsa_signer"])
def licence_url(request: pytest.FixtureRequest, claims: LicenceClaims) -> str:
    signer: SoftwareSigner = request.getfixturevalue(request.param)
    return codec.encode(claims, signer, BASE_URL)


def decode_png(png: bytes) -> zxingcpp.Barcode:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0]


def test_segments_split_at_the_trailing_digits() -> None:
    assert split_segments("https://x/v/0123") == [("byte", "https://x/v/"), ("numeric", "0123")]
    assert split_segments("0123") == [("numeric", "0123")]
    assert split_segments("https://x/v/") == [("byte", "https://x/v/")]
    with pytest.raises(ValueError, match="ASCII"):
        split_segments("https://证照/0123")


def test_example_business_licence_fits_version_15_at_ecc_m(licence_url: str) -> None:
    matrix = make_qr(licence_url, error_correction="M")
    assert matrix.version <= 15
    assert matrix.size == 4 * matrix.version + 17
    assert matrix.error_correction == "M"


def test_numeric_mode_is_what_makes_it_fit(licence_url: str) -> None:
    # The same text in one byte-mode segment needs a much larger symbol.
    single = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    single.add_data(licence_url, optimize=0)
    single.make(fit=True)
    assert single.version >= make_qr(licence_url).version + 5


def test_png_decodes_to_the_exact_url_with_zxing(licence_url: str) -> None:
    matrix = make_qr(licence_url)
    barcode = decode_png(render_png(matrix, module_px=4))
    assert barcode.text == licence_url
    assert barcode.ec_level == "M"
    extra = barcode.extra
    assert isinstance(extra, dict)
    assert extra["Version"] == str(matrix.version)
    assert (
        codec.decode(barcode.text).unverified_claims == codec.decode(licence_url).unverified_claims
    )


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_every_error_correction_level_decodes(level: str, licence_url: str) -> None:
    matrix = make_qr(licence_url, error_correction=level)  # type: ignore[arg-type]
    barcode = decode_png(render_png(matrix, module_px=3))
    assert (barcode.text, barcode.ec_level) == (licence_url, level)


def test_png_is_a_1_bit_greyscale_image_with_quiet_zone() -> None:
    matrix = make_qr("https://x/v/0123")
    png = render_png(matrix, module_px=2, border=4)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert width == height == (matrix.size + 8) * 2
    assert (depth, colour) == (1, 0)
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.getpixel((0, 0)) == 255  # Quiet zone is white.
    assert image.getpixel((8, 8)) == 0  # Top-left finder pattern is dark.
    # Every chunk's CRC is right, or Pillow would have refused it; check IDAT inflates too.
    idat_length = struct.unpack(">I", png[33:37])[0]
    assert zlib.decompress(png[41 : 41 + idat_length])


def _svg_to_modules(svg: bytes, side: int, border: int) -> list[list[bool]]:
    grid = [[False] * side for _ in range(side)]
    for x, y, width in re.findall(rb"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        for column in range(int(x), int(x) + int(width)):
            grid[int(y)][column] = True
    return [row[border : side - border] for row in grid[border : side - border]]


def test_svg_draws_exactly_the_dark_modules(licence_url: str) -> None:
    matrix = make_qr(licence_url)
    svg = render_svg(matrix, size_mm=30)
    side = matrix.size + 8
    assert f'viewBox="0 0 {side} {side}"'.encode() in svg
    assert b'width="30mm" height="30mm"' in svg
    assert _svg_to_modules(svg, side, 4) == [list(row) for row in matrix.modules]


def test_text_too_long_for_any_version() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        make_qr("https://x/v/" + "1" * 8000)


def test_max_version_is_enforced(licence_url: str) -> None:
    with pytest.raises(ValueError, match="more than 10"):
        make_qr(licence_url, max_version=10)


def test_bad_render_arguments() -> None:
    matrix = QRCodeMatrix("0", 1, "M", ((True,),))
    with pytest.raises(ValueError, match="module_px"):
        render_png(matrix, module_px=0)
    with pytest.raises(ValueError, match="border"):
        render_svg(matrix, border=-1)
    with pytest.raises(ValueError, match="nothing"):
        make_qr("")


def _python_qrcode_modules(text: str, level: str) -> tuple[int, list[list[bool]]]:
    from qrcode.util import MODE_8BIT_BYTE
    from qrcode.util import MODE_NUMBER
    from qrcode.util import QRData

    levels = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }
    code = qrcode.QRCode(error_correction=levels[level], border=0)
    for mode, part in split_segments(text):
        kind = MODE_NUMBER if mode == "numeric" else MODE_8BIT_BYTE
        code.add_data(QRData(part.encode("ascii"), mode=kind))
    code.make(fit=True)
    return code.version, [[bool(cell) for cell in row] for row in code.modules]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("https://x/v/0123", "M"),
        ("0", "L"),
        ("https://licence.example.gov.cn/v/01" + "9" * 120, "Q"),
        ("https://licence.example.gov.cn/v/01" + "31415926535" * 40, "M"),
        ("https://licence.example.gov.cn/v/01" + "27182818284" * 70, "H"),
        ("https://a.example/" + "x" * 300, "L"),
    ],
)
def test_fast_encoder_draws_python_qrcodes_symbol(text: str, level: str) -> None:
    matrix = make_qr(text, error_correction=level)  # type: ignore[arg-type]
    version, modules = _python_qrcode_modules(text, level)
    assert matrix.version == version
    assert [list(row) for row in matrix.modules] == modules


def test_fast_encoder_matches_on_the_example_licence(licence_url: str) -> None:
    version, modules = _python_qrcode_modules(licence_url, "M")
    matrix = make_qr(licence_url)
    assert (matrix.version, [list(row) for row in matrix.modules]) == (version, modules)
