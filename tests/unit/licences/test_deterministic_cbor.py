"""RFC 8949 §4.2.1 Core Deterministic Encoding: vectors, strictness, and a cbor2 cross-check."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from licences import deterministic_cbor
from licences.deterministic_cbor import DeterministicCBORError
from licences.deterministic_cbor import TruncatedCBORError

# RFC 8949 Appendix A, the examples within our data model (no floats, tags or bignums).
APPENDIX_A = [
    (0, "00"),
    (1, "01"),
    (10, "0a"),
    (23, "17"),
    (24, "1818"),
    (25, "1819"),
    (100, "1864"),
    (1000, "1903e8"),
    (1000000, "1a000f4240"),
    (1000000000000, "1b000000e8d4a51000"),
    (18446744073709551615, "1bffffffffffffffff"),
    (-18446744073709551616, "3bffffffffffffffff"),
    (-1, "20"),
    (-10, "29"),
    (-100, "3863"),
    (-1000, "3903e7"),
    (False, "f4"),
    (True, "f5"),
    (None, "f6"),
    (b"", "40"),
    (bytes.fromhex("01020304"), "4401020304"),
    ("", "60"),
    ("a", "6161"),
    ("IETF", "6449455446"),
    ('"\\', "62225c"),
    ("\u00fc", "62c3bc"),
    ("\u6c34", "63e6b0b4"),
    ("\U00010151", "64f0908591"),
    ([], "80"),
    ([1, 2, 3], "83010203"),
    ([1, [2, 3], [4, 5]], "8301820203820405"),
    (list(range(1, 26)), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
    ({}, "a0"),
    ({1: 2, 3: 4}, "a201020304"),
    ({"a": 1, "b": [2, 3]}, "a26161016162820203"),
    (["a", {"b": "c"}], "826161a161626163"),
    (
        {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"},
        "a56161614161626142616361436164614461656145",
    ),
]


@pytest.mark.parametrize(("value", "expected"), APPENDIX_A)
def test_rfc8949_appendix_a_examples(value: object, expected: str) -> None:
    assert deterministic_cbor.encode(value).hex() == expected
    assert deterministic_cbor.decode(bytes.fromhex(expected)) == value


def test_map_keys_follow_bytewise_order_of_rfc8949_4_2_1() -> None:
    # The example order given in RFC 8949 §4.2.1 itself.
    keys = [False, (-1,), (100,), "aa", "z", -1, 100, 10]
    encoded = deterministic_cbor.encode(dict.fromkeys(keys, 0))
    expected = "a8" + "".join(
        f"{key}00" for key in ("0a", "1864", "20", "617a", "626161", "811864", "8120", "f4")
    )
    assert encoded.hex() == expected


def test_differs_from_cbor2_length_first_canonical_order() -> None:
    # cbor2's canonical mode sorts length-first (RFC 7049), which RFC 8949 §4.2.3 keeps only
    # for compatibility; the digest and signatures need §4.2.1.
    value = {24: 1, -1: 2}
    assert deterministic_cbor.encode(value).hex() == "a21818012002"
    assert cbor2.dumps(value, canonical=True).hex() == "a22002181801"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "floating-point"),
        (2**64, "64-bit"),
        (-(2**64) - 1, "64-bit"),
        ("\ud800", "surrogate"),
        ({1, 2}, "unsupported type set"),
        ({frozenset(): 1}, "unsupported type"),
        ({"a": {"b": 1.0}}, "floating-point"),
    ],
)
def test_rejects_values_outside_the_data_model(value: object, message: str) -> None:
    with pytest.raises(DeterministicCBORError, match=message):
        deterministic_cbor.encode(value)


def test_rejects_nesting_deeper_than_max_depth() -> None:
    value: list[object] = []
    for _ in range(deterministic_cbor.MAX_DEPTH + 1):
        value = [value]
    with pytest.raises(DeterministicCBORError, match="nesting"):
        deterministic_cbor.encode(value)


def test_a_cyclic_structure_is_rejected_not_looped() -> None:
    value: list[object] = []
    value.append(value)
    with pytest.raises(DeterministicCBORError, match="nesting"):
        deterministic_cbor.encode(value)


@pytest.mark.parametrize(
    ("hex_input", "message"),
    [
        ("1800", "deterministic"),  # 0 with a one-byte argument: not shortest.
        ("5801ff", "deterministic"),  # A one-byte string with a long-form length.
        ("9f01ff", "deterministic"),  # Indefinite-length array.
        ("a201020102", "deterministic"),  # Duplicate key (cbor2 keeps the last).
        ("a203040102", "deterministic"),  # Keys out of order.
        ("0102", "1 bytes after"),  # Trailing bytes.
        ("f93c00", "floating-point"),  # 1.0 as a half float.
        ("c11a00000000", "unsupported type datetime"),  # Tag 1: a datetime.
        ("c249010000000000000000", "64-bit"),  # Tag 2: a bignum.
        ("1f", "not valid CBOR"),
        ("ff", "not valid CBOR"),
    ],
)
def test_decode_rejects_anything_but_deterministic_cbor(hex_input: str, message: str) -> None:
    with pytest.raises(DeterministicCBORError, match=message):
        deterministic_cbor.decode(bytes.fromhex(hex_input))


@pytest.mark.parametrize("hex_input", ["", "83", "8301", "5bffffffffffffffff", "6461"])
def test_decode_reports_truncation(hex_input: str) -> None:
    with pytest.raises(TruncatedCBORError):
        deterministic_cbor.decode(bytes.fromhex(hex_input))


def test_encode_head_matches_the_encoder() -> None:
    for argument in (0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1):
        assert deterministic_cbor.encode_head(0, argument) == deterministic_cbor.encode(argument)


_scalars = st.none() | st.booleans() | st.integers(-(2**64), 2**64 - 1) | st.binary() | st.text()
_text_keyed = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_text_keyed)
def test_agrees_with_cbor2_where_both_orders_coincide(value: object) -> None:
    # With text keys only, length-first and bytewise orders coincide, so cbor2 is an
    # independent implementation to check against.
    encoded = deterministic_cbor.encode(value)
    assert encoded == cbor2.dumps(value, canonical=True)
    assert deterministic_cbor.decode(encoded) == value
