"""The claims of a licence QR credential: a CWT claim set (RFC 8392 §3) in deterministic CBOR.

:class:`LicenceClaims` is what a credential says; :func:`parse_claims` reads a payload and
accepts it only if it is exactly the deterministic encoding (RFC 8949 §4.2.1) of the claims
it holds. Claim keys are listed in ``docs/licence-qr-format.md`` §1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Final
from typing import TypeVar

import cbor2

from licences import deterministic_cbor
from licences._numeric_date import from_numeric_date
from licences._numeric_date import is_numeric_date
from licences._numeric_date import to_numeric_date
from licences.errors import MalformedError
from licences.record_digest import DIGEST_SIZE

__all__ = [
    "CLAIM_EXP",
    "CLAIM_HOLDER_NAME",
    "CLAIM_IAT",
    "CLAIM_LICENCE_ID",
    "CLAIM_NBF",
    "CLAIM_RECORD_DIGEST",
    "CLAIM_STATUS",
    "CLAIM_SUB",
    "LicenceClaims",
    "StatusReference",
    "parse_claims",
]

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


def parse_claims(payload: bytes) -> LicenceClaims:
    """Read a credential's claims, or raise :class:`MalformedError` naming the fault."""
    claims = _read_canonical_claims(payload)
    return _parse_claims(payload) if claims is None else claims
