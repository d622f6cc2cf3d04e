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
from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Final
from typing import NamedTuple
from typing import NoReturn
from typing import TypeVar
from typing import cast

import cbor2
from cryptography.exceptions import InvalidSignature

from licences import cose_sign1
from licences import deterministic_cbor
from licences._numeric_date import from_numeric_date
from licences._numeric_date import is_numeric_date
from licences._numeric_date import to_numeric_date
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
from licences.record_digest import DIGEST_SIZE

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

# CWT claim keys: RFC 8392 §3.1 and draft-ietf-oauth-status-list §6.3; the private-use ones
# (below -65536, RFC 8392 §9.1 "Private Use") are ours.
CLAIM_SUB: Final = 2  # Holder's unified social credit code (统一社会信用代码).
CLAIM_EXP: Final = 4  # Licence validity: not after. Absent for 长期 (no end date).
CLAIM_NBF: Final = 5  # Licence validity: not before.
CLAIM_IAT: Final = 6  # When the credential was signed; must lie in the key's validity.
CLAIM_STATUS: Final = 65535  # {"status_list": {"idx": uint, "uri": tstr}}.
CLAIM_LICENCE_ID: Final = -65537  # The licence identifier (tstr).
CLAIM_HOLDER_NAME: Final = -65538  # The holder's registered name (tstr).
CLAIM_RECORD_DIGEST: Final = -65539  # SHA-256 of the full record, deterministic CBOR (bstr).

_REQUIRED_CLAIMS: Final = frozenset(
    {
        CLAIM_SUB,
        CLAIM_NBF,
        CLAIM_IAT,
        CLAIM_STATUS,
        CLAIM_LICENCE_ID,
        CLAIM_HOLDER_NAME,
        CLAIM_RECORD_DIGEST,
    }
)
_KNOWN_CLAIMS: Final = _REQUIRED_CLAIMS | {CLAIM_EXP}
# Fixed byte runs of the claims map in deterministic order (RFC 8949 §4.2.1): keys 2, 4, 5,
# 6, 65535 (0x19ffff), then -65537, -65538, -65539 (0x3a00010000…02); "idx" before "uri".
_STATUS_PREFIX: Final = bytes.fromhex("19ffffa16b") + b"status_list" + b"\xa2\x63idx"
_URI_KEY: Final = b"\x63uri"
_LICENCE_ID_KEY: Final = bytes.fromhex("3a00010000")
_HOLDER_NAME_KEY: Final = bytes.fromhex("3a00010001")
_RECORD_DIGEST_KEY: Final = bytes.fromhex("3a00010002")
_DIGEST_PREFIX: Final = _RECORD_DIGEST_KEY + b"\x58\x20"  # The key, then a 32-byte string.
_MAX_STATUS_INDEX: Final = (1 << 32) - 1
_ASCII_WHITESPACE: Final = " \t\r\n\f\v"
#: Optional ASCII whitespace, an optional https URL ending in "/" or "#", the digits, and
#: optional whitespace again (a scanner's trailing newline).
_CREDENTIAL_TEXT: Final = re.compile(
    r"[ \t\r\n\f\v]*(?:[Hh][Tt][Tt][Pp][Ss]://[^\s]*?[/#])?([0-9]+)[ \t\r\n\f\v]*", re.ASCII
)
_T = TypeVar("_T")


def _text_item(text: str) -> bytes:
    data = text.encode("utf-8")
    return deterministic_cbor.encode_head(3, len(data)) + data


def _check_text(value: object, name: str, max_chars: int, *, ascii_only: bool = False) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= max_chars:
        raise ValueError(f"{name} must be text of 1 to {max_chars} characters")
    if (
        not value.isprintable()
        or (ascii_only and not value.isascii())
        or value[0].isspace()
        or value[-1].isspace()
    ):
        raise ValueError(f"{name} has control characters or surrounding whitespace")
    return value


@dataclass(frozen=True)
class StatusReference:
    """Where the licence's status lives: index ``idx`` in the status list at ``uri``."""

    index: int
    uri: str

    def __post_init__(self) -> None:
        if type(self.index) is not int or not 0 <= self.index <= _MAX_STATUS_INDEX:
            raise ValueError("status index must be an integer in [0, 2**32)")
        _check_text(self.uri, "status list uri", 200, ascii_only=True)
        if not self.uri.startswith("https://") or " " in self.uri:
            raise ValueError("status list uri must be an https URI")


@dataclass(frozen=True)
class LicenceClaims:
    """The signed content of a licence QR credential: a pointer to the full record.

    Times are timezone-aware and whole seconds (CWT NumericDate). ``not_after`` of ``None``
    means the licence has no end date (营业期限：长期).
    """

    licence_id: str
    holder_code: str
    holder_name: str
    not_before: datetime
    not_after: datetime | None
    issued_at: datetime
    record_digest: bytes
    status: StatusReference
    _numeric_dates: tuple[int, int, int | None] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        nbf = to_numeric_date(self.not_before, name="not_before")
        iat = to_numeric_date(self.issued_at, name="issued_at")
        exp = None if self.not_after is None else to_numeric_date(self.not_after, name="not_after")
        # Kept for to_cwt_bytes, which runs on every verification.
        object.__setattr__(self, "_numeric_dates", (nbf, iat, exp))
        self._check_fields()

    @classmethod
    def _from_numeric_dates(
        cls,
        licence_id: str,
        holder_code: str,
        holder_name: str,
        nbf: int,
        exp: int | None,
        iat: int,
        record_digest: bytes,
        status: StatusReference,
    ) -> LicenceClaims:
        """Build from NumericDates already checked with ``is_numeric_date``.

        The same checks as the constructor, without turning the datetimes back into
        numbers; verification calls this for every credential.
        """
        claims = object.__new__(cls)
        fields = {
            "licence_id": licence_id,
            "holder_code": holder_code,
            "holder_name": holder_name,
            "not_before": from_numeric_date(nbf),
            "not_after": None if exp is None else from_numeric_date(exp),
            "issued_at": from_numeric_date(iat),
            "record_digest": record_digest,
            "status": status,
            "_numeric_dates": (nbf, iat, exp),
        }
        for name, value in fields.items():
            object.__setattr__(claims, name, value)
        claims._check_fields()
        return claims

    def _check_fields(self) -> None:
        _check_text(self.licence_id, "licence_id", 64)
        _check_text(self.holder_code, "holder_code", 32, ascii_only=True)
        _check_text(self.holder_name, "holder_name", 100)
        if not isinstance(self.record_digest, bytes) or len(self.record_digest) != DIGEST_SIZE:
            raise ValueError(f"record_digest must be {DIGEST_SIZE} bytes")
        if not isinstance(self.status, StatusReference):
            raise ValueError("status must be a StatusReference")
        nbf, _, exp = self._numeric_dates
        if exp is not None and exp < nbf:
            raise ValueError("not_after is before not_before")

    def to_cwt(self) -> dict[int, object]:
        """The CWT claims map (RFC 8392 §3) with the keys documented above."""
        claims: dict[int, object] = {
            CLAIM_SUB: self.holder_code,
            CLAIM_NBF: to_numeric_date(self.not_before),
            CLAIM_IAT: to_numeric_date(self.issued_at),
            CLAIM_STATUS: {"status_list": {"idx": self.status.index, "uri": self.status.uri}},
            CLAIM_LICENCE_ID: self.licence_id,
            CLAIM_HOLDER_NAME: self.holder_name,
            CLAIM_RECORD_DIGEST: self.record_digest,
        }
        if self.not_after is not None:
            claims[CLAIM_EXP] = to_numeric_date(self.not_after)
        return claims

    def to_cwt_bytes(self) -> bytes:
        """The claims in deterministic CBOR: ``deterministic_cbor.encode(self.to_cwt())``.

        Written out for this one fixed structure because verification compares every payload
        against it (see :func:`verify`); a test checks it against the generic encoder.
        """
        head = deterministic_cbor.encode_head
        nbf, iat, exp = self._numeric_dates
        parts = [head(5, 7 if exp is None else 8), b"\x02", _text_item(self.holder_code)]
        if exp is not None:
            parts += (b"\x04", head(0, exp))
        parts += (
            b"\x05",
            head(0, nbf),
            b"\x06",
            head(0, iat),
            _STATUS_PREFIX,
            head(0, self.status.index),
            _URI_KEY,
            _text_item(self.status.uri),
            _LICENCE_ID_KEY,
            _text_item(self.licence_id),
            _HOLDER_NAME_KEY,
            _text_item(self.holder_name),
            _RECORD_DIGEST_KEY,
            head(2, len(self.record_digest)),
            self.record_digest,
        )
        return b"".join(parts)

    @classmethod
    def from_cwt(cls, claims: object) -> LicenceClaims:
        """Read claims back; ``ValueError`` names the first claim that is missing or wrong."""
        if not isinstance(claims, Mapping):
            raise ValueError("CWT claims must be a map")
        keys = claims.keys()
        if unknown := keys - _KNOWN_CLAIMS:
            raise ValueError(f"unknown claim keys {sorted(map(repr, unknown))}")
        if missing := _REQUIRED_CLAIMS - keys:
            raise ValueError(f"missing claim keys {sorted(missing)}")
        return cls(
            licence_id=_claim(claims, CLAIM_LICENCE_ID, str),
            holder_code=_claim(claims, CLAIM_SUB, str),
            holder_name=_claim(claims, CLAIM_HOLDER_NAME, str),
            not_before=_date_claim(claims, CLAIM_NBF),
            not_after=_date_claim(claims, CLAIM_EXP) if CLAIM_EXP in claims else None,
            issued_at=_date_claim(claims, CLAIM_IAT),
            record_digest=_claim(claims, CLAIM_RECORD_DIGEST, bytes),
            status=_status_reference(claims[CLAIM_STATUS]),
        )


def _claim(claims: Mapping[object, object], key: int, kind: type[_T]) -> _T:
    value = claims[key]
    if not isinstance(value, kind):
        raise ValueError(f"claim {key} must be {kind.__name__}")
    return value


def _date_claim(claims: Mapping[object, object], key: int) -> datetime:
    value = claims[key]
    if not is_numeric_date(value):
        raise ValueError(f"claim {key} must be a NumericDate integer")
    return from_numeric_date(value)


def _status_reference(value: object) -> StatusReference:
    """Read ``{"status_list": {"idx": …, "uri": …}}`` (draft-ietf-oauth-status-list §6.3)."""
    if not isinstance(value, Mapping) or set(value) != {"status_list"}:
        raise ValueError("status claim must hold exactly 'status_list'")
    inner = value["status_list"]
    if not isinstance(inner, Mapping) or set(inner) != {"idx", "uri"}:
        raise ValueError("status_list must hold exactly 'idx' and 'uri'")
    return StatusReference(index=inner["idx"], uri=inner["uri"])


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

    :raises OversizedError: for inputs over :data:`MAX_INPUT_CHARS` or :data:`MAX_DIGITS`.
    :raises MalformedError: when no digit string ends the input.
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


def _read_argument(data: bytes, position: int, major: int) -> tuple[int, int] | None:
    """The shortest-form argument of a head of type ``major`` at ``position`` (RFC 8949 §3)."""
    initial = data[position]
    if initial >> 5 != major:
        return None
    info = initial & 0x1F
    if info < 24:
        return info, position + 1
    size = _ARGUMENT_SIZES.get(info)
    end = position + 1 + (size or 0)
    if size is None or end > len(data):
        return None
    value = int.from_bytes(data[position + 1 : end], "big")
    return (value, end) if value >= _SHORTEST_FROM[size] else None


_ARGUMENT_SIZES: Final = {24: 1, 25: 2, 26: 4, 27: 8}
#: The smallest argument that needs each size; anything less is not shortest form.
_SHORTEST_FROM: Final = {1: 24, 2: 0x100, 4: 0x10000, 8: 0x100000000}


def _read_text(data: bytes, position: int) -> tuple[str, int] | None:
    head = _read_argument(data, position, 3)
    if head is None or head[1] + head[0] > len(data):
        return None
    end = head[1] + head[0]
    try:
        return data[head[1] : end].decode("utf-8"), end
    except UnicodeDecodeError:
        return None


def _read_canonical_claims(payload: bytes) -> LicenceClaims | None:
    """Read claims laid out exactly as :meth:`LicenceClaims.to_cwt_bytes` writes them.

    The fast path of verification, like :func:`_read_canonical_message`: it returns
    ``None`` for anything else, valid or not, and :func:`_parse_claims` then decides and
    names the fault. The tests check both agree wherever this one accepts.
    """
    try:
        count = payload[0]
        if count not in (0xA7, 0xA8) or payload[1] != CLAIM_SUB:
            return None
        if (read := _read_text(payload, 2)) is None:
            return None
        holder_code, position = read
        exp = None
        if count == 0xA8:
            if payload[position] != CLAIM_EXP:
                return None
            if (number := _read_argument(payload, position + 1, 0)) is None:
                return None
            exp, position = number
        if payload[position] != CLAIM_NBF:
            return None
        if (number := _read_argument(payload, position + 1, 0)) is None:
            return None
        nbf, position = number
        if payload[position] != CLAIM_IAT:
            return None
        if (number := _read_argument(payload, position + 1, 0)) is None:
            return None
        iat, position = number
        if not payload.startswith(_STATUS_PREFIX, position):
            return None
        if (number := _read_argument(payload, position + len(_STATUS_PREFIX), 0)) is None:
            return None
        index, position = number
        texts: list[str] = []
        for key in (_URI_KEY, _LICENCE_ID_KEY, _HOLDER_NAME_KEY):
            if not payload.startswith(key, position):
                return None
            if (read := _read_text(payload, position + len(key))) is None:
                return None
            text, position = read
            texts.append(text)
        if not payload.startswith(_DIGEST_PREFIX, position):
            return None
        digest = payload[position + len(_DIGEST_PREFIX) :]
        if len(digest) != DIGEST_SIZE:
            return None
        if not all(map(is_numeric_date, (nbf, iat, exp if exp is not None else 0))):
            return None
        uri, licence_id, holder_name = texts
        return LicenceClaims._from_numeric_dates(
            licence_id, holder_code, holder_name, nbf, exp, iat, digest, StatusReference(index, uri)
        )
    except (IndexError, ValueError):
        return None


def _parse_claims(payload: bytes) -> LicenceClaims:
    """Read the claims and insist the payload is exactly their deterministic encoding.

    The comparison with :meth:`LicenceClaims.to_cwt_bytes` rejects duplicate keys, unsorted
    keys, non-shortest integers, indefinite lengths and trailing bytes in one step, so every
    accepted payload has exactly one reading.
    """
    try:
        raw = cbor2.loads(payload)
    except cbor2.CBORDecodeEOF as exc:
        raise MalformedError("CWT claims end early") from exc
    except Exception as exc:  # cbor2 raises many types on hostile input; all mean "not CBOR".
        raise MalformedError(f"CWT claims are not CBOR: {type(exc).__name__}") from exc
    try:
        claims = LicenceClaims.from_cwt(raw)
    except (ValueError, TypeError) as exc:
        raise MalformedError(f"CWT claims: {exc}") from exc
    if claims.to_cwt_bytes() != payload:
        raise MalformedError("CWT claims are not in deterministic encoding (RFC 8949 §4.2.1)")
    return claims


def _claims_of(payload: bytes) -> LicenceClaims:
    claims = _read_canonical_claims(payload)
    return _parse_claims(payload) if claims is None else claims


def decode(url_or_digits: str | bytes) -> UnverifiedCredential:
    """Parse a credential WITHOUT verifying it: for diagnostics, never for display as genuine.

    :raises CredentialError: (a subclass) if it cannot be parsed.
    """
    envelope = _open_envelope(url_or_digits)
    return UnverifiedCredential(
        version=envelope.version,
        cose_alg=envelope.cose_alg,
        kid=envelope.kid,
        unverified_claims=_claims_of(envelope.message.payload),
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
    claims = _claims_of(message.payload)
    if not key.covers(claims.issued_at):
        raise KeyExpiredError(
            f"issued at {claims.issued_at.isoformat()}, outside the validity of key {key.kid}"
        )
    return VerifiedLicence(claims=claims, key=key)
