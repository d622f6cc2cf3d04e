"""The signed trust list of licence-issuing keys, so verifiers need nothing but this file.

A trust list is a JWT (RFC 7519) with ``typ`` = ``tongban-trust-list+jwt``, signed by a
trust-list root key that verifiers pin out of band (shipped with the verifier, or published
on the operator's site). Its claims::

    {
      "iss": "https://licence.example.gov.cn",      the operator publishing the list
      "iat": 1767225600, "exp": 1769817600,         NumericDates; refresh before exp
      "keys": [
        {
          "kid": "zj-amr-2026-01",                  the key's JOSE kid (status lists use it)
          "cose_kid": "6f1d…",                      hex, 8 bytes: licences.public_keys.cose_kid_of
          "alg": "ES256",                           ES256 | EdDSA | RS256
          "jwk": {"kty": "EC", "crv": "P-256", …},  public JWK (RFC 7517)
          "issuer": {"name": "…市场监督管理局", "code": "<USCC of the department>"},
          "valid_from": 1735660800,                 the key may sign from …
          "valid_until": null                       … until (null: still in service)
        }
      ]
    }

Rotation keeps old licences verifiable: a retired key stays in the list with
``valid_until`` set, and a credential verifies if its ``iat`` lies inside the period
(``licences.codec.verify``). Removing a key from the list distrusts everything it signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any
from typing import Final

from licences import _jose
from licences._numeric_date import from_numeric_date
from licences._numeric_date import is_numeric_date
from licences._numeric_date import to_numeric_date
from licences.errors import TrustListError
from licences.errors import TrustListExpiredError
from licences.public_keys import Issuer
from licences.public_keys import TrustedKey

if TYPE_CHECKING:
    from keys.signer import Signer

__all__ = [
    "TRUST_LIST_TYP",
    "TrustList",
    "build_trust_list_claims",
    "parse_root_keys",
    "parse_trust_list_claims",
    "root_keys_document",
    "sign_trust_list",
    "verify_trust_list",
]

#: JWT ``typ`` of a trust list (explicit typing, RFC 8725 §3.11).
TRUST_LIST_TYP: Final = "tongban-trust-list+jwt"


@dataclass(frozen=True)
class TrustList:
    """A verified trust list: the operator, its freshness, and the trusted keys."""

    issuer: str
    issued_at: datetime
    expires_at: datetime | None
    keys: tuple[TrustedKey, ...]
    by_cose_kid: Mapping[bytes, TrustedKey] = field(init=False, repr=False, compare=False)
    by_kid: Mapping[str, TrustedKey] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_cose_kid = {key.cose_kid: key for key in self.keys}
        by_kid = {key.kid: key for key in self.keys}
        if len(by_cose_kid) != len(self.keys) or len(by_kid) != len(self.keys):
            raise ValueError("each key may appear in a trust list only once")
        object.__setattr__(self, "by_cose_kid", by_cose_kid)
        object.__setattr__(self, "by_kid", by_kid)

    def is_expired(self, now: datetime) -> bool:
        """Whether ``now`` is at or past ``exp``."""
        return self.expires_at is not None and now >= self.expires_at


def _entry_json(key: TrustedKey) -> dict[str, Any]:
    until = key.valid_until
    return {
        "kid": key.kid,
        "cose_kid": key.cose_kid.hex(),
        "alg": key.alg,
        "jwk": key.public_jwk(),
        "issuer": key.issuer.as_json(),
        "valid_from": to_numeric_date(key.valid_from, name="valid_from"),
        "valid_until": None if until is None else to_numeric_date(until, name="valid_until"),
    }


def build_trust_list_claims(
    keys: Sequence[TrustedKey],
    *,
    issuer: str,
    issued_at: datetime,
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    """The claims of a trust list JWT, entries in the order given."""
    if not keys:
        raise ValueError("a trust list needs at least one key")
    TrustList(issuer, issued_at, expires_at, tuple(keys))  # Rejects duplicate keys.
    claims: dict[str, Any] = {
        "iss": issuer,
        "iat": to_numeric_date(issued_at, name="issued_at"),
        "keys": [_entry_json(key) for key in keys],
    }
    if expires_at is not None:
        if expires_at <= issued_at:
            raise ValueError("expires_at must be after issued_at")
        claims["exp"] = to_numeric_date(expires_at, name="expires_at")
    return claims


def sign_trust_list(
    keys: Sequence[TrustedKey],
    *,
    issuer: str,
    signer: Signer,
    issued_at: datetime,
    expires_at: datetime | None = None,
) -> str:
    """Build and sign a trust list JWT with the trust-list root ``signer``."""
    claims = build_trust_list_claims(
        keys, issuer=issuer, issued_at=issued_at, expires_at=expires_at
    )
    return _jose.sign_jwt(claims, signer, typ=TRUST_LIST_TYP)


def _parse_entry(entry: object, position: int) -> TrustedKey:
    where = f"keys[{position}]"
    if not isinstance(entry, Mapping):
        raise TrustListError(f"{where} is not an object")
    kid, alg, jwk, issuer = (
        entry.get("kid"),
        entry.get("alg"),
        entry.get("jwk"),
        entry.get("issuer"),
    )
    valid_from, valid_until = entry.get("valid_from"), entry.get("valid_until")
    if not isinstance(kid, str) or not isinstance(alg, str) or not isinstance(jwk, Mapping):
        raise TrustListError(f"{where} needs kid, alg and jwk")
    if jwk.get("kid", kid) != kid or jwk.get("alg", alg) != alg:
        raise TrustListError(f"{where}: the JWK's kid or alg disagrees with the entry")
    if not isinstance(issuer, Mapping) or not all(
        isinstance(issuer.get(name), str) and issuer.get(name) for name in ("name", "code")
    ):
        raise TrustListError(f"{where}: issuer needs a name and a code")
    if not is_numeric_date(valid_from):
        raise TrustListError(f"{where}: valid_from must be a NumericDate")
    if valid_until is not None and not is_numeric_date(valid_until):
        raise TrustListError(f"{where}: valid_until must be a NumericDate or null")
    try:
        key = TrustedKey.from_jwk(
            {**jwk, "kid": kid, "alg": alg},
            issuer=Issuer(name=issuer["name"], code=issuer["code"]),
            valid_from=from_numeric_date(valid_from),
            valid_until=None if valid_until is None else from_numeric_date(valid_until),
        )
    except ValueError as exc:
        raise TrustListError(f"{where}: {exc}") from exc
    if "cose_kid" in entry and entry["cose_kid"] != key.cose_kid.hex():
        raise TrustListError(f"{where}: cose_kid does not match the key's thumbprint")
    return key


def parse_trust_list_claims(claims: Mapping[str, Any]) -> TrustList:
    """Read the claims of a verified trust list.

    :raises TrustListError: naming the claim or entry that is wrong.
    """
    issuer, iat, exp, entries = (claims.get(name) for name in ("iss", "iat", "exp", "keys"))
    if not isinstance(issuer, str) or not issuer:
        raise TrustListError("iss must name the operator")
    if not is_numeric_date(iat):
        raise TrustListError("iat must be a NumericDate")
    if exp is not None and not is_numeric_date(exp):
        raise TrustListError("exp must be a NumericDate")
    if not isinstance(entries, list) or not entries:
        raise TrustListError("keys must be a non-empty array")
    keys = tuple(_parse_entry(entry, position) for position, entry in enumerate(entries))
    try:
        return TrustList(
            issuer=issuer,
            issued_at=from_numeric_date(iat),
            expires_at=None if exp is None else from_numeric_date(exp),
            keys=keys,
        )
    except ValueError as exc:
        raise TrustListError(str(exc)) from exc


def root_keys_document(roots: Sequence[TrustedKey]) -> dict[str, Any]:
    """The pinned-roots file: ``{"keys": [entry, …]}``, entries as in a trust list."""
    return {"keys": [_entry_json(root) for root in roots]}


def parse_root_keys(document: object) -> tuple[TrustedKey, ...]:
    """Read a pinned-roots document written by :func:`root_keys_document`.

    :raises TrustListError: if it is not one.
    """
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list) or not entries:
        raise TrustListError("root keys: expected {'keys': [entry, …]}")
    return tuple(_parse_entry(entry, position) for position, entry in enumerate(entries))


def verify_trust_list(token: str, *, roots: Sequence[TrustedKey], now: datetime) -> TrustList:
    """Verify a trust list JWT against pinned root keys and return its keys.

    The root that signed must have been valid at ``iat``.

    :raises TrustListExpiredError: if ``now`` is at or past ``exp``.
    :raises TrustListError: for any other failure.
    """
    by_kid = {root.kid: root for root in roots}
    try:
        root, claims = _jose.verify_jwt(token, typ=TRUST_LIST_TYP, find_key=by_kid.get)
    except _jose.JOSEError as exc:
        raise TrustListError(f"trust list token: {exc}") from exc
    trust_list = parse_trust_list_claims(claims)
    if not root.covers(trust_list.issued_at):
        raise TrustListError(f"root key {root.kid} was not valid when the list was issued")
    if trust_list.is_expired(now):
        raise TrustListExpiredError(f"trust list expired at {trust_list.expires_at}")
    return trust_list
