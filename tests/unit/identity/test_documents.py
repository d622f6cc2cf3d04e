"""GB 11643 ID numbers and the other document types, from vectors with negative siblings."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from idp.identity.documents import Document
from idp.identity.documents import DocumentType
from idp.identity.documents import parse_document
from idp.identity.documents import resident_id_check_char
from idp.identity.errors import DocumentBirthDateInvalid
from idp.identity.errors import DocumentFormatInvalid
from idp.identity.errors import DocumentInvalid
from idp.identity.errors import DocumentTypeUnknown

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "identity" / "gb11643-gb32100.json"
TODAY = date(2026, 11, 27)


def load_vectors(section: str) -> list[dict[str, Any]]:
    data = json.loads(VECTORS.read_text(encoding="utf-8"))
    return data[section]  # type: ignore[no-any-return]


def _ids(vector: dict[str, Any]) -> str:
    return str(vector["note"])


RESIDENT = load_vectors("resident_id")
FOREIGN = load_vectors("foreign_permanent_resident_id")


@pytest.mark.parametrize("vector", [v for v in RESIDENT if v["valid"]], ids=_ids)
def test_valid_resident_id_numbers(vector: dict[str, Any]) -> None:
    doc = parse_document("resident_id", vector["number"], today=TODAY)
    assert doc.number == vector.get("normalised", vector["number"])
    assert doc.type is DocumentType.RESIDENT_ID
    assert doc.region_code == doc.number[:6]
    assert doc.birth_date == date(
        int(doc.number[6:10]), int(doc.number[10:12]), int(doc.number[12:14])
    )


@pytest.mark.parametrize("vector", [v for v in RESIDENT if not v["valid"]], ids=_ids)
def test_invalid_resident_id_numbers_name_the_fault(vector: dict[str, Any]) -> None:
    with pytest.raises(DocumentInvalid) as info:
        parse_document(DocumentType.RESIDENT_ID, vector["number"], today=TODAY)
    assert info.value.code == vector["error"]
    assert vector["number"] not in info.value.message
    assert info.value.http_status == 400
    assert info.value.expose is True


@pytest.mark.parametrize("vector", FOREIGN, ids=_ids)
def test_foreign_permanent_resident_ids(vector: dict[str, Any]) -> None:
    if vector["valid"]:
        doc = parse_document("foreign_permanent_resident_id", vector["number"], today=TODAY)
        assert doc.number == vector["number"]
    else:
        with pytest.raises(DocumentInvalid) as info:
            parse_document("foreign_permanent_resident_id", vector["number"], today=TODAY)
        assert info.value.code == vector["error"]


def test_standard_examples_check_characters() -> None:
    # GB 11643-1999 gives these two; the second person was born in 1880.
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_check_char("44052418800101001") == "4"
    with pytest.raises(ValueError, match="17 ASCII digits"):
        resident_id_check_char("1101051949123100")


def test_birth_date_today_is_accepted_and_tomorrow_is_not() -> None:
    body = "110105" + TODAY.strftime("%Y%m%d") + "123"
    assert parse_document("resident_id", body + resident_id_check_char(body), today=TODAY)
    with pytest.raises(DocumentBirthDateInvalid, match="in the future"):
        parse_document("resident_id", body + resident_id_check_char(body), today=date(2026, 11, 26))


def test_full_width_and_blanks_are_normalised() -> None:
    typed = " １１０１０５１９４９１２３１００２ｘ "
    assert parse_document("resident_id", typed, today=TODAY).number == "11010519491231002X"


@pytest.mark.parametrize(
    ("doc_type", "number", "normalised"),
    [
        ("passport", "E12345678", "E12345678"),
        ("passport", "ea1234567", "EA1234567"),
        ("passport", "G12345678", "G12345678"),
        ("hk_macao_permit", "H12345678", "H12345678"),
        ("hk_macao_permit", "M1234567801", "M1234567801"),
        ("taiwan_permit", "12345678", "12345678"),
    ],
)
def test_other_documents_accept_their_formats(doc_type: str, number: str, normalised: str) -> None:
    doc = parse_document(doc_type, number, today=TODAY)
    assert doc.number == normalised
    assert doc.birth_date is None
    assert doc.lookup_value == f"{doc_type}:{normalised}"


@pytest.mark.parametrize(
    ("doc_type", "number", "message"),
    [
        ("passport", "E1234567", "G or E and 8 digits"),
        ("passport", "EI1234567", "not I or O"),
        ("passport", "EO1234567", "not I or O"),
        ("passport", "P12345678", "G or E"),
        ("passport", "E123456789", "10 characters"),
        ("hk_macao_permit", "C12345678", "H or M"),
        ("hk_macao_permit", "H123456789", "8 or 10 digits"),
        ("hk_macao_permit", "H1234567", "8 or 10 digits"),
        ("taiwan_permit", "1234567", "8 digits"),
        ("taiwan_permit", "T1234567", "8 digits"),
        ("resident_id", "", "empty"),
        ("resident_id", "   ", "empty"),
    ],
)
def test_other_documents_refuse_wrong_shapes(doc_type: str, number: str, message: str) -> None:
    with pytest.raises(DocumentFormatInvalid, match=message):
        parse_document(doc_type, number, today=TODAY)


def test_unknown_document_type() -> None:
    with pytest.raises(DocumentTypeUnknown, match="accepted: resident_id, passport"):
        parse_document("driving_licence", "123", today=TODAY)


def test_repr_masks_the_number() -> None:
    doc = Document(DocumentType.RESIDENT_ID, "11010519491231002X")
    assert "11010519491231002X" not in repr(doc)
    assert "1101**********002X" in repr(doc)
