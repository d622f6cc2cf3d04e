"""GB 32100 unified social credit codes, from vectors with negative siblings."""

from __future__ import annotations

from typing import Any

import pytest

from idp.identity.errors import CreditCodeInvalid
from idp.identity.uscc import ALPHABET
from idp.identity.uscc import credit_code_check_char
from idp.identity.uscc import organization_check_char
from idp.identity.uscc import parse_credit_code
from tests.unit.identity.test_documents import load_vectors

CODES = load_vectors("credit_codes")


def _ids(vector: dict[str, Any]) -> str:
    return str(vector["note"])


@pytest.mark.parametrize("vector", [v for v in CODES if v["valid"]], ids=_ids)
def test_valid_codes(vector: dict[str, Any]) -> None:
    code = parse_credit_code(vector["code"])
    assert code.code == vector.get("normalised", vector["code"])
    assert code.authority_name
    assert code.entity_type_name
    assert len(code.organization_code) == 9


@pytest.mark.parametrize("vector", [v for v in CODES if not v["valid"]], ids=_ids)
def test_invalid_codes_name_the_fault(vector: dict[str, Any]) -> None:
    with pytest.raises(CreditCodeInvalid) as info:
        parse_credit_code(vector["code"])
    assert info.value.code == vector["error"]
    assert info.value.http_status == 400


def test_the_standard_example_decomposes() -> None:
    code = parse_credit_code("91350100M000100Y43")
    assert (code.authority, code.entity_type, code.division_code) == ("9", "1", "350100")
    assert code.organization_code == "M000100Y4"
    assert code.entity_type_name == "企业"
    assert str(code) == "91350100M000100Y43"


def test_alphabet_has_31_characters_without_the_confusable_ones() -> None:
    assert len(ALPHABET) == 31
    assert not set(ALPHABET) & set("IOZSV")


def test_forbidden_letter_is_named() -> None:
    with pytest.raises(CreditCodeInvalid, match="character 11 is 'O'"):
        parse_credit_code("91350100M0O0100Y43")


def test_check_helpers_refuse_bad_bodies() -> None:
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert organization_check_char("M000100Y") == "4"
    with pytest.raises(ValueError, match="17 characters"):
        credit_code_check_char("91350100M000100Y")
    with pytest.raises(ValueError, match="8 digits"):
        organization_check_char("m000100y")


def test_every_single_character_typo_is_caught() -> None:
    # A MOD 31 check character detects every single substitution (GB 32100 §5).
    good = "91350100M000100Y43"
    for position in range(18):
        for char in ALPHABET:
            if char == good[position]:
                continue
            typo = good[:position] + char + good[position + 1 :]
            with pytest.raises(CreditCodeInvalid):
                parse_credit_code(typo)
