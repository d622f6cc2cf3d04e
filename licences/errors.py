"""Errors of the e-licence core, each with a stable ``code``.

The tree::

    LicenceError                        licence_error
    ├── CredentialError                 credential_invalid   (a QR credential was rejected)
    │   ├── MalformedError              malformed            (not a v1 credential at all)
    │   │   └── TruncatedError          truncated            (ends early: a partial scan)
    │   ├── OversizedError              oversized            (longer than any v1 credential)
    │   ├── BadVersionError             bad_version          (unknown format/version tag)
    │   ├── UntrustedKeyError           untrusted_key        (kid not in the trust list)
    │   ├── WrongAlgorithmError         wrong_alg            (alg differs from the trusted key's)
    │   ├── KeyExpiredError             key_expired          (signed outside the key's validity)
    │   └── TamperedError               tampered             (the signature does not verify)
    ├── StatusListError                 status_list_invalid
    │   ├── StatusListExpiredError      status_list_expired
    │   ├── StatusListMissingError      status_list_missing
    │   └── StatusListFullError         status_list_full
    ├── TrustListError                  trust_list_invalid
    │   └── TrustListExpiredError       trust_list_expired
    └── RecordDigestMismatchError       record_digest_mismatch

Every error carries two texts: :attr:`LicenceError.public_message`, safe to show to anyone,
and ``detail`` (the ``str()`` of the exception), which names the precise cause for logs and
tests. All credential rejections share one public message, so a verify page gives a forger
no oracle.
"""

from __future__ import annotations

from typing import ClassVar


class LicenceError(Exception):
    """Base of every error raised by ``licences``."""

    code: ClassVar[str] = "licence_error"
    public_message: ClassVar[str] = "The licence could not be processed."

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class CredentialError(LicenceError):
    """A QR credential was rejected; nothing in it may be shown as genuine."""

    code = "credential_invalid"
    public_message = "This licence code is not genuine or could not be read."


class MalformedError(CredentialError):
    """The input is not a well-formed v1 credential (URL, digits, CBOR or claims)."""

    code = "malformed"


class TruncatedError(MalformedError):
    """The input ends before the credential does, as after a partial scan or copy."""

    code = "truncated"


class OversizedError(CredentialError):
    """The input or payload is larger than any credential of this format may be."""

    code = "oversized"


class BadVersionError(CredentialError):
    """The format/version tag in front of the digits is not one this code knows."""

    code = "bad_version"


class UntrustedKeyError(CredentialError):
    """The ``kid`` names no key in the trust list."""

    code = "untrusted_key"


class WrongAlgorithmError(CredentialError):
    """The protected ``alg`` is unsupported or differs from the trusted key's algorithm."""

    code = "wrong_alg"


class KeyExpiredError(CredentialError):
    """The credential was issued (``iat``) outside the signing key's validity period."""

    code = "key_expired"


class TamperedError(CredentialError):
    """The signature does not verify with the trusted key: content or signature changed."""

    code = "tampered"


class StatusListError(LicenceError):
    """A status list token is invalid, or a status cannot be determined from it."""

    code = "status_list_invalid"
    public_message = "The revocation list could not be used."


class StatusListExpiredError(StatusListError):
    """The status list token is past its ``exp``; fetch a fresh one."""

    code = "status_list_expired"


class StatusListMissingError(StatusListError):
    """No status list was supplied for the ``uri`` that the credential references."""

    code = "status_list_missing"


class StatusListFullError(StatusListError):
    """Every index of the status list is allocated."""

    code = "status_list_full"


class TrustListError(LicenceError):
    """A trust list token is invalid."""

    code = "trust_list_invalid"
    public_message = "The list of trusted licence issuers could not be used."


class TrustListExpiredError(TrustListError):
    """The trust list token is past its ``exp``; fetch a fresh one."""

    code = "trust_list_expired"


class RecordDigestMismatchError(LicenceError):
    """A full licence record does not match the digest signed into its credential."""

    code = "record_digest_mismatch"
    public_message = "The licence record does not match its code."
