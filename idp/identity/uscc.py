"""Unified social credit codes of legal entities and organizations (GB 32100-2015).

Structure (§4)::

    9  1  350100  M000100Y4  3
    |  |  |       |          └ check character, MOD 31 over the first 17 (§5, Annex A)
    |  |  |       └ organization code, 8 characters + GB 11714-1997 check character
    |  |  └ administrative division of the registration authority (GB/T 2260)
    |  └ entity type within that authority
    └ registration authority

The code is written in 31 characters: the digits and the capital letters without
I, O, Z, S and V (§4.1), which are too easily confused with 1, 0, 2, 5 and U.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from idp.identity.errors import CreditCodeAuthorityInvalid
from idp.identity.errors import CreditCodeCheckInvalid
from idp.identity.errors import CreditCodeFormatInvalid
from idp.identity.errors import CreditCodeOrganizationCheckInvalid
from idp.identity.errors import CreditCodeRegionInvalid
from idp.identity.regions import MAINLAND_PROVINCES

#: The 31 code characters in value order (GB 32100 Annex A, Table A.1).
ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
FORBIDDEN: Final = frozenset("IOZSV")
LENGTH: Final = 18

#: w_i = 3^(i-1) mod 31 for positions 1..17 (GB 32100 §5).
_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
#: GB 11714-1997 §5 weights for the 8 body characters of an organization code.
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)

#: Registration authorities and the entity types each may register (GB 32100 §4.2,
#: Table 1, with the authorities added by its amendments).
AUTHORITIES: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "1": (
        "机构编制",
        {"1": "机关", "2": "事业单位", "3": "中央编办直接管理的群众团体", "9": "其他"},
    ),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("市场监管（工商）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业农村",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", {"1": "其他"}),
}

#: Division codes that name the national level rather than a province.
_NATIONAL_DIVISIONS: Final = frozenset({"10"})


@dataclass(frozen=True)
class CreditCode:
    """A validated unified social credit code and what its parts say."""

    code: str

    @property
    def authority(self) -> str:
        return self.code[0]

    @property
    def entity_type(self) -> str:
        return self.code[1]

    @property
    def division_code(self) -> str:
        return self.code[2:8]

    @property
    def organization_code(self) -> str:
        return self.code[8:17]

    @property
    def authority_name(self) -> str:
        return AUTHORITIES[self.authority][0]

    @property
    def entity_type_name(self) -> str:
        return AUTHORITIES[self.authority][1][self.entity_type]

    def __str__(self) -> str:
        return self.code


def parse_credit_code(text: str) -> CreditCode:
    """Validate a unified social credit code; raise a precise error naming the fault.

    Input is normalised first: full-width characters to ASCII, blanks around it
    removed, letters upper-cased.
    """
    code = unicodedata.normalize("NFKC", text).strip().upper()
    if len(code) != LENGTH:
        raise CreditCodeFormatInvalid(
            f"a unified social credit code has {LENGTH} characters, not {len(code)}"
        )
    for position, char in enumerate(code, start=1):
        if char in FORBIDDEN:
            raise CreditCodeFormatInvalid(
                f"character {position} is {char!r}, which credit codes never use "
                "(I, O, Z, S and V are left out, GB 32100 §4.1)"
            )
        if char not in ALPHABET:
            raise CreditCodeFormatInvalid(
                f"character {position} is not a digit or capital letter of the credit code alphabet"
            )
    authority = AUTHORITIES.get(code[0])
    if authority is None:
        raise CreditCodeAuthorityInvalid(
            f"registration authority code {code[0]!r} (character 1) is not defined in GB 32100"
        )
    name, types = authority
    if code[1] not in types:
        raise CreditCodeAuthorityInvalid(
            f"entity type {code[1]!r} (character 2) is not defined for registration "
            f"authority {code[0]} ({name})"
        )
    division = code[2:8]
    if not division.isdigit() or (
        division[:2] not in MAINLAND_PROVINCES and division[:2] not in _NATIONAL_DIVISIONS
    ):
        raise CreditCodeRegionInvalid(
            f"characters 3-8 ({division}) are not an administrative division code of a "
            "province or the national level"
        )
    organization = code[8:17]
    if organization[8] != organization_check_char(organization[:8]):
        raise CreditCodeOrganizationCheckInvalid(
            "the organization code (characters 9-17) fails its GB 11714 check character; "
            "please check for a typing error"
        )
    if code[17] != credit_code_check_char(code[:17]):
        raise CreditCodeCheckInvalid(
            "the check character (character 18) does not match the code (GB 32100 §5); "
            "please check for a typing error"
        )
    return CreditCode(code)


def credit_code_check_char(body: str) -> str:
    """The GB 32100 §5 check character for 17 code characters.

    ``C18 = 31 - (sum(C_i * W_i) mod 31)``, where 31 becomes 0.
    """
    if len(body) != 17 or any(c not in ALPHABET for c in body):
        raise ValueError("the body is 17 characters of the credit code alphabet")
    total = sum(ALPHABET.index(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def organization_check_char(body: str) -> str:
    """The GB 11714-1997 check character for an organization code's 8 body characters.

    Digits count their value and letters A-Z 10-35; ``C9 = 11 - (sum mod 11)``, where
    10 is written ``X`` and 11 is written ``0``.
    """
    if not re.fullmatch(r"[0-9A-Z]{8}", body):
        raise ValueError("the body is 8 digits or capital letters")
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))
