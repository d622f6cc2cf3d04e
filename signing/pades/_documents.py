"""Open input PDFs defensively and find pages, boxes and named anchors in them."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from typing import Final

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import misc
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.errors import PDFEncrypted
from signing.errors import PDFTooLarge
from signing.errors import PDFUnreadable
from signing.errors import PlacementInvalid

__all__ = [
    "DEFAULT_MAX_PDF_BYTES",
    "find_named_destination",
    "open_for_reading",
    "open_for_signing",
    "page_box",
]

DEFAULT_MAX_PDF_BYTES: Final = 20 * 1024 * 1024
_NAME_TREE_MAX_DEPTH: Final = 32
_NUMBERS: Final = (int, float, Decimal)  # pyHanko's FloatObject is a Decimal

# What a damaged PDF makes pyHanko raise while parsing.
_READ_ERRORS: Final = (misc.PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError)


def open_for_reading(pdf: bytes, *, max_bytes: int = DEFAULT_MAX_PDF_BYTES) -> PdfFileReader:
    """Parse ``pdf`` for inspection; refuses oversized, damaged and encrypted files."""
    _check_size(pdf, max_bytes)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=True)
        if reader.encrypted:
            raise PDFEncrypted
        _touch(reader)
    except _READ_ERRORS as exc:
        raise PDFUnreadable(detail=f"{type(exc).__name__}: {exc}") from exc
    return reader


def open_for_signing(
    pdf: bytes, *, max_bytes: int = DEFAULT_MAX_PDF_BYTES
) -> IncrementalPdfFileWriter:
    """Open ``pdf`` for an incremental update; refuses damaged and encrypted files."""
    _check_size(pdf, max_bytes)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=True)
        if writer.prev.encrypted:
            raise PDFEncrypted
        _touch(writer.prev)
    except _READ_ERRORS as exc:
        raise PDFUnreadable(detail=f"{type(exc).__name__}: {exc}") from exc
    return writer


def page_box(reader: Any, page: int, page_ref: Any = None) -> tuple[float, float, float, float]:
    """The page's crop box (falling back to the media box) as (x1, y1, x2, y2).

    :param page_ref: the page's reference if known (saves walking the page tree)
    """
    try:
        if page_ref is None:
            page_ref, _ = reader.find_page_for_modification(page)
        page_obj = page_ref.get_object()
        box = _inherited(page_obj, "/CropBox") or _inherited(page_obj, "/MediaBox")
        x1, y1, x2, y2 = (float(v) for v in box)
    except (misc.PdfError, ValueError, TypeError, IndexError) as exc:
        raise PlacementInvalid(f"Page {page + 1} does not exist.", detail=str(exc)) from exc
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def find_named_destination(reader: Any, name: str) -> tuple[int, Any, float, float]:
    """Resolve a named destination to (page index, page reference, left, top) from /XYZ.

    Looks in the catalog's /Names /Dests name tree and in the older /Dests dictionary.
    """
    try:
        destination = _lookup_destination(reader.root, name)
        if isinstance(destination, generic.DictionaryObject):
            destination = destination["/D"]
        page_ref = destination.raw_get(0)
        if destination[1] != "/XYZ":
            raise PlacementInvalid(f"Anchor {name!r} is not an /XYZ destination.")
        left, top = destination[2], destination[3]
        if not isinstance(left, _NUMBERS) or not isinstance(top, _NUMBERS):
            raise PlacementInvalid(f"Anchor {name!r} has no position.")
        page = _page_index(reader, page_ref)
    except (misc.PdfError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise PlacementInvalid(f"Anchor {name!r} cannot be resolved.", detail=str(exc)) from exc
    return page, page_ref, float(left), float(top)


def _lookup_destination(root: Any, name: str) -> Any:
    names = _get(root, "/Names")
    if names is not None and "/Dests" in names:
        found = _search_name_tree(names["/Dests"], name, 0)
        if found is not None:
            return found
    destinations = _get(root, "/Dests")
    if destinations is not None and "/" + name in destinations:
        return destinations["/" + name]
    raise PlacementInvalid(f"The document has no anchor named {name!r}.")


def _search_name_tree(node: Any, name: str, depth: int) -> Any:
    if depth > _NAME_TREE_MAX_DEPTH:
        raise PlacementInvalid(detail="name tree too deep")
    if "/Names" in node:
        entries = node["/Names"]
        for index in range(0, len(entries) - 1, 2):
            if _as_text(entries[index]) == name:
                return entries[index + 1]
    for kid in _get(node, "/Kids") or ():
        kid = kid.get_object()
        limits = _get(kid, "/Limits")
        if limits is not None and not _as_text(limits[0]) <= name <= _as_text(limits[1]):
            continue
        found = _search_name_tree(kid, name, depth + 1)
        if found is not None:
            return found
    return None


def _get(dictionary: Any, key: str) -> Any:
    # pyHanko's dict.get does not resolve indirect references; [] does.
    return dictionary[key] if key in dictionary else None  # noqa: SIM401


def _as_text(value: Any) -> str:
    if isinstance(value, (generic.TextStringObject, str)):
        return str(value)
    if isinstance(value, generic.ByteStringObject):
        return bytes(value).decode("latin-1")
    return str(value)


def _page_index(reader: Any, page_ref: Any) -> int:
    """The 0-based index of the page ``page_ref`` points to, by one walk of the page tree."""
    target = page_ref.reference if isinstance(page_ref, generic.IndirectObject) else None
    index = 0
    pending = [reader.root.raw_get("/Pages")]
    seen = set()
    while pending:
        node_ref = pending.pop()
        reference = node_ref.reference
        if reference in seen:
            raise PlacementInvalid(detail="the page tree has a cycle")
        seen.add(reference)
        node = node_ref.get_object()
        if node.get("/Type") == "/Pages":
            kids = node["/Kids"]
            references = [kids.raw_get(i) for i in range(len(kids))]
            if int(node["/Count"]) == len(references):
                # Only leaves below: find the page without parsing the others.
                positions = [r.reference for r in references]
                if target in positions:
                    return index + positions.index(target)
                index += len(positions)
                continue
            pending.extend(reversed(references))
            continue
        if reference == target:
            return index
        index += 1
    raise PlacementInvalid(detail="anchor points to no page of this document")


def _inherited(page: Any, key: str) -> Any:
    node = page
    for _ in range(_NAME_TREE_MAX_DEPTH):
        if key in node:
            return node[key]
        if "/Parent" not in node:
            return None
        node = node["/Parent"]
    return None


def _check_size(pdf: bytes, max_bytes: int) -> None:
    if len(pdf) > max_bytes:
        raise PDFTooLarge(detail=f"{len(pdf)} bytes > {max_bytes}")
    if not pdf.lstrip()[:5] == b"%PDF-":
        raise PDFUnreadable(detail="no %PDF- header")


def _touch(reader: Any) -> None:
    # Parse the trailer, catalog and page tree now, so damage is reported as such
    # rather than surfacing in the middle of signing.
    reader.root  # noqa: B018
    reader.root["/Pages"]["/Count"]
