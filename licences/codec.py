"""The licence QR credential, format version 01: a signed CWT written as digits in a URL.

Layout (``docs/licence-qr-format.md`` is the full specification)::

    https://licence.example.gov.cn/v/01<digits>
    └──── base URL (QR byte mode) ───┘└┬┘└─ decimal_digits(COSE_Sign1) (QR numeric mode) ─┘
                                       format/version tag "01"

* COSE_Sign1, tagged (RFC 9052 §4.2), protected header ``{1: alg, 4: kid}`` with alg ES256
  (-7) or EdDSA (-8) (RFC 9053 §2) and an 8-byte kid (:func:`licences.public_keys.cose_kid_of`);
  empty unprotected header; external AAD (RFC 9052 §4.3) ``b"tongban-licence-qr:01"``, which
  binds the version tag into the signature.
* Payload: CWT claims (RFC 8392 §3) in deterministic CBOR (RFC 8949 §4.2.1), see
  :class:`LicenceClaims`; the status claim follows draft-ietf-oauth-status-list §6.3.

:func:`encode` signs, :func:`decode` parses without verifying, :func:`verify` returns claims
only after the signature verified with a trusted key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Final
from typing import NamedTuple
from typing import NoReturn
from typing import cast

from cryptography.exceptions import InvalidSignature

from licences import cose_sign1
from licences import deterministic_cbor
from licences.claims import CLAIM_EXP
from licences.claims import CLAIM_HOLDER_NAME
from licences.claims import CLAIM_IAT
from licences.claims import CLAIM_LICENCE_ID
from licences.claims import CLAIM_NBF
from licences.claims import CLAIM_RECORD_DIGEST
from licences.claims import CLAIM_STATUS
from licences.claims import CLAIM_SUB
from licences.claims import LicenceClaims
from licences.claims import StatusReference
from licences.claims import parse_claims
from licences.decimal_digits import DigitsError
from licences.decimal_digits import TruncatedDigitsError
from licences.decimal_digits import decode_checked_digits
from licences.decimal_digits import digit_count
from licences.decimal_digits import encode_digits
from licences.errors import BadVersionError
from licences.errors import KeyExpiredError
from licences.errors import MalformedError
from licences.errors import OversizedError
from licences.errors import TamperedError
from licences.errors import TruncatedError
from licences.errors import UntrustedKeyError
from licences.errors import WrongAlgorithmError
from licences.public_keys import COSE_KID_SIZE
from licences.public_keys import TrustedKey
from licences.public_keys import cose_kid_of

if TYPE_CHECKING:
    from keys.signer import Signer

__all__ = [
    "CLAIM_EXP",
    "CLAIM_HOLDER_NAME",
    "CLAIM_IAT",
    "CLAIM_LICENCE_ID",
    "CLAIM_NBF",
    "CLAIM_RECORD_DIGEST",
    "CLAIM_STATUS",
    "CLAIM_SUB",
    "EXTERNAL_AAD",
    "FORMAT_VERSION",
    "MAX_DIGITS",
    "MAX_INPUT_CHARS",
    "MAX_PAYLOAD_BYTES",
    "LicenceClaims",
    "StatusReference",
    "UnverifiedCredential",
    "VerifiedLicence",
    "decode",
    "encode",
    "extract_digits",
    "verify",
]

#: The two digits in front of every version-01 credential.
FORMAT_VERSION: Final = "01"
#: External AAD of the Sig_structure (RFC 9052 §4.3): binds the version tag to the signature.
EXTERNAL_AAD: Final = b"tongban-licence-qr:" + FORMAT_VERSION.encode("ascii")
#: Largest COSE_Sign1 a version-01 credential may be; a QR at version 40-L holds ~2,900.
MAX_PAYLOAD_BYTES: Final = 512
#: Most digits after the base URL: the version tag plus MAX_PAYLOAD_BYTES as digits.
MAX_DIGITS: Final = len(FORMAT_VERSION) + digit_count(MAX_PAYLOAD_BYTES)
#: Longest input (URL or digits) looked at; anything longer is rejected unread.
MAX_INPUT_CHARS: Final = 4096

_ASCII_WHITESPACE: Final = " \t\r\n\f\v"
#: Optional ASCII whitespace, an optional https URL ending in "/" or "#", the digits, and
#: optional whitespace again (a scanner's trailing newline).
_CREDENTIAL_TEXT: Final = re.compile(
    r"[ \t\r\n\f\v]*(?:[Hh][Tt][Tt][Pp][Ss]://[^\s]*?[/#])?([0-9]+)[ \t\r\n\f\v]*", re.ASCII
)


@dataclass(frozen=True)
class UnverifiedCredential:
    """What a credential *claims*; nothing here has been verified. Never show it as genuine."""

    version: str
    cose_alg: int
    kid: bytes
    unverified_claims: LicenceClaims
    message: cose_sign1.Sign1

    @property
    def alg(self) -> str | None:
        """The JOSE name of ``cose_alg``, or ``None`` if it is not one we support."""
        return cose_sign1.NAME_BY_COSE_ALG.get(self.cose_alg)


@dataclass(frozen=True)
class VerifiedLicence:
    """Claims whose signature verified with ``key``, a key from the trust list."""

    claims: LicenceClaims
    key: TrustedKey

    @property
    def issuer_name(self) -> str:
        """The issuing department's name, from the trust list."""
        return self.key.issuer.name


def encode(claims: LicenceClaims, signer: Signer, base_url: str) -> str:
    """Sign ``claims`` and return the credential URL: ``base_url + "01" + digits``.

    ``base_url`` is an https URL ending in ``/`` (path form, the default for printed codes) or
    ``#`` (fragment form). Signing uses ``signer.alg``, which must be ES256 or EdDSA.

    :raises ValueError: for an unusable base URL or algorithm, or a signature of wrong size.
    :raises OversizedError: if the signed payload exceeds :data:`MAX_PAYLOAD_BYTES`.
    """
    _check_base_url(base_url)
    cose_alg = cose_sign1.COSE_ALG_BY_NAME.get(signer.alg)
    if cose_alg is None:
        raise ValueError(f"{signer.alg} cannot sign QR credentials; use ES256 or EdDSA")
    payload = claims.to_cwt_bytes()
    message = cose_sign1.sign1(
        payload,
        signer,
        protected_header={
            cose_sign1.HEADER_ALG: cose_alg,
            cose_sign1.HEADER_KID: cose_kid_of(signer.public_key()),
        },
        external_aad=EXTERNAL_AAD,
    )
    if len(cose_sign1.parse_sign1(message).signature) != 64:
        raise ValueError(f"the signer returned a signature that is not 64 bytes for {signer.alg}")
    if len(message) > MAX_PAYLOAD_BYTES:
        raise OversizedError(f"signed payload is {len(message)} bytes; at most {MAX_PAYLOAD_BYTES}")
    return base_url + FORMAT_VERSION + encode_digits(message)


def _check_base_url(base_url: str) -> None:
    if not base_url.startswith("https://") or not base_url.endswith(("/", "#")):
        raise ValueError("base_url must start with 'https://' and end with '/' or '#'")
    if not base_url.isascii() or not base_url.isprintable() or " " in base_url:
        raise ValueError("base_url must be printable ASCII without spaces")
    if "?" in base_url or base_url.count("#") > 1 or ("#" in base_url[:-1]):
        raise ValueError("base_url must not carry a query, or a fragment before its end")


def extract_digits(url_or_digits: str | bytes) -> str:
    """The digit string (version tag included) from a credential URL or bare digits.

    Accepts ``https://host/…/01…`` (path form), ``https://host/…#01…`` (fragment form) and
    the digits alone, with surrounding ASCII whitespace (a scanner's trailing newline).

    :raises OversizedError: for inputs over :data:`MAX_INPUT_CHARS` characters.
    :raises MalformedError: when no digit string ends the input, or it is not https.
    """
    if isinstance(url_or_digits, bytes | bytearray):
        if len(url_or_digits) > MAX_INPUT_CHARS:
            raise OversizedError(f"input longer than {MAX_INPUT_CHARS} bytes")
        try:
            text = bytes(url_or_digits).decode("ascii")
        except UnicodeDecodeError as exc:
            raise MalformedError("input is not ASCII") from exc
    elif isinstance(url_or_digits, str):
        text = url_or_digits
    else:
        raise MalformedError(f"input must be text, not {type(url_or_digits).__name__}")
    if len(text) > MAX_INPUT_CHARS:
        raise OversizedError(f"input longer than {MAX_INPUT_CHARS} characters")
    match = _CREDENTIAL_TEXT.fullmatch(text)
    if match is None:
        _explain_bad_text(text)
    return match[1]


def _explain_bad_text(text: str) -> NoReturn:
    """Raise the precise MalformedError for text that :data:`_CREDENTIAL_TEXT` rejected."""
    text = text.strip(_ASCII_WHITESPACE)
    if "://" in text and text[:8].lower() != "https://":
        raise MalformedError("credential URLs use the https scheme")
    tail = text[max(text.rfind("/"), text.rfind("#")) + 1 :] if "://" in text else text
    if not tail:
        raise MalformedError("no digits at the end of the input")
    raise MalformedError("the credential must end in the ASCII digits 0-9")


class _Envelope(NamedTuple):
    version: str
    message: cose_sign1.Sign1
    cose_alg: int
    kid: bytes


def _open_envelope(url_or_digits: str | bytes) -> _Envelope:
    """Everything up to, but not including, signature verification and claim parsing."""
    digits = extract_digits(url_or_digits)
    version = digits[: len(FORMAT_VERSION)]
    if len(digits) < len(FORMAT_VERSION) and FORMAT_VERSION.startswith(digits):
        raise TruncatedError("fewer digits than the version tag")
    if version != FORMAT_VERSION:
        raise BadVersionError(f"format/version tag {version!r} is not {FORMAT_VERSION!r}")
    if len(digits) > MAX_DIGITS:
        raise OversizedError(f"{len(digits)} digits; version 01 allows at most {MAX_DIGITS}")
    try:
        # extract_digits matched [0-9]+ already.
        data = decode_checked_digits(digits[len(FORMAT_VERSION) :])
    except TruncatedDigitsError as exc:
        raise TruncatedError(str(exc)) from exc
    except DigitsError as exc:
        raise MalformedError(str(exc)) from exc
    message = _read_canonical_message(data)
    if message is None:
        # Not the one canonical layout: parse generically to name the precise fault (or to
        # reach the trust and algorithm checks with an unusual but well-formed header).
        message = _parse_message(data)
    # Both readers guarantee an int alg and a bytes kid.
    header = message.protected_header
    cose_alg = cast(int, header[cose_sign1.HEADER_ALG])
    return _Envelope(version, message, cose_alg, cast(bytes, header[cose_sign1.HEADER_KID]))


# The byte layout of every well-formed version-01 message (see docs/licence-qr-format.md):
# D2 84 | 4D A2 01 <alg> 04 48 <kid:8> | A0 | <payload bstr> | 58 40 <signature:64>.
_CANONICAL_START: Final = bytes.fromhex("d2844da201")
_KID_HEAD: Final = bytes.fromhex("0448")
_EMPTY_MAP: Final = b"\xa0"
_SIGNATURE_HEAD: Final = bytes.fromhex("5840")
_ALG_BY_BYTE: Final = {0x26: -7, 0x27: -8}


def _read_canonical_message(data: bytes) -> cose_sign1.Sign1 | None:
    """Slice a message laid out exactly as version 01 prescribes, or return ``None``.

    A fast path for verification: it accepts only bytes that :func:`_parse_message` also
    accepts, with the same result (the tests check this), and leaves every other input,
    valid or not, to that general parser.
    """
    if (
        data[:5] != _CANONICAL_START
        or data[6:8] != _KID_HEAD
        or data[16:17] != _EMPTY_MAP
        or len(data) < 20
    ):
        return None
    alg = _ALG_BY_BYTE.get(data[5])
    first = data[17]
    if alg is None:
        return None
    if 0x40 <= first < 0x58:
        size, start = first - 0x40, 18
    elif first == 0x58 and data[18] >= 24:
        size, start = data[18], 19
    elif first == 0x59 and data[18] != 0:
        size, start = int.from_bytes(data[18:20], "big"), 20
    else:
        return None
    end = start + size
    if data[end : end + 2] != _SIGNATURE_HEAD or len(data) != end + 66:
        return None
    header: dict[object, object] = {cose_sign1.HEADER_ALG: alg, cose_sign1.HEADER_KID: data[8:16]}
    return cose_sign1.Sign1(data[3:16], header, {}, data[start:end], data[end + 2 :])


def _parse_message(data: bytes) -> cose_sign1.Sign1:
    """Parse any COSE_Sign1 and check it against the version-01 header rules."""
    try:
        message = cose_sign1.parse_sign1(data)
    except deterministic_cbor.TruncatedCBORError as exc:
        raise TruncatedError(f"COSE_Sign1: {exc}") from exc
    except deterministic_cbor.DeterministicCBORError as exc:
        raise MalformedError(f"COSE_Sign1: {exc}") from exc
    header = message.protected_header
    if set(header) != {cose_sign1.HEADER_ALG, cose_sign1.HEADER_KID}:
        raise MalformedError("the protected header must hold exactly alg (1) and kid (4)")
    if message.unprotected_header:
        raise MalformedError("the unprotected header must be empty")
    cose_alg, kid = header[cose_sign1.HEADER_ALG], header[cose_sign1.HEADER_KID]
    if type(cose_alg) is not int:
        raise MalformedError("alg must be an integer COSE algorithm identifier")
    if not isinstance(kid, bytes) or len(kid) != COSE_KID_SIZE:
        raise MalformedError(f"kid must be a {COSE_KID_SIZE}-byte string")
    return message


def decode(url_or_digits: str | bytes) -> UnverifiedCredential:
    """Parse a credential WITHOUT verifying it: for diagnostics, never for display as genuine.

    :raises CredentialError: (a subclass) if it cannot be parsed.
    """
    envelope = _open_envelope(url_or_digits)
    return UnverifiedCredential(
        version=envelope.version,
        cose_alg=envelope.cose_alg,
        kid=envelope.kid,
        unverified_claims=parse_claims(envelope.message.payload),
        message=envelope.message,
    )


def verify(url_or_digits: str | bytes, trust: Mapping[bytes, TrustedKey]) -> VerifiedLicence:
    """Verify a credential against trusted keys (keyed by COSE kid) and return its claims.

    The checks run in this order, and the first failure raises: format and size, the
    version tag, COSE structure, ``kid`` in ``trust`` (:class:`UntrustedKeyError`), ``alg``
    equal to the trusted key's (:class:`WrongAlgorithmError`), the signature
    (:class:`TamperedError`), the claims (:class:`MalformedError`), and ``iat`` inside the
    key's validity (:class:`KeyExpiredError`). Claims are parsed only after the signature
    verified. Whether the *licence* is expired, suspended or revoked is not decided here
    (see :mod:`licences.offline`).
    """
    envelope = _open_envelope(url_or_digits)
    key = trust.get(envelope.kid)
    if key is None:
        raise UntrustedKeyError(f"kid {envelope.kid.hex()} is not in the trust list")
    alg = cose_sign1.NAME_BY_COSE_ALG.get(envelope.cose_alg)
    if alg is None:
        raise WrongAlgorithmError(f"COSE alg {envelope.cose_alg} is not ES256 (-7) or EdDSA (-8)")
    if alg != key.alg:
        raise WrongAlgorithmError(f"credential says {alg}; trusted key {key.kid} is {key.alg}")
    message = envelope.message
    try:
        key.verify_signature(message.to_be_signed(EXTERNAL_AAD), message.signature)
    except InvalidSignature as exc:
        raise TamperedError(f"signature does not verify with trusted key {key.kid}") from exc
    claims = parse_claims(message.payload)
    if not key.covers(claims.issued_at):
        raise KeyExpiredError(
            f"issued at {claims.issued_at.isoformat()}, outside the validity of key {key.kid}"
        )
    return VerifiedLicence(claims=claims, key=key)
