"""Levels of assurance as ``acr`` values, and authentication methods as ``amr``.

| acr | meaning |
| --- | --- |
| ``urn:tongban:loa:1`` | self-asserted identity with a verified phone (or an operator-created account) |
| ``urn:tongban:loa:2`` | real name verified against an authoritative registry |
| ``urn:tongban:loa:3`` | level 2, and a phishing-resistant or certificate-based authenticator in this login |

``amr`` values follow RFC 8176 (``pwd``, ``otp``, ``sms``, ``hwk``, ``swk``, ``mfa``...).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

PREFIX: Final = "urn:tongban:loa:"
LEVELS: Final = {1: f"{PREFIX}1", 2: f"{PREFIX}2", 3: f"{PREFIX}3"}
SUPPORTED: Final = tuple(LEVELS.values())
#: The highest level each authentication method can give on its own.
METHOD_CEILING: Final = {"pwd": 2, "otp": 2, "sms": 2, "hwk": 3, "swk": 2, "x509": 3}


def level_of(acr: str | None) -> int:
    """The numeric level of an ``acr`` value; 0 for anything unknown."""
    if acr and acr.startswith(PREFIX):
        tail = acr[len(PREFIX) :]
        if tail in ("1", "2", "3"):
            return int(tail)
    return 0


def acr_for(account_loa: int, amr: Iterable[str]) -> str:
    """The level a login reaches: the account's, capped by the strongest method used."""
    ceiling = max((METHOD_CEILING.get(method, 1) for method in amr), default=1)
    return LEVELS[max(1, min(account_loa, ceiling, 3))]


def required_level(acr_values: Iterable[str]) -> int:
    """The lowest level that satisfies a request's ``acr_values`` (0: no requirement).

    Values are the acceptable levels in order of preference (OpenID Connect Core
    §3.1.2.1); any one satisfies the request, and so does anything higher.
    """
    levels = [level_of(value) for value in acr_values]
    known = [level for level in levels if level]
    return min(known) if known else 0
