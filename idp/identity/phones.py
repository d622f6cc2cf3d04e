"""Mainland China mobile numbers (the numbering plan of MIIT: 11 digits starting 13-19).

:func:`parse_mobile` accepts what people type (``+86 138 1234 5678``,
``0086-13812345678``, full-width digits) and returns the 11 digits, the form that is
hashed, encrypted and sent to the SMS gateway.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from idp.identity.errors import PhoneInvalid

_SEPARATORS: Final = re.compile(r"[\s\-()]")
_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}")


def parse_mobile(text: str) -> str:
    """The 11-digit mainland mobile number in ``text``; raise :class:`PhoneInvalid`."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    else:
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
    if not digits.isascii() or not digits.isdigit():
        raise PhoneInvalid("a mobile number has only digits (and an optional +86)")
    if len(digits) != 11:
        raise PhoneInvalid(f"a mainland mobile number has 11 digits, not {len(digits)}")
    if not _MOBILE.fullmatch(digits):
        raise PhoneInvalid("a mainland mobile number starts with 13 to 19")
    return digits
