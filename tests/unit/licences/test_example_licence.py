"""The example business licence is realistic: its codes carry valid check characters."""

from __future__ import annotations

import pytest
from licence_support import example_licence

# GB 32100-2015 §4: the 31-character set and weights 3**(i-1) mod 31 of the check character.
USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
# GB 11714-1997: weights of the organization code's check character.
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_CHARACTERS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARACTERS[(31 - total % 31) % 31]


def org_code_check_character(body: str) -> str:
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, ORG_WEIGHTS, strict=True)
    )
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def is_valid_uscc(code: str) -> bool:
    return (
        len(code) == 18
        and all(c in USCC_CHARACTERS for c in code)
        and uscc_check_character(code[:17]) == code[17]
        and org_code_check_character(code[8:16]) == code[16]
    )


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # The example in GB 32100-2015.
        "9144030071526726XG",  # Published on business licences.
        "914403001922038216",
    ],
)
def test_check_character_algorithm_accepts_published_codes(code: str) -> None:
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", ["91350100M000100Y44", "91350100M000100Y4", "9135010OM000100Y43"])
def test_check_character_algorithm_rejects_altered_codes(code: str) -> None:
    assert not is_valid_uscc(code)


def test_example_codes_are_valid() -> None:
    record = example_licence()["record"]
    assert is_valid_uscc(record["holder"]["uscc"])
    assert is_valid_uscc(record["registration_authority_code"])
    assert record["holder"]["uscc"][:2] == "91"  # 工商 registration, enterprise.
    assert record["holder"]["uscc"][2:8] == "330106"  # 杭州市西湖区.


def test_example_has_the_fields_of_a_business_licence() -> None:
    record = example_licence()["record"]
    for field in (
        "company_type",
        "legal_representative",
        "registered_capital",
        "established_on",
        "business_term",
        "address",
        "business_scope",
        "registration_authority",
    ):
        assert record[field], field
    assert len(record["holder"]["name"]) >= 16
