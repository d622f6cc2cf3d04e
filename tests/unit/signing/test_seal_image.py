"""The procedurally drawn seal and uploaded PNG seals, including a golden render.

Regenerate the golden image after an intended change of the drawing, and look at it:
``python tests/unit/signing/test_seal_image.py``.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from PIL import ImageChops
from pyhanko.pdf_utils.reader import PdfFileReader
from signing_support import VECTORS

from signing.errors import FontUnavailable
from signing.errors import SealDesignInvalid
from signing.errors import SealImageInvalid
from signing.seal_image import SealDesign
from signing.seal_image import draw_seal
from signing.seal_image import seal_from_png

GOLDEN = VECTORS / "seal-42mm-150dpi.png"
GOLDEN_DESIGN = SealDesign("浙江省市场监督管理局", purpose="行政审批专用章", code="3300000012345")
PDFTOPPM = shutil.which("pdftoppm")
requires_pdftoppm = pytest.mark.skipif(
    PDFTOPPM is None, reason="pdftoppm not installed (Debian package poppler-utils)"
)


def _page(pdf: bytes) -> object:
    reader = PdfFileReader(io.BytesIO(pdf))
    assert reader.root["/Pages"]["/Count"] == 1
    return reader.root["/Pages"]["/Kids"][0]


def test_seal_pdf_is_one_page_of_the_seal_size() -> None:
    for diameter in (40.0, 42.0, 60.0):
        seal = draw_seal(SealDesign("浙江省市场监督管理局", diameter_mm=diameter))
        page = _page(seal.pdf)
        box = [float(v) for v in page["/MediaBox"]]  # type: ignore[index]
        assert box == pytest.approx([0, 0, diameter / 25.4 * 72, diameter / 25.4 * 72], abs=0.01)
        assert seal.width_mm == seal.height_mm == diameter


def test_seal_text_is_an_embedded_subset_and_ink_multiplies() -> None:
    seal = draw_seal(GOLDEN_DESIGN)
    page = _page(seal.pdf)
    resources = page["/Resources"]  # type: ignore[index]
    (font,) = (ref.get_object() for ref in resources["/Font"].values())
    assert font["/BaseFont"].startswith("/AAAAAA+UMing")
    assert "/FontFile2" in font["/FontDescriptor"]
    states = [ref.get_object() for ref in resources["/ExtGState"].values()]
    assert any(state.get("/BM") == "/Multiply" for state in states)
    # Most of the file is the font's glyphs and its licence text (Arphic Public
    # License, kept in the name table); the drawing itself is small.
    assert len(seal.pdf) < 30_000


def test_drawing_is_deterministic() -> None:
    assert draw_seal(GOLDEN_DESIGN).pdf == draw_seal(GOLDEN_DESIGN).pdf


@pytest.mark.parametrize(
    "design",
    [
        pytest.param(lambda: SealDesign("通办", diameter_mm=39.9), id="too-small"),
        pytest.param(lambda: SealDesign("通办", diameter_mm=60.1), id="too-large"),
        pytest.param(lambda: SealDesign("办"), id="one-character"),
        pytest.param(lambda: SealDesign("浙江省 市场监督管理局"), id="space"),
        pytest.param(
            lambda: SealDesign("通办", purpose="行政审批专用章行政审批专用"), id="long-purpose"
        ),
        pytest.param(lambda: SealDesign("通办", code="33-00"), id="code-not-digits"),
        pytest.param(lambda: SealDesign("通办", code="３３００"), id="code-full-width"),
    ],
)
def test_invalid_designs(design: object) -> None:
    with pytest.raises(SealDesignInvalid):
        design()  # type: ignore[operator]


def test_the_longest_allowed_name_fits_the_smallest_seal() -> None:
    longest = "杭州市西湖区人力资源和社会保障局劳动保障监察支队第一大队二队"
    assert len(longest) == 30
    draw_seal(SealDesign(longest, diameter_mm=40))
    with pytest.raises(SealDesignInvalid, match="2 to 30"):
        SealDesign(longest + "队")


def test_characters_missing_from_the_font_are_reported() -> None:
    with pytest.raises(FontUnavailable, match="department"):
        draw_seal(SealDesign("通办\U0001f600中心"))


def _png(size: tuple[int, int], mode: str = "RGBA") -> bytes:
    image = Image.new(mode, size, (230, 0, 18, 255) if mode == "RGBA" else (230, 0, 18))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_png_seal_keeps_its_aspect_at_the_given_width() -> None:
    seal = seal_from_png(_png((600, 300)), width_mm=50)
    box = [float(v) for v in _page(seal.pdf)["/MediaBox"]]  # type: ignore[index]
    assert box[2] == pytest.approx(50 / 25.4 * 72, abs=0.01)
    assert box[3] == pytest.approx(25 / 25.4 * 72, abs=0.01)
    assert seal.height_mm == pytest.approx(25)


@pytest.mark.parametrize(
    ("data", "width"),
    [
        pytest.param(b"not an image", 42.0, id="garbage"),
        pytest.param(_png((32, 32)), 42.0, id="too-few-pixels"),
        pytest.param(_png((3000, 100)), 42.0, id="too-many-pixels"),
        pytest.param(_png((300, 300)), 70.0, id="too-wide"),
    ],
)
def test_bad_png_seals(data: bytes, width: float) -> None:
    with pytest.raises(SealImageInvalid):
        seal_from_png(data, width_mm=width)


def test_only_png_is_accepted() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), "red").save(buffer, format="JPEG")
    with pytest.raises(SealImageInvalid):
        seal_from_png(buffer.getvalue())


def _render(pdf: bytes, directory: Path) -> Image.Image:
    assert PDFTOPPM is not None
    source = directory / "seal.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [PDFTOPPM, "-r", "150", "-png", "-singlefile", str(source), str(directory / "seal")],
        check=True,
        timeout=30,
    )
    return Image.open(directory / "seal.png").convert("RGB")


@requires_pdftoppm
def test_golden_render(tmp_path: Path) -> None:
    rendered = _render(draw_seal(GOLDEN_DESIGN).pdf, tmp_path)
    golden = Image.open(GOLDEN).convert("RGB")
    assert rendered.size == golden.size
    histogram = ImageChops.difference(rendered, golden).convert("L").histogram()
    changed = sum(histogram[65:])
    assert changed / (golden.width * golden.height) < 0.002, f"{changed} pixels differ"


@requires_pdftoppm
def test_render_is_red_ink_on_transparent_ground(tmp_path: Path) -> None:
    rendered = _render(draw_seal(GOLDEN_DESIGN).pdf, tmp_path)
    colours: list[tuple[int, tuple[int, int, int]]] = rendered.getcolors(maxcolors=1 << 16) or []  # type: ignore[assignment]
    red = sum(n for n, (r, g, b) in colours if r > 200 and g < 60 and b < 80)
    white = sum(n for n, (r, g, b) in colours if min(r, g, b) > 245)
    total = rendered.width * rendered.height
    assert 0.15 < red / total < 0.45
    assert white / total > 0.4


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        _render(draw_seal(GOLDEN_DESIGN).pdf, Path(directory)).save(GOLDEN, optimize=True)
    print(f"wrote {GOLDEN}")
