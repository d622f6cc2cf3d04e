"""Masked forms of personal data for pages, logs and claims that must not carry it whole.

The shapes follow common practice on Chinese government and bank pages:
``1101**********4258`` for an 18-character ID number, ``138****5678`` for a mobile
number, ``张*三`` / ``*三`` for names. The length of the original is kept, so a person
recognises their own number; the hidden middle is what identifies them.
"""

from __future__ import annotations

from typing import Final

MASK: Final = "*"


def mask_id_number(number: str) -> str:
    """Keep the first and last four characters of a long number, two of a short one.

    >>> mask_id_number("11010519491231002X")
    '1101**********002X'
    """
    length = len(number)
    if length >= 12:
        keep = 4
    elif length >= 6:
        keep = 2
    else:
        return MASK * length
    return number[:keep] + MASK * (length - 2 * keep) + number[-keep:]


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits of a mainland mobile number.

    Other lengths keep only the last four (or nothing, when that would show half).

    >>> mask_phone("13812345678")
    '138****5678'
    """
    length = len(phone)
    if length == 11:
        return phone[:3] + MASK * 4 + phone[-4:]
    if length >= 9:
        return MASK * (length - 4) + phone[-4:]
    return MASK * length


def mask_name(name: str) -> str:
    """Hide all but the last character of a two-character name, all but the first and
    last of a longer one.

    >>> mask_name("张小三"), mask_name("张三"), mask_name("欧阳小明")
    ('张*三', '*三', '欧**明')
    """
    chars = list(name.strip())
    if len(chars) <= 1:
        return MASK * len(chars)
    if len(chars) == 2:
        return MASK + chars[1]
    return chars[0] + MASK * (len(chars) - 2) + chars[-1]
