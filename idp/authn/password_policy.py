"""Password rules after NIST SP 800-63B (rev. 4 §3.1.1.2; rev. 3 §5.1.1.2).

What the guideline asks, and how:

* At least 8 characters, and at least 64 permitted: :data:`MIN_LENGTH` and
  :data:`MAX_LENGTH` (128), counting each Unicode code point as one character.
* Every printing character is accepted, spaces and Chinese included; only control,
  surrogate, unassigned and line/paragraph separator code points are refused.
* The password is normalised with NFKC before it is checked *and* before it is hashed:
  :func:`normalise_password` must run on the login path too, or a password typed with
  full-width characters on one keyboard would not match on another.
* No composition rules (no "one digit, one capital") and no periodic changes.
* Candidates are compared against a blocklist of commonly used and breached passwords
  (``common_passwords.txt``, built from zxcvbn's list by
  :mod:`idp.authn._blocklist_build`, plus ``common_passwords_zh.txt``), including a
  blocklisted word with only digits or symbols around it (``Password123!``);
  repetitive or sequential characters (``aaaaaaaa``, ``12345678``, ``abcabcabc``);
  and context-specific words: the username, the person's name and the service's name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Final

from idp.authn.errors import PasswordCharacterInvalid
from idp.authn.errors import PasswordCommon
from idp.authn.errors import PasswordContainsContext
from idp.authn.errors import PasswordRepetitive
from idp.authn.errors import PasswordTooLong
from idp.authn.errors import PasswordTooShort

MIN_LENGTH: Final = 8
MAX_LENGTH: Final = 128
#: The service's own names: always context words (SP 800-63B "the name of the service").
SERVICE_WORDS: Final = ("tongban", "通办", "tong ban", "yiwangtongban", "一网通办")
BLOCKLIST_FILES: Final = ("common_passwords.txt", "common_passwords_zh.txt")
#: Refused code point categories: control, surrogate, unassigned, line and paragraph
#: separators. Everything else (letters, marks, digits, symbols, spaces) is accepted.
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cs", "Cn", "Zl", "Zp"})
_KEYBOARD_ROWS: Final = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")


def normalise_password(password: str) -> str:
    """The NFKC form of ``password``: what is checked, hashed and verified."""
    return unicodedata.normalize("NFKC", password)


def blocklist_key(password: str) -> str:
    """How passwords are compared with the blocklist: NFKC, then case-folded."""
    return unicodedata.normalize("NFKC", password).casefold()


@cache
def load_blocklist() -> frozenset[str]:
    """The shipped blocklist files as one set of :func:`blocklist_key` entries."""
    entries: set[str] = set()
    for name in BLOCKLIST_FILES:
        text = resources.files("idp.authn").joinpath(name).read_text(encoding="utf-8")
        for line in text.splitlines():
            if line and not line.startswith("#"):
                entries.add(blocklist_key(line))
    return frozenset(entries)


@dataclass(frozen=True)
class PasswordPolicy:
    """The rules a new password must pass; :meth:`check` returns the normalised form."""

    blocklist: frozenset[str]
    min_length: int = MIN_LENGTH
    max_length: int = MAX_LENGTH

    def __post_init__(self) -> None:
        if self.min_length < 8 or self.max_length < 64:
            raise ValueError("SP 800-63B: at least 8 characters required, 64 permitted")

    @classmethod
    def default(cls) -> PasswordPolicy:
        return cls(load_blocklist())

    def check(self, password: str, *, context: Iterable[str] = ()) -> str:
        """Validate a new password; return its NFKC form or raise a PasswordRejected.

        :param context: words specific to this account (username, name, e-mail
            address, phone number); the service names are always added.
        """
        normalised = normalise_password(password)
        for position, char in enumerate(normalised, start=1):
            if unicodedata.category(char) in _REFUSED_CATEGORIES:
                raise PasswordCharacterInvalid(
                    f"character {position} of the password is a control or unassigned "
                    "character; every printable character, spaces included, is allowed"
                )
        length = len(normalised)
        if length < self.min_length:
            raise PasswordTooShort(
                f"the password has {length} characters; it needs at least {self.min_length}"
            )
        if length > self.max_length:
            raise PasswordTooLong(
                f"the password has {length} characters; at most {self.max_length} are allowed"
            )
        key = blocklist_key(normalised)
        _check_repetition(key)
        self._check_blocklist(key)
        _check_context(key, context, self.min_length)
        return normalised

    def _check_blocklist(self, key: str) -> None:
        if key in self.blocklist:
            raise PasswordCommon(
                "this password is on the list of commonly used or breached passwords; "
                "choose another (a few unrelated words make a good one)"
            )
        core = key.strip("".join({c for c in key if not c.isalpha()}))
        if core != key and len(core) >= 4 and core in self.blocklist:
            raise PasswordCommon(
                "this password is a commonly used password with digits or symbols added; "
                "choose another (a few unrelated words make a good one)"
            )


def check_password(password: str, *, context: Iterable[str] = ()) -> str:
    """:meth:`PasswordPolicy.check` with the default policy and shipped blocklist."""
    return PasswordPolicy.default().check(password, context=context)


def _check_repetition(key: str) -> None:
    for unit in range(1, 5):
        if len(key) >= 2 * unit and key == (key[:unit] * (len(key) // unit + 1))[: len(key)]:
            what = "one character repeated" if unit == 1 else "a short group repeated"
            raise PasswordRepetitive(f"the password is {what}; choose another")
    steps = {ord(b) - ord(a) for a, b in pairwise(key)}
    if steps in ({1}, {-1}):
        raise PasswordRepetitive("the password is a run of sequential characters")
    for row in _KEYBOARD_ROWS:
        if key in row or key in row[::-1]:
            raise PasswordRepetitive("the password is a run of neighbouring keys")


def _check_context(key: str, context: Iterable[str], min_length: int) -> None:
    words = [blocklist_key(w).strip() for w in (*SERVICE_WORDS, *context)]
    # Two characters make a Chinese given name; Latin words need three to mean anything.
    usable = sorted(
        {w for w in words if len(w) >= (3 if w.isascii() else 2)}, key=len, reverse=True
    )
    remainder = key
    for word in usable:
        remainder = remainder.replace(word, "")
    if remainder != key and len(remainder) < min_length:
        raise PasswordContainsContext(
            "the password is mostly your username, your name or the service's name; "
            "choose one that is not about you or this site"
        )
