"""Bytes as decimal digits, for the numeric mode of QR codes (ISO/IEC 18004 §7.4.3).

QR numeric mode stores three digits in 10 bits. A byte written in base 10 needs about 2.41
digits, so it costs about 8.03 bits of QR capacity (Base45 in alphanumeric mode costs about
8.25, base64url in byte mode about 10.7). Digits are also legal anywhere in a URL, which
Base45's space and ``%`` are not.

The encoding works in groups so that its cost is linear and a cut-off input still decodes to
a prefix of the bytes (which the CBOR layer then reports as truncated):

* every full group of 22 bytes, read as a big-endian unsigned integer, becomes exactly 53
  digits (``256**22 < 10**53``), left-padded with zeros;
* a final group of n = 1..21 bytes becomes the fewest digits that hold ``256**n - 1``
  (3, 5, 8, 10, 13, …, 51; see :func:`digit_count`), also zero-padded.

This costs 53/22 ≈ 2.409 digits per byte, 0.04 % more than one big base-10 integer. A group
needs integers of up to 176 bits (Python ``int``, JavaScript ``BigInt``, Java ``BigInteger``,
Go ``math/big``). Larger groups would save nothing; smaller ones decode more slowly in Python.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "GROUP_BYTES",
    "GROUP_DIGITS",
    "DigitsError",
    "TruncatedDigitsError",
    "decode_checked_digits",
    "decode_digits",
    "digit_count",
    "encode_digits",
]

GROUP_BYTES: Final = 22
GROUP_DIGITS: Final = 53
#: Digits used by a final group of n bytes (n = 0..21): the length of ``str(256**n - 1)``.
_TAIL_DIGITS: Final = (0, *(len(str(256**n - 1)) for n in range(1, GROUP_BYTES)))
_TAIL_BYTES: Final = {digits: n for n, digits in enumerate(_TAIL_DIGITS)}


class DigitsError(ValueError):
    """The text is not a digit string that :func:`encode_digits` can produce."""


class TruncatedDigitsError(DigitsError):
    """The digits end in a way only a cut-off string would: a length that fits no byte count,
    or a final group too large for its length."""


def digit_count(byte_count: int) -> int:
    """How many digits :func:`encode_digits` writes for ``byte_count`` bytes."""
    full, tail = divmod(byte_count, GROUP_BYTES)
    return full * GROUP_DIGITS + _TAIL_DIGITS[tail]


def encode_digits(data: bytes) -> str:
    """Write ``data`` as decimal digits, 53 per 22-byte group."""
    parts: list[str] = []
    full_end = len(data) - len(data) % GROUP_BYTES
    for start in range(0, full_end, GROUP_BYTES):
        value = int.from_bytes(data[start : start + GROUP_BYTES], "big")
        parts.append(f"{value:0{GROUP_DIGITS}d}")
    tail = data[full_end:]
    if tail:
        parts.append(f"{int.from_bytes(tail, 'big'):0{_TAIL_DIGITS[len(tail)]}d}")
    return "".join(parts)


def decode_digits(digits: str) -> bytes:
    """Read bytes back from :func:`encode_digits` output.

    :raises TruncatedDigitsError: if the digit count fits no byte length.
    :raises DigitsError: for characters other than ASCII ``0``-``9`` or a group whose value
        is too large for its byte count.
    """
    if digits and not (digits.isascii() and digits.isdigit()):
        raise DigitsError("only the ASCII digits 0-9 may appear")
    return decode_checked_digits(digits)


def decode_checked_digits(digits: str) -> bytes:
    """:func:`decode_digits` for text already known to hold only ASCII digits."""
    full, tail_digits = divmod(len(digits), GROUP_DIGITS)
    tail_bytes = _TAIL_BYTES.get(tail_digits)
    if tail_bytes is None:
        raise TruncatedDigitsError(f"{len(digits)} digits fit no whole number of bytes")
    end = full * GROUP_DIGITS
    groups = [int(digits[start : start + GROUP_DIGITS]) for start in range(0, end, GROUP_DIGITS)]
    if groups and max(groups) >> (8 * GROUP_BYTES):
        raise DigitsError(f"a {GROUP_DIGITS}-digit group exceeds {GROUP_BYTES} bytes")
    data = b"".join([group.to_bytes(GROUP_BYTES, "big") for group in groups])
    if tail_bytes:
        tail = int(digits[end:])
        if tail >> (8 * tail_bytes):
            # The start of a full group read as a short final one: the usual result of a cut.
            raise TruncatedDigitsError(f"the final group exceeds {tail_bytes} bytes")
        data += tail.to_bytes(tail_bytes, "big")
    return data
