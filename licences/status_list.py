"""Token Status List (draft-ietf-oauth-status-list-17): revocation and suspension of licences.

* :class:`StatusList` is the bit array of §4.1: ``bits`` of 1, 2, 4 or 8 per entry, packed
  from the least significant bit of each byte, DEFLATE-compressed in the ZLIB format at the
  highest level.
* The list travels as a Status List Token in **JWT** format (§5.1, ``typ`` =
  ``statuslist+jwt``, media type ``application/statuslist+jwt``), chosen over CWT because the
  verify page, browsers and third-party verifiers all read JWTs, and its size does not matter
  as it is fetched, not scanned. Claims: ``sub`` (the list's URI, equal to the ``uri`` in the
  credential), ``iat``, ``exp``, ``ttl`` and ``status_list`` = ``{bits, lst}``.
* Licences use ``bits`` = 2 and the registered Status Types of §7.1: VALID (0), INVALID (1,
  shown as *revoked*) and SUSPENDED (2).
* :class:`IndexAllocator` hands out random indices and never the same one twice (§13.3
  "Default Values and Double Allocation"; random indices keep the herd privacy of §12.1).
"""

from __future__ import annotations

import random
import secrets
import zlib
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING
from typing import Any
from typing import Final

from licences import _jose
from licences._numeric_date import from_numeric_date
from licences._numeric_date import is_numeric_date
from licences._numeric_date import to_numeric_date
from licences.errors import StatusListError
from licences.errors import StatusListExpiredError
from licences.errors import StatusListFullError
from licences.public_keys import TrustedKey
from licences.public_keys import b64url_decode
from licences.public_keys import b64url_encode

if TYPE_CHECKING:
    from keys.signer import Signer

__all__ = [
    "DEFAULT_SIZE",
    "MAX_LIST_BYTES",
    "STATUS_LIST_MEDIA_TYPE",
    "STATUS_LIST_TYP",
    "IndexAllocator",
    "Status",
    "StatusList",
    "StatusListToken",
    "build_status_list_claims",
    "parse_status_list_claims",
    "sign_status_list",
    "verify_status_list",
]

#: JWT ``typ`` and HTTP media type of a Status List Token (§5.1, §8.2).
STATUS_LIST_TYP: Final = "statuslist+jwt"
STATUS_LIST_MEDIA_TYPE: Final = "application/statuslist+jwt"
#: Default number of entries: 2**17, the herd-privacy floor that W3C Bitstring Status List
#: also uses. At 2 bits that is 32 KiB raw and a few hundred bytes compressed when sparse.
DEFAULT_SIZE: Final = 1 << 17
#: Largest uncompressed list we inflate (2**24 entries at 2 bits); bounds zip bombs.
MAX_LIST_BYTES: Final = 1 << 22
_ALLOWED_BITS: Final = (1, 2, 4, 8)


class Status(IntEnum):
    """Status Types of draft-ietf-oauth-status-list §7.1."""

    VALID = 0
    INVALID = 1  # Revoked (吊销/撤销): permanent.
    SUSPENDED = 2  # Suspended (暂停/中止): temporary; a reinstatement sets VALID again.


class StatusList:
    """The uncompressed status array of §4.1, ``bits`` per entry, LSB first in each byte."""

    __slots__ = ("_bits", "_data", "_per_byte")

    def __init__(self, size: int = DEFAULT_SIZE, bits: int = 2) -> None:
        if bits not in _ALLOWED_BITS:
            raise ValueError(f"bits must be one of {_ALLOWED_BITS}")
        per_byte = 8 // bits
        if size <= 0 or size % per_byte:
            raise ValueError(f"size must be a positive multiple of {per_byte} for {bits} bits")
        if size // per_byte > MAX_LIST_BYTES:
            raise ValueError(f"a list may hold at most {MAX_LIST_BYTES * per_byte} entries")
        self._bits = bits
        self._per_byte = per_byte
        self._data = bytearray(size // per_byte)

    @classmethod
    def from_bytes(cls, data: bytes, bits: int) -> StatusList:
        """A list over an existing uncompressed byte array."""
        if not data:
            raise ValueError("a status list has at least one byte")
        status_list = cls(len(data) * (8 // bits) if bits in _ALLOWED_BITS else 0, bits)
        status_list._data[:] = data
        return status_list

    @classmethod
    def decompress(cls, compressed: bytes, bits: int) -> StatusList:
        """Inflate a ZLIB stream (RFC 1950) into a list, refusing more than MAX_LIST_BYTES."""
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(compressed, MAX_LIST_BYTES)
        except zlib.error as exc:
            raise ValueError(f"lst is not a ZLIB stream: {exc}") from exc
        if inflater.unconsumed_tail:
            raise ValueError(f"lst inflates to more than {MAX_LIST_BYTES} bytes")
        if not inflater.eof or inflater.unused_data:
            raise ValueError("lst is not exactly one complete ZLIB stream")
        return cls.from_bytes(data, bits)

    @property
    def bits(self) -> int:
        """Bits per entry: 1, 2, 4 or 8."""
        return self._bits

    @property
    def size(self) -> int:
        """Number of entries."""
        return len(self._data) * self._per_byte

    def __len__(self) -> int:
        return self.size

    def _locate(self, index: int) -> tuple[int, int]:
        if type(index) is not int or not 0 <= index < self.size:
            raise IndexError(f"status index {index!r} outside [0, {self.size})")
        byte, slot = divmod(index, self._per_byte)
        return byte, slot * self._bits

    def __getitem__(self, index: int) -> int:
        byte, shift = self._locate(index)
        return (self._data[byte] >> shift) & ((1 << self._bits) - 1)

    def __setitem__(self, index: int, value: int) -> None:
        if type(value) is not int and not isinstance(value, Status):
            raise TypeError("a status is an integer")
        if not 0 <= value < (1 << self._bits):
            raise ValueError(f"status {value} does not fit in {self._bits} bits")
        byte, shift = self._locate(index)
        mask = ((1 << self._bits) - 1) << shift
        self._data[byte] = (self._data[byte] & ~mask & 0xFF) | (int(value) << shift)

    def to_bytes(self) -> bytes:
        """The uncompressed byte array."""
        return bytes(self._data)

    def compress(self) -> bytes:
        """ZLIB (RFC 1950) at level 9, as §4.1 step 4 recommends."""
        return zlib.compress(bytes(self._data), 9)

    def to_json(self) -> dict[str, Any]:
        """The ``StatusList`` JSON object of §4.2: ``{"bits": …, "lst": base64url}``."""
        return {"bits": self._bits, "lst": b64url_encode(self.compress())}


class IndexAllocator:
    """Draws random unused indices of one status list; an index is never handed out twice.

    The pure core of index assignment: the issuance service seeds it with the indices already
    stored for the list and still enforces uniqueness in the database, so two processes cannot
    take the same index either.
    """

    def __init__(
        self, size: int, allocated: Iterable[int] = (), *, rng: random.Random | None = None
    ) -> None:
        if size <= 0:
            raise ValueError("size must be positive")
        self._size = size
        self._allocated: set[int] = set()
        for index in allocated:
            if type(index) is not int or not 0 <= index < size:
                raise ValueError(f"allocated index {index!r} outside [0, {size})")
            self._allocated.add(index)
        self._rng: random.Random = rng if rng is not None else secrets.SystemRandom()

    @property
    def free(self) -> int:
        """How many indices are still free."""
        return self._size - len(self._allocated)

    def is_allocated(self, index: int) -> bool:
        """Whether ``index`` was ever handed out (or given as allocated)."""
        return index in self._allocated

    def allocate(self) -> int:
        """A uniformly random free index, now marked allocated.

        :raises StatusListFullError: when every index is taken.
        """
        if not self.free:
            raise StatusListFullError(f"all {self._size} indices are allocated")
        if len(self._allocated) * 2 <= self._size:
            # At most half taken: rejection sampling needs fewer than two draws on average.
            while (index := self._rng.randrange(self._size)) in self._allocated:
                pass
        else:
            # Mostly taken: pick the k-th free index directly, so the time is bounded.
            wanted = self._rng.randrange(self.free)
            for index in range(self._size):
                if index not in self._allocated:
                    if not wanted:
                        break
                    wanted -= 1
        self._allocated.add(index)
        return index


@dataclass(frozen=True)
class StatusListToken:
    """A verified Status List Token: the list plus its URI and freshness claims (§5.1)."""

    uri: str
    issued_at: datetime
    expires_at: datetime | None
    ttl: int | None
    status_list: StatusList
    kid: str

    def is_expired(self, now: datetime) -> bool:
        """Whether ``now`` is at or past ``exp`` (§8.3: an expired list must not be used)."""
        return self.expires_at is not None and now >= self.expires_at

    def status_of(self, index: int, *, now: datetime) -> int:
        """The status value at ``index``, from a list that is not expired at ``now``.

        :raises StatusListExpiredError: if the list expired.
        :raises StatusListError: if ``index`` is out of bounds (§8.3 step 6: reject).
        """
        if self.is_expired(now):
            raise StatusListExpiredError(f"status list {self.uri} expired at {self.expires_at}")
        try:
            return self.status_list[index]
        except IndexError as exc:
            raise StatusListError(f"index {index} is outside status list {self.uri}") from exc


def build_status_list_claims(
    status_list: StatusList,
    *,
    uri: str,
    issued_at: datetime,
    expires_at: datetime | None = None,
    ttl: int | None = None,
) -> dict[str, Any]:
    """The JWT claims of a Status List Token (§5.1)."""
    if not uri.startswith("https://"):
        raise ValueError("the status list uri must be https")
    claims: dict[str, Any] = {
        "sub": uri,
        "iat": to_numeric_date(issued_at, name="issued_at"),
        "status_list": status_list.to_json(),
    }
    if expires_at is not None:
        if expires_at <= issued_at:
            raise ValueError("expires_at must be after issued_at")
        claims["exp"] = to_numeric_date(expires_at, name="expires_at")
    if ttl is not None:
        if type(ttl) is not int or ttl <= 0:
            raise ValueError("ttl must be a positive integer number of seconds")
        claims["ttl"] = ttl
    return claims


def sign_status_list(
    status_list: StatusList,
    *,
    uri: str,
    signer: Signer,
    issued_at: datetime,
    expires_at: datetime | None = None,
    ttl: int | None = None,
) -> str:
    """Build and sign a Status List Token in JWT format (§5.1)."""
    claims = build_status_list_claims(
        status_list, uri=uri, issued_at=issued_at, expires_at=expires_at, ttl=ttl
    )
    return _jose.sign_jwt(claims, signer, typ=STATUS_LIST_TYP)


def parse_status_list_claims(claims: Mapping[str, Any], *, kid: str) -> StatusListToken:
    """Read the claims of a verified Status List Token.

    :raises StatusListError: naming the claim that is missing or wrong.
    """
    uri, iat, exp, ttl = claims.get("sub"), claims.get("iat"), claims.get("exp"), claims.get("ttl")
    if not isinstance(uri, str) or not uri.startswith("https://"):
        raise StatusListError("sub must be the https URI of the status list")
    if not is_numeric_date(iat):
        raise StatusListError("iat must be a NumericDate")
    if exp is not None and not is_numeric_date(exp):
        raise StatusListError("exp must be a NumericDate")
    if ttl is not None and (type(ttl) is not int or ttl <= 0):
        raise StatusListError("ttl must be a positive integer")
    body = claims.get("status_list")
    if not isinstance(body, Mapping):
        raise StatusListError("status_list claim missing")
    bits, lst = body.get("bits"), body.get("lst")
    if bits not in _ALLOWED_BITS or not isinstance(lst, str):
        raise StatusListError("status_list needs bits in {1, 2, 4, 8} and a base64url lst")
    try:
        status_list = StatusList.decompress(b64url_decode(lst), bits)
    except ValueError as exc:
        raise StatusListError(f"lst: {exc}") from exc
    return StatusListToken(
        uri=uri,
        issued_at=from_numeric_date(iat),
        expires_at=None if exp is None else from_numeric_date(exp),
        ttl=ttl,
        status_list=status_list,
        kid=kid,
    )


def verify_status_list(
    token: str,
    *,
    keys: Mapping[str, TrustedKey],
    now: datetime,
    uri: str | None = None,
) -> StatusListToken:
    """Verify a Status List Token in JWT format and return the list (§8.3 step 3-4).

    ``keys`` maps JOSE ``kid`` to trusted keys (:attr:`licences.trust_list.TrustList.by_kid`);
    the signing key must have been valid at ``iat``. ``uri``, when given, must equal ``sub``.

    :raises StatusListExpiredError: if ``now`` is at or past ``exp``.
    :raises StatusListError: for any other failure.
    """
    try:
        key, claims = _jose.verify_jwt(token, typ=STATUS_LIST_TYP, find_key=keys.get)
    except _jose.JOSEError as exc:
        raise StatusListError(f"status list token: {exc}") from exc
    parsed = parse_status_list_claims(claims, kid=key.kid)
    if uri is not None and parsed.uri != uri:
        raise StatusListError(f"status list is {parsed.uri!r}, expected {uri!r}")
    if not key.covers(parsed.issued_at):
        raise StatusListError(f"key {key.kid} was not valid when the list was issued")
    if parsed.is_expired(now):
        raise StatusListExpiredError(f"status list {parsed.uri} expired at {parsed.expires_at}")
    return parsed
