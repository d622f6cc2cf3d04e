from __future__ import annotations

import pytest

from idp.identity.errors import PhoneInvalid
from idp.identity.masking import mask_id_number
from idp.identity.masking import mask_name
from idp.identity.masking import mask_phone
from idp.identity.phones import parse_mobile


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("110101199003074258", "1101**********4258"),
        ("11010519491231002X", "1101**********002X"),
        ("E12345678", "E1*****78"),
        ("12345678", "12****78"),
        ("ABC", "***"),
        ("", ""),
    ],
)
def test_mask_id_number(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked
    assert len(masked) == len(number)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("0755123456", "******3456"), ("12345", "*****")],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张小三", "张*三"),
        ("张三", "*三"),
        ("欧阳小明", "欧**明"),
        ("王", "*"),
        ("买买提·艾力", "买****力"),
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "+86 138 1234 5678",
        "0086-138-1234-5678",
        "8613812345678",
        "１３８１２３４５６７８",
    ],
)
def test_parse_mobile_accepts_common_spellings(typed: str) -> None:
    assert parse_mobile(typed) == "13812345678"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1381234567", "11 digits, not 10"),
        ("12812345678", "starts with 13 to 19"),
        ("1381234567a", "only digits"),
        ("+1 415 555 0100", r"optional \+86"),
    ],
)
def test_parse_mobile_refuses(typed: str, message: str) -> None:
    with pytest.raises(PhoneInvalid, match=message):
        parse_mobile(typed)
