"""Work around asn1crypto mistaking some definite lengths for indefinite ones, and speed
up its name comparisons.

asn1crypto 1.5.1 decides that a parsed value was BER with an indefinite length when
the last byte of its header is ``0x80`` (wbond/asn1crypto#249, still open; the fix in
#302 was not merged). A definite long-form length such as ``82 01 80`` (384) ends the
same way, so about one value in 256 is re-encoded from scratch on every ``dump()``,
and nested ones compound: stamping a PDF whose timestamp token hit it took 5-9 s
instead of 20 ms, at random.

:func:`apply` wraps the five ``dump`` methods that make the check: when the header
really ends in a definite length, the cached header is dropped (asn1crypto rebuilds
it, byte for byte, from the contents) so the bogus check does not fire. Genuine
indefinite lengths are left to asn1crypto's own handling. It is idempotent and
applied when :mod:`keys.pki` is imported.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from typing import Final

from asn1crypto import core
from asn1crypto import x509

__all__ = ["apply", "ends_with_indefinite_length"]

_MARK: Final = "_tongban_definite_length_fix"
_PATCHED_CLASSES: Final = (
    core.Asn1Value,
    core.Choice,
    core.Primitive,
    core.Sequence,
    core.SequenceOf,
)


def ends_with_indefinite_length(header: bytes) -> bool:
    """Whether the last tag-length pair in ``header`` has an indefinite length (``0x80``).

    ``header`` is one or more identifier-and-length octet groups (explicit tagging
    stacks them), as asn1crypto keeps in ``_header`` (X.690, 8.1.2-8.1.3).
    """
    index = 0
    indefinite = False
    while index < len(header):
        if header[index] & 0x1F == 0x1F:  # high tag number form
            index += 1
            while index < len(header) and header[index] & 0x80:
                index += 1
        index += 1
        if index >= len(header):
            return False
        first = header[index]
        indefinite = first == 0x80
        index += 1 if first <= 0x80 else 1 + (first & 0x7F)
    return indefinite


def _definite_aware(dump: Callable[..., bytes]) -> Callable[..., bytes]:
    def patched_dump(self: Any, force: bool = False) -> bytes:
        header = self._header
        if (
            header is not None
            and header[-1:] == b"\x80"
            and not ends_with_indefinite_length(header)
        ):
            self._header = None
        return dump(self, force)

    patched_dump.__doc__ = dump.__doc__
    patched_dump.__wrapped__ = dump  # type: ignore[attr-defined]
    setattr(patched_dump, _MARK, True)
    return patched_dump


def apply() -> None:
    """Install the fix on asn1crypto's classes, and the name-comparison cache (once)."""
    for cls in _PATCHED_CLASSES:
        dump = cls.__dict__["dump"]
        if not getattr(dump, _MARK, False):
            cls.dump = _definite_aware(dump)
    prep = x509.NameTypeAndValue.__dict__["_ldap_string_prep"]
    if not getattr(prep, _MARK, False):
        x509.NameTypeAndValue._ldap_string_prep = _cached_string_prep(prep)
    equals = x509.Name.__dict__["__eq__"]
    if not getattr(equals, _MARK, False):
        x509.Name.__eq__ = _identical_bytes_first(equals)  # __ne__ negates __eq__


def _identical_bytes_first(equals: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """Compare names by their encodings, then by their cached prepared forms.

    RFC 5280 name comparison (7.1) prepares every attribute value; path building
    compares issuer and subject names dozens of times per signature, mostly names
    that are byte for byte the same, or the same few names again and again.
    """

    def name_equals(self: Any, other: Any) -> bool:
        if not isinstance(other, x509.Name):
            return equals(self, other)
        # Compare the RDN sequences: a Name may carry explicit tagging (as in a
        # GeneralName) that its own dump() includes.
        mine, theirs = self.chosen.dump(), other.chosen.dump()
        return mine == theirs or _comparable(mine) == _comparable(theirs)

    setattr(name_equals, _MARK, True)
    return name_equals


@functools.lru_cache(maxsize=4096)
def _comparable(rdn_sequence_der: bytes) -> str:
    """asn1crypto's ``hashable`` form of a name: equal exactly when the names are equal
    under RFC 5280, 7.1 (it is what asn1crypto keys dictionaries by); cached by DER."""
    return str(x509.RDNSequence.load(rdn_sequence_der).hashable)


def _cached_string_prep(prep: Callable[[Any, str], str]) -> Callable[[Any, str], str]:
    """Cache RFC 4518 string preparation, a pure function of the string.

    Certificate path building compares names over and over, and asn1crypto prepares
    each value afresh for every parsed copy of a certificate; for Chinese names that
    was a tenth of a signature verification.
    """

    @functools.lru_cache(maxsize=4096)
    def prepared(string: str) -> str:
        return prep(None, string)

    def cached(self: Any, string: str) -> str:
        return prepared(string)

    setattr(cached, _MARK, True)
    return cached
