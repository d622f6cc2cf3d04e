"""Bytes as QR numeric-mode digits: round trips, exact lengths, and what a cut-off does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licences.decimal_digits import GROUP_BYTES
from licences.decimal_digits import GROUP_DIGITS
from licences.decimal_digits import DigitsError
from licences.decimal_digits import TruncatedDigitsError
from licences.decimal_digits import decode_digits
from licences.decimal_digits import digit_count
from licences.decimal_digits import encode_digits


def test_a_group_is_the_fewest_digits_that_hold_its_bytes() -> None:
    assert len(str(256**GROUP_BYTES - 1)) == GROUP_DIGITS
    for n in range(GROUP_BYTES + 1):
        assert digit_count(n) == (len(str(256**n - 1)) if n else 0)


@pytest.mark.parametrize(
    ("data", "digits"),
    [
        (b"", ""),
        (b"\x00", "000"),
        (b"\xff", "255"),
        (b"\x01\x00", "00256"),
        (b"\xff" * 22, str(256**22 - 1)),
        (b"\x00" * 22 + b"\x07", "0" * 53 + "007"),
    ],
)
def test_known_encodings(data: bytes, digits: str) -> None:
    assert encode_digits(data) == digits
    assert decode_digits(digits) == data


@given(st.binary(max_size=600))
def test_round_trip(data: bytes) -> None:
    digits = encode_digits(data)
    assert len(digits) == digit_count(len(data))
    assert digits == "" or digits.isdigit()
    assert decode_digits(digits) == data


@given(st.binary(min_size=GROUP_BYTES * 2, max_size=400), st.integers(1, 10))
def test_cutting_whole_groups_gives_a_prefix_of_the_bytes(data: bytes, groups: int) -> None:
    digits = encode_digits(data)
    kept = min(groups, len(data) // GROUP_BYTES) * GROUP_DIGITS
    assert decode_digits(digits[:kept]) == data[: kept // GROUP_DIGITS * GROUP_BYTES]


@pytest.mark.parametrize("length", [1, 2, 4, 6, 7, 52, 54])
def test_a_length_that_fits_no_byte_count_is_truncation(length: int) -> None:
    with pytest.raises(TruncatedDigitsError, match="fit no whole number"):
        decode_digits("1" * length)


@pytest.mark.parametrize("text", ["12a", "٣٤٥", "１２３", "+12", " 12", "1_2"])
def test_only_ascii_digits_are_accepted(text: str) -> None:
    with pytest.raises(DigitsError, match="ASCII digits"):
        decode_digits(text)


@pytest.mark.parametrize("digits", ["256", "9" * 53, "0" * 53 + "99999"])
def test_a_group_too_large_for_its_bytes_is_refused(digits: str) -> None:
    with pytest.raises(DigitsError, match="exceeds"):
        decode_digits(digits)
