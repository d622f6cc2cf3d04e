"""The asn1crypto fixes: lengths ending in 0x80 are not indefinite; faster name equality."""

from __future__ import annotations

from typing import Any
from typing import ClassVar

import pytest
from asn1crypto import core
from asn1crypto import x509 as asn1_x509

import keys.pki  # noqa: F401 - importing the package applies the fix
from keys.pki.asn1_fix import ends_with_indefinite_length


@pytest.mark.parametrize(
    ("header", "indefinite"),
    [
        pytest.param(b"\x30\x80", True, id="indefinite"),
        pytest.param(b"\x30\x81\x80", False, id="128-long-form"),
        pytest.param(b"\x30\x82\x01\x80", False, id="384-long-form"),
        pytest.param(b"\x30\x7f", False, id="short-form"),
        pytest.param(b"\xa0\x82\x01\x80\x30\x80", True, id="explicit-over-indefinite"),
        pytest.param(b"\xa0\x80\x30\x82\x01\x80", False, id="indefinite-over-definite"),
        pytest.param(b"\x1f\x81\x05\x82\x01\x80", False, id="high-tag-number"),
    ],
)
def test_indefinite_length_detection(header: bytes, indefinite: bool) -> None:
    assert ends_with_indefinite_length(header) is indefinite


class _Flagged(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar = [("payload", core.OctetString), ("flag", core.Boolean)]


def _flagged_with_length_ending_in_0x80() -> bytes:
    # TRUE as 0x01 is valid BER but not DER (DER wants 0xFF): a forced re-encode
    # would change these bytes, an untouched value keeps them.
    flag = b"\x01\x01\x01"
    for pad in range(600):
        content = core.OctetString(b"\x00" * pad).dump() + flag
        if len(content) > 0xFF and len(content) % 0x100 == 0x80:
            return bytes(b"\x30\x82" + len(content).to_bytes(2, "big") + content)
    raise AssertionError("no padding found")


def test_parsed_values_with_0x80_lengths_are_not_reencoded() -> None:
    der = _flagged_with_length_ending_in_0x80()
    assert der[3] == 0x80
    value = _Flagged.load(der)
    assert value["flag"].native is True
    assert value.dump() == der
    assert core.SequenceOf(spec=_Flagged, value=[value]).dump()[4:] == der


def test_genuine_indefinite_lengths_are_still_reencoded() -> None:
    ber = b"\x30\x80\x04\x01\x41\x00\x00"
    value = core.Sequence.load(ber)
    assert value.dump() == b"\x30\x03\x04\x01\x41"


def _name(**attributes: Any) -> asn1_x509.Name:
    return asn1_x509.Name.build(attributes)


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        pytest.param(_name(common_name="通办"), _name(common_name="通办"), True, id="same"),
        pytest.param(
            _name(common_name="Tongban"), _name(common_name="TONGBAN  "), True, id="prepared"
        ),
        pytest.param(
            _name(common_name="Tongban"),
            asn1_x509.Name.build({"common_name": "Tongban"}, use_printable=True),
            True,
            id="printable-vs-utf8",
        ),
        pytest.param(_name(common_name="通办"), _name(common_name="通辦"), False, id="different"),
        pytest.param(
            _name(common_name="通办", organization_name="浙江"),
            _name(common_name="通办"),
            False,
            id="extra-attribute",
        ),
    ],
)
def test_name_equality_follows_rfc_5280(
    left: asn1_x509.Name, right: asn1_x509.Name, equal: bool
) -> None:
    assert (left == right) is equal
    assert (left != right) is not equal


def test_a_tagged_name_equals_the_same_name_untagged() -> None:
    name = _name(common_name="浙江省市场监督管理局")
    general = asn1_x509.GeneralName("directory_name", name)
    tagged = asn1_x509.GeneralName.load(general.dump()).chosen
    assert tagged.dump() != name.dump()
    assert tagged == name
