"""Levels of assurance as ``acr`` values, and authentication methods as ``amr``.

| acr | meaning |
| --- | --- |
| ``urn:tongban:loa:1`` | self-asserted identity with a verified phone (or an operator-created account) |
| ``urn:tongban:loa:2`` | real name verified against an authoritative registry |
| ``urn:tongban:loa:3`` | level 2, and a phishing-resistant or certificate-based authenticator in this login |

``amr`` values follow RFC 8176 (``pwd``, ``otp``, ``sms``, ``hwk``, ``swk``, ``mfa``...),
plus ``x509`` for an enterprise digital certificate and ``fed`` for a login through
the upstream provider (federation; its level is the upstream's, mapped and capped by
``federation.max_level``, see :mod:`idp.federation`). A passkey is ``hwk`` when it is
bound to one device and ``swk`` when it may be synced; both are phishing-resistant.

An account's own level is 1 or 2 (:attr:`idp.accounts.Person.loa`); level 3 is a
property of a login, never of an account.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

PREFIX: Final = "urn:tongban:loa:"
LEVELS: Final = {1: f"{PREFIX}1", 2: f"{PREFIX}2", 3: f"{PREFIX}3"}
SUPPORTED: Final = tuple(LEVELS.values())
#: The highest level each authentication method can give on its own.
METHOD_CEILING: Final = {
    "pwd": 2,
    "otp": 2,
    "sms": 2,
    "fed": 2,
    "hwk": 3,
    "swk": 3,
    "x509": 3,
}
#: Methods that are phishing-resistant or certificate-based: they lift level 2 to 3.
STRONG_METHODS: Final = frozenset(m for m, level in METHOD_CEILING.items() if level == 3)


def level_of(acr: str | None) -> int:
    """The numeric level of an ``acr`` value; 0 for anything unknown."""
    if acr and acr.startswith(PREFIX):
        tail = acr[len(PREFIX) :]
        if tail in ("1", "2", "3"):
            return int(tail)
    return 0


def acr_for(account_loa: int, amr: Iterable[str]) -> str:
    """The level a login reaches.

    The account's level (1 or 2), capped by the strongest method used; a level-2
    account that used a phishing-resistant or certificate-based method reaches 3.
    """
    methods = set(amr)
    ceiling = max((METHOD_CEILING.get(method, 1) for method in methods), default=1)
    level = max(1, min(account_loa, 2, ceiling))
    if level == 2 and methods & STRONG_METHODS:
        level = 3
    return LEVELS[level]


def required_level(acr_values: Iterable[str]) -> int:
    """The lowest level that satisfies a request's ``acr_values`` (0: no requirement).

    Values are the acceptable levels in order of preference (OpenID Connect Core
    §3.1.2.1); any one satisfies the request, and so does anything higher.
    """
    levels = [level_of(value) for value in acr_values]
    known = [level for level in levels if level]
    return min(known) if known else 0
