"""Errors raised by the internal CA, the OCSP responder, the TSA and chain import.

Every class carries a stable ``code`` that the web layer maps to a response; the
message passed to the constructor is the public text, ``detail`` is for the log::

    PKIError                        pki_error
    ├── UnsupportedKeyAlgorithm     pki_unsupported_algorithm
    ├── KeyMismatch                 pki_key_mismatch
    ├── NameInvalid                 pki_name_invalid
    └── ChainInvalid                pki_chain_invalid

Malformed OCSP and timestamp *requests* are not errors here: RFC 6960 and RFC 3161
answer them with an unsuccessful response, which is what the responders return.
"""

from __future__ import annotations

from typing import ClassVar

from keys.errors import KeysError


class PKIError(KeysError):
    """Base of every error raised by :mod:`keys.pki`."""

    code: ClassVar[str] = "pki_error"
    public_message: ClassVar[str] = "The certificate operation failed."

    def __init__(self, message: str | None = None, *, detail: str = "") -> None:
        super().__init__(message or self.public_message, detail=detail or None)


class UnsupportedKeyAlgorithm(PKIError):
    """The key's algorithm (or the hash asked of it) is not one the PKI signs with."""

    code: ClassVar[str] = "pki_unsupported_algorithm"
    public_message: ClassVar[str] = "The key algorithm is not supported."


class KeyMismatch(PKIError):
    """A certificate does not belong to the key that is meant to use it."""

    code: ClassVar[str] = "pki_key_mismatch"
    public_message: ClassVar[str] = "The certificate does not match the key."


class NameInvalid(PKIError):
    """A distinguished-name field is empty, too long or malformed."""

    code: ClassVar[str] = "pki_name_invalid"
    public_message: ClassVar[str] = "A certificate name field is invalid."


class ChainInvalid(PKIError):
    """An imported certificate chain cannot be parsed, ordered or validated."""

    code: ClassVar[str] = "pki_chain_invalid"
    public_message: ClassVar[str] = "The certificate chain is invalid."
