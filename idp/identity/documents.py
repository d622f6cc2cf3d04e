"""Identity documents of natural persons, validated by type.

* Resident identity card numbers: GB 11643-1999 *Citizen identification number*
  (§4 structure: 6-digit address code, 8-digit birth date, 3-digit sequence, check
  character; §5 check character: ISO 7064 MOD 11-2). The residence permits for Hong
  Kong, Macao and Taiwan residents use the same structure with region 810000/820000/830000.
* PRC ordinary passports: ``G`` + 8 digits (before 2012), ``E`` + 8 digits (e-passports
  from 2012) and ``E`` + a letter (not I or O) + 7 digits (once the digits ran out).
* Mainland Travel Permit for Hong Kong and Macao Residents (港澳居民来往内地通行证,
  回乡证): ``H`` (Hong Kong) or ``M`` (Macao) + 8 digits, or + 10 digits where the
  last two count re-issues.
* Mainland Travel Permit for Taiwan Residents (台湾居民来往大陆通行证, 台胞证): 8 digits.
* Foreign Permanent Resident ID Card (外国人永久居留身份证): the 2023 card's 18 digits
  (``9``, issuing province, 3-digit nationality, birth date, sequence, GB 11643 check
  character), or the earlier cards' 3 letters (ISO 3166-1 alpha-3 nationality) + 12
  digits, of which only the shape is checked: the old cards' check character algorithm
  is not published.

:func:`parse_document` is the one entry point: it normalises what a person typed
(full-width characters, spaces around it, a lower-case ``x``) and raises a precise
:class:`~idp.identity.errors.DocumentInvalid` naming what is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from idp.identity.errors import DocumentBirthDateInvalid
from idp.identity.errors import DocumentCheckDigitInvalid
from idp.identity.errors import DocumentFormatInvalid
from idp.identity.errors import DocumentRegionInvalid
from idp.identity.errors import DocumentTypeUnknown
from idp.identity.masking import mask_id_number
from idp.identity.regions import MAINLAND_PROVINCES
from idp.identity.regions import RESIDENCE_PERMIT_REGIONS

#: Birth dates before this are refused as implausible.
EARLIEST_BIRTH_YEAR: Final = 1900

#: ISO 7064 MOD 11-2 weights for the 17 body digits, 2^(18-i) mod 11 (GB 11643 §5.1).
_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
#: Check character for each value of the weighted sum mod 11 (GB 11643 §5.2).
_CHECK_CHARS: Final = "10X98765432"


class DocumentType(StrEnum):
    """The identity documents Tongban accepts; the values are stored and sent in claims."""

    RESIDENT_ID = "resident_id"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    FOREIGN_PERMANENT_RESIDENT_ID = "foreign_permanent_resident_id"


@dataclass(frozen=True)
class Document:
    """A validated, normalised identity document number."""

    type: DocumentType
    number: str
    #: From the number itself, where the format carries it.
    birth_date: date | None = None
    #: The 6-digit address code of a resident ID number.
    region_code: str | None = None

    def __repr__(self) -> str:  # Keep full numbers out of logs and tracebacks.
        return f"Document(type={self.type.value}, number={mask_id_number(self.number)})"

    @property
    def lookup_value(self) -> str:
        """The string a keyed lookup hash is computed over: type and number together."""
        return f"{self.type.value}:{self.number}"


def parse_document(doc_type: DocumentType | str, number: str, *, today: date) -> Document:
    """Validate ``number`` as a document of ``doc_type`` and return it normalised.

    ``today`` bounds birth dates: nobody is born in the future.
    """
    try:
        kind = DocumentType(doc_type)
    except ValueError:
        accepted = ", ".join(t.value for t in DocumentType)
        raise DocumentTypeUnknown(
            f"unknown document type {str(doc_type)[:40]!r}; accepted: {accepted}"
        ) from None
    text = normalise_number(number)
    if not text:
        raise DocumentFormatInvalid("the document number is empty")
    return _PARSERS[kind](text, today)


def normalise_number(number: str) -> str:
    """Full-width to ASCII (NFKC), surrounding blanks removed, letters upper-cased."""
    return unicodedata.normalize("NFKC", number).strip().upper()


def resident_id_check_char(body: str) -> str:
    """The GB 11643 §5 check character (ISO 7064 MOD 11-2) for 17 body digits."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise ValueError("the body is 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _parse_resident_id(text: str, today: date) -> Document:
    kind = DocumentType.RESIDENT_ID
    if len(text) == 15 and text.isdigit():
        raise DocumentFormatInvalid(
            "15-digit first-generation ID numbers are no longer valid; enter the 18-digit "
            "number on the current card"
        )
    _require_gb11643_shape(text, "resident ID number")
    region = text[:6]
    if region in RESIDENCE_PERMIT_REGIONS:
        pass
    elif region[:2] not in MAINLAND_PROVINCES:
        raise DocumentRegionInvalid(
            f"region code {region} of the resident ID number names no province "
            f"({region[:2]} is not a province-level code)"
        )
    birth = _birth_date(text[6:14], today, "resident ID number")
    _require_check_char(text, "resident ID number")
    return Document(kind, text, birth_date=birth, region_code=region)


def _parse_foreign_permanent_resident_id(text: str, today: date) -> Document:
    kind = DocumentType.FOREIGN_PERMANENT_RESIDENT_ID
    what = "foreign permanent resident ID number"
    if len(text) == 15:
        if not re.fullmatch(r"[A-Z]{3}[0-9]{12}", text):
            raise DocumentFormatInvalid(
                f"a 15-character {what} is 3 letters (the nationality) and 12 digits"
            )
        return Document(kind, text)
    _require_gb11643_shape(text, what)
    if text[0] != "9":
        raise DocumentFormatInvalid(f"an 18-digit {what} starts with 9")
    if text[1:3] not in MAINLAND_PROVINCES:
        raise DocumentRegionInvalid(
            f"the issuing province code {text[1:3]} of the {what} is not a province-level code"
        )
    birth = _birth_date(text[6:14], today, what)
    _require_check_char(text, what)
    return Document(kind, text, birth_date=birth)


def _parse_passport(text: str, _today: date) -> Document:
    if not re.fullmatch(r"G[0-9]{8}|E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}", text):
        raise DocumentFormatInvalid(
            "a PRC passport number is G or E and 8 digits, or E, a letter (not I or O) "
            f"and 7 digits; got {_shape(text)}"
        )
    return Document(DocumentType.PASSPORT, text)


def _parse_hk_macao_permit(text: str, _today: date) -> Document:
    if not re.fullmatch(r"[HM][0-9]{8}(?:[0-9]{2})?", text):
        raise DocumentFormatInvalid(
            "a Mainland Travel Permit for Hong Kong and Macao Residents is H or M and "
            f"8 or 10 digits; got {_shape(text)}"
        )
    return Document(DocumentType.HK_MACAO_PERMIT, text)


def _parse_taiwan_permit(text: str, _today: date) -> Document:
    if not re.fullmatch(r"[0-9]{8}", text):
        raise DocumentFormatInvalid(
            f"a Mainland Travel Permit for Taiwan Residents is 8 digits; got {_shape(text)}"
        )
    return Document(DocumentType.TAIWAN_PERMIT, text)


_PARSERS: Final = {
    DocumentType.RESIDENT_ID: _parse_resident_id,
    DocumentType.PASSPORT: _parse_passport,
    DocumentType.HK_MACAO_PERMIT: _parse_hk_macao_permit,
    DocumentType.TAIWAN_PERMIT: _parse_taiwan_permit,
    DocumentType.FOREIGN_PERMANENT_RESIDENT_ID: _parse_foreign_permanent_resident_id,
}


def _require_gb11643_shape(text: str, what: str) -> None:
    if len(text) != 18:
        raise DocumentFormatInvalid(f"a {what} has 18 characters, not {len(text)}")
    if not re.fullmatch(r"[0-9]{17}[0-9X]", text):
        position = next(
            i + 1 for i, c in enumerate(text) if not ("0" <= c <= "9" or (i == 17 and c == "X"))
        )
        raise DocumentFormatInvalid(
            f"a {what} is 17 digits and a digit or X; character {position} is not"
        )


def _require_check_char(text: str, what: str) -> None:
    expected = resident_id_check_char(text[:17])
    if text[17] != expected:
        raise DocumentCheckDigitInvalid(
            f"the check character of the {what} does not match its digits (GB 11643); "
            "please check the number for a typing error"
        )


def _birth_date(digits: str, today: date, what: str) -> date:
    try:
        birth = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise DocumentBirthDateInvalid(
            f"the birth date {digits[:4]}-{digits[4:6]}-{digits[6:8]} in the {what} "
            "is not a calendar date"
        ) from None
    if birth.year < EARLIEST_BIRTH_YEAR:
        raise DocumentBirthDateInvalid(
            f"the birth date {birth.isoformat()} in the {what} is before {EARLIEST_BIRTH_YEAR}"
        )
    if birth > today:
        raise DocumentBirthDateInvalid(
            f"the birth date {birth.isoformat()} in the {what} is in the future"
        )
    return birth


def _shape(text: str) -> str:
    """Describe ``text`` without echoing it: its length and character classes."""
    classes = []
    if any(c.isdigit() for c in text):
        classes.append("digits")
    if any(c.isalpha() for c in text):
        classes.append("letters")
    if any(not c.isalnum() for c in text):
        classes.append("other characters")
    return f"{len(text)} characters ({', '.join(classes)})"
