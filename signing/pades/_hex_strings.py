"""A faster reader for PDF hex strings, installed into pyHanko on import.

pyHanko reads ``<...>`` hex strings one character at a time through a generator.
A signature's /Contents is a hex string of 10-20 thousand characters, so parsing
it dominated verification (about 5 ms of every signature read). This reader finds
the closing ``>`` in chunks and decodes in one call; anything unusual (a ``%``,
which pyHanko treats as a comment start) falls back to pyHanko's own reader, so
the results and errors are the same.
"""

from __future__ import annotations

import binascii
import os
from typing import IO
from typing import Any
from typing import Final

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import misc

__all__ = ["install", "read_hex_string"]

_CHUNK: Final = 16 * 1024
_HEX_DIGITS: Final = b"0123456789abcdefABCDEF"
_original = generic.read_hex_string_from_stream


def read_hex_string(stream: IO[bytes]) -> Any:
    """Read ``<hex digits and whitespace>`` at the stream position as a PDF string."""
    start = stream.tell()
    stream.read(1)
    pieces = []
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            stream.seek(start)
            return _original(stream)  # let pyHanko raise its end-of-stream error
        end = chunk.find(b">")
        if end >= 0:
            pieces.append(chunk[:end])
            stream.seek(end + 1 - len(chunk), os.SEEK_CUR)
            break
        pieces.append(chunk)
    digits = b"".join(pieces).translate(None, misc.PDF_WHITESPACE)
    if digits.translate(None, _HEX_DIGITS):
        stream.seek(start)
        return _original(stream)  # comments or bad tokens: pyHanko's rules and errors
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


def install() -> None:
    """Make pyHanko's object reader use :func:`read_hex_string` (idempotent)."""
    generic.read_hex_string_from_stream = read_hex_string
