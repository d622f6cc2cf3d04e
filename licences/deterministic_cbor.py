"""Core Deterministic Encoding of CBOR (RFC 8949 §4.2.1), for digests and signed payloads.

Why not ``cbor2.dumps(..., canonical=True)``: cbor2 sorts map keys length-first, which is the
old "canonical CBOR" of RFC 7049 §3.9 (kept in RFC 8949 §4.2.3 only for compatibility). RFC 8949
§4.2.1 sorts keys by the bytewise lexicographic order of their encodings, and the two orders
differ as soon as keys of different major types meet (``{24: …, -1: …}``). Our digests and
signatures must follow §4.2.1, so this module encodes the small data model we use itself; the
tests cross-check it against cbor2 wherever both orders agree.

The data model is deliberately narrow:

* ``None``, ``bool``, ``int`` in [-2**64, 2**64 - 1], ``str``, ``bytes``;
* ``list`` / ``tuple`` (arrays) and any ``Mapping`` (maps) whose keys are themselves encodable
  and not maps;
* no floating-point numbers (licence records carry amounts and dates as text, so the float
  rules of §4.2.2 never arise), no tags, no indefinite lengths (§4.2.1: "Indefinite-length
  items MUST NOT appear"), no duplicate keys.

Arguments always use the preferred (shortest) serialization of §4.2.1 / §3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from typing import cast

import cbor2

__all__ = [
    "MAX_DEPTH",
    "DeterministicCBORError",
    "TruncatedCBORError",
    "decode",
    "encode",
    "encode_head",
]

#: Nesting deeper than this is rejected (and recursion stays bounded).
MAX_DEPTH: Final = 32

_UINT64_LIMIT: Final = 1 << 64
#: Heads whose argument fits the initial byte, by major type and argument.
_SHORT_HEADS: Final = tuple(
    tuple(bytes(((major << 5) | n,)) for n in range(24)) for major in range(8)
)


class DeterministicCBORError(ValueError):
    """The value is outside the data model, or the bytes are not its deterministic encoding."""


class TruncatedCBORError(DeterministicCBORError):
    """The bytes end in the middle of a CBOR data item."""


def encode(value: object) -> bytes:
    """Encode ``value`` with RFC 8949 §4.2.1 Core Deterministic Encoding.

    :raises DeterministicCBORError: for floats, other unsupported types, integers outside the
        64-bit range, strings that are not valid Unicode scalar values, or nesting deeper than
        :data:`MAX_DEPTH`.
    """
    out = bytearray()
    _encode_into(out, value, 0)
    return bytes(out)


def decode(data: bytes) -> object:
    """Decode one CBOR data item and insist that ``data`` is exactly its deterministic encoding.

    This rejects trailing bytes, indefinite lengths, non-shortest arguments, unsorted or
    duplicate map keys, floats and tags, so two parsers can never read different values from
    bytes that we accepted (a signed payload means one thing only).

    :raises TruncatedCBORError: if ``data`` ends inside the item.
    :raises DeterministicCBORError: for anything else that is not deterministic CBOR of the
        supported data model.
    """
    try:
        value = cbor2.loads(data)
    except cbor2.CBORDecodeEOF as exc:
        raise TruncatedCBORError("the CBOR item ends early") from exc
    except Exception as exc:  # cbor2 raises many types on hostile input; all mean "not CBOR".
        raise DeterministicCBORError(f"not valid CBOR: {type(exc).__name__}") from exc
    canonical = encode(value)
    if canonical != data:
        if len(canonical) < len(data) and data.startswith(canonical):
            raise DeterministicCBORError(f"{len(data) - len(canonical)} bytes after the CBOR item")
        raise DeterministicCBORError("not in deterministic encoding (RFC 8949 §4.2.1)")
    return value


def encode_head(major: int, argument: int) -> bytes:
    """The initial byte and argument of a data item, in preferred (shortest) form (§3, §4.2.1).

    For callers that write a fixed structure directly; ``encode`` uses the same rules.
    """
    if argument < 24:
        return _SHORT_HEADS[major][argument]
    prefix = major << 5
    if argument < 0x100:
        return bytes((prefix | 24, argument))
    if argument < 0x10000:
        return bytes((prefix | 25,)) + argument.to_bytes(2, "big")
    if argument < 0x100000000:
        return bytes((prefix | 26,)) + argument.to_bytes(4, "big")
    return bytes((prefix | 27,)) + argument.to_bytes(8, "big")


def _head(out: bytearray, major: int, argument: int) -> None:
    """Append an initial byte and its argument in preferred (shortest) form, RFC 8949 §3."""
    prefix = major << 5
    if argument < 24:
        out.append(prefix | argument)
    elif argument < 0x100:
        out.append(prefix | 24)
        out.append(argument)
    elif argument < 0x10000:
        out.append(prefix | 25)
        out += argument.to_bytes(2, "big")
    elif argument < 0x100000000:
        out.append(prefix | 26)
        out += argument.to_bytes(4, "big")
    else:
        out.append(prefix | 27)
        out += argument.to_bytes(8, "big")


def _encode_into(out: bytearray, value: object, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise DeterministicCBORError(f"nesting deeper than {MAX_DEPTH}")
    # Exact-type checks first: this runs on every verification, and isinstance against the
    # Mapping ABC is several times slower than a type comparison.
    kind = type(value)
    if kind is str:
        _encode_text(out, cast(str, value))
    elif kind is int:
        _encode_int(out, cast(int, value))
    elif kind is bytes:
        data = cast(bytes, value)
        _head(out, 2, len(data))
        out += data
    elif kind is dict:
        _encode_map_into(out, cast(dict[object, object], value), depth)
    elif kind is list or kind is tuple:
        items = cast(list[object], value)
        _head(out, 4, len(items))
        for item in items:
            _encode_into(out, item, depth + 1)
    else:
        _encode_other_into(out, value, depth)


def _encode_text(out: bytearray, value: str) -> None:
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DeterministicCBORError("text is not valid Unicode (lone surrogate)") from exc
    _head(out, 3, len(data))
    out += data


def _encode_int(out: bytearray, value: int) -> None:
    if 0 <= value < _UINT64_LIMIT:
        _head(out, 0, value)
    elif -_UINT64_LIMIT <= value < 0:
        _head(out, 1, -1 - value)
    else:
        raise DeterministicCBORError("integer outside the 64-bit range (bignums unsupported)")


def _encode_other_into(out: bytearray, value: object, depth: int) -> None:
    """The less common types and subclasses (``bool`` is an ``int`` subclass)."""
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, float):
        raise DeterministicCBORError("floating-point values are not allowed; use text")
    elif isinstance(value, int):
        _encode_int(out, int(value))
    elif isinstance(value, str):
        _encode_text(out, str(value))
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        _head(out, 2, len(raw))
        out += raw
    elif isinstance(value, list | tuple):
        _head(out, 4, len(value))
        for item in value:
            _encode_into(out, item, depth + 1)
    elif isinstance(value, Mapping):
        _encode_map_into(out, value, depth)
    else:
        raise DeterministicCBORError(f"unsupported type {type(value).__name__}")


def _encode_map_into(out: bytearray, value: Mapping[object, object], depth: int) -> None:
    entries: list[tuple[bytes, object]] = []
    for key, item in value.items():
        if isinstance(key, Mapping):
            raise DeterministicCBORError("map keys must not be maps")
        encoded_key = bytearray()
        _encode_into(encoded_key, key, depth + 1)
        entries.append((bytes(encoded_key), item))
    # RFC 8949 §4.2.1: keys sorted by the bytewise lexicographic order of their encodings.
    entries.sort(key=_first)
    _head(out, 5, len(entries))
    previous = None
    for key_bytes, item in entries:
        if key_bytes == previous:
            raise DeterministicCBORError("duplicate map key")
        previous = key_bytes
        out += key_bytes
        _encode_into(out, item, depth + 1)


def _first(entry: tuple[bytes, object]) -> bytes:
    return entry[0]
