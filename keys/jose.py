"""The one place that signs and verifies JOSE objects (JWS/JWT, JWK).

Signing goes through the :class:`~keys.signer.Signer` port, so the private key may
live in software or, later, in an HSM; PyJWT parses and validates on the way in.
See ``docs/decisions/0001-jose-library.md`` for why PyJWT and not joserfc.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import Final

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import ECAlgorithm
from jwt.algorithms import OKPAlgorithm
from jwt.algorithms import RSAAlgorithm
from jwt.utils import base64url_encode

from keys.algorithms import ALGORITHMS
from keys.algorithms import PublicKey
from keys.algorithms import check_algorithm
from keys.algorithms import narrow_public_key
from keys.errors import UnsupportedAlgorithm
from keys.signer import Signer

#: Longest certificate chain accepted in an ``x5c`` header.
MAX_X5C: Final = 6
_DER: Final = serialization.Encoding.DER

#: The base of every error :func:`verify_jwt` raises (PyJWT's ``InvalidTokenError``).
JWTError = jwt.InvalidTokenError
JWTExpired = jwt.ExpiredSignatureError

_JWK_EXPORTERS: dict[str, Callable[..., Any]] = {
    "ES256": ECAlgorithm.to_jwk,
    "RS256": RSAAlgorithm.to_jwk,
    "EdDSA": OKPAlgorithm.to_jwk,
}
_JWK_PARSERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "ES256": ECAlgorithm.from_jwk,
    "RS256": RSAAlgorithm.from_jwk,
    "EdDSA": OKPAlgorithm.from_jwk,
}
#: RFC 7638 §3.2: the members that make up the thumbprint, per key type.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}


def public_jwk(key: PublicKey, *, kid: str, alg: str, use: str = "sig") -> dict[str, Any]:
    """The public JWK (RFC 7517) with ``kid``, ``alg`` and ``use``."""
    alg = check_algorithm(alg)
    jwk: dict[str, Any] = _JWK_EXPORTERS[alg](key, as_dict=True)
    jwk.update(kid=kid, alg=alg, use=use)
    return jwk


def public_key_from_jwk(jwk: dict[str, Any], alg: str) -> PublicKey:
    """Parse a public JWK and check that it suits ``alg``."""
    alg = check_algorithm(alg)
    key = _JWK_PARSERS[alg](jwk)
    if hasattr(key, "private_bytes"):
        raise ValueError("expected a public JWK, got a private one")
    return narrow_public_key(key, alg)


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact token, unverified (to pick the key by ``kid``)."""
    header: dict[str, Any] = jwt.get_unverified_header(token)
    return header


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a compact token *without* checking its signature: only for
    choosing how to verify it (e.g. which client's keys), never for trusting it."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def jwk_thumbprint(key: PublicKey, alg: str) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256, base64url)."""
    jwk = _JWK_EXPORTERS[check_algorithm(alg)](key, as_dict=True)
    members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64url_encode(hashlib.sha256(canonical).digest()).decode("ascii")


def jwks_document(keys: Iterable[dict[str, Any]]) -> bytes:
    """A JWK Set (RFC 7517 §5) serialised once, for serving as bytes."""
    return json.dumps({"keys": list(keys)}, separators=(",", ":")).encode()


def sign_jwt(
    signer: Signer,
    claims: dict[str, Any],
    *,
    typ: str = "JWT",
    headers: dict[str, Any] | None = None,
) -> str:
    """Sign ``claims`` as a compact JWS (RFC 7515 §7.1) with ``kid`` in the header.

    Claims are serialised with ``ensure_ascii=False``: Chinese names stay 3 bytes a
    character instead of 6 (a ``\\uXXXX`` escape each).
    """
    header = {"alg": signer.alg, "kid": signer.kid, "typ": typ, **(headers or {})}
    return sign_compact(signer, header, _json(claims))


def sign_compact(signer: Signer, header: dict[str, Any], payload: bytes) -> str:
    """A compact JWS of ``payload`` under ``header`` (whose ``alg`` must be the signer's)."""
    if header.get("alg") != signer.alg:
        raise ValueError(f"header alg {header.get('alg')!r} is not the signer's {signer.alg}")
    signing_input = base64url_encode(_json(header)) + b"." + base64url_encode(payload)
    return (signing_input + b"." + base64url_encode(signer.sign(signing_input))).decode("ascii")


def verify_jwt(
    token: str,
    key_for: Callable[[str | None], tuple[PublicKey, str]],
    *,
    audience: str | Iterable[str] | None = None,
    issuer: str | None = None,
    leeway: float = 0,
    require: Iterable[str] = ("exp", "iat"),
    typ: str | None = None,
) -> dict[str, Any]:
    """Verify a compact JWS and validate its registered claims; return the claims.

    ``key_for(kid)`` (``kid`` may be None) returns the public key and the one algorithm
    allowed for it, so the token cannot choose its own algorithm (no ``alg: none``, no RS/HS confusion).
    Raises ``jwt.InvalidTokenError`` subclasses on any failure.
    """
    header = jwt.get_unverified_header(token)
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise jwt.InvalidTokenError("token header kid is not a string")
    if typ is not None and str(header.get("typ", "")).lower() != typ.lower():
        raise jwt.InvalidTokenError(f"token typ must be {typ}")
    key, alg = key_for(kid)
    claims: dict[str, Any] = jwt.decode(
        token,
        key=key,
        algorithms=[alg],
        audience=audience,
        issuer=issuer,
        leeway=leeway,
        options={"require": list(require), "verify_aud": audience is not None},
    )
    return claims


def verify_signature_only(token: str, key: PublicKey, alg: str) -> dict[str, Any]:
    """Verify a compact JWS's signature with ``key`` and return its claims, checking no
    time claims: for callers that judge ``exp``/``iat`` against their own ``now`` (an
    offline verifier must not read the system clock). Raises :data:`JWTError`."""
    claims: dict[str, Any] = jwt.decode(
        token,
        key=key,
        algorithms=[check_algorithm(alg)],
        options={
            "verify_signature": True,
            "verify_exp": False,
            "verify_nbf": False,
            "verify_iat": False,
            "verify_aud": False,
            "verify_iss": False,
            "verify_sub": False,
            "verify_jti": False,
        },
    )
    return claims


@dataclass(frozen=True)
class X5CMessage:
    """A JWS whose signature verified under the key of the first ``x5c`` certificate.

    Only the signature is checked: whether the certificates are trusted is the caller's
    to decide (a chain validation against its roots).
    """

    payload: dict[str, Any]
    certificates: tuple[x509.Certificate, ...]
    alg: str


def sign_jws_x5c(
    signer: Signer, certificates: Sequence[x509.Certificate], payload: dict[str, Any]
) -> str:
    """A compact JWS of ``payload`` carrying the signer's certificate chain (RFC 7515
    §4.1.6: ``x5c``, the signer's certificate first, base64 DER, not base64url)."""
    if not certificates:
        raise ValueError("x5c needs at least the signer's certificate")
    header = {
        "alg": signer.alg,
        "typ": "JWT",
        "x5c": [base64.b64encode(cert.public_bytes(_DER)).decode("ascii") for cert in certificates],
    }
    return sign_compact(signer, header, _json(payload))


def open_jws_x5c(token: str, *, algorithms: Iterable[str] = ALGORITHMS) -> X5CMessage:
    """Verify a compact JWS with the key of its first ``x5c`` certificate; raise
    :data:`JWTError` when the header, the certificates or the signature are wrong."""
    header = jwt.get_unverified_header(token)
    alg = header.get("alg")
    if alg not in tuple(algorithms):
        raise jwt.InvalidTokenError(f"alg {str(alg)[:20]!r} is not accepted")
    chain = header.get("x5c")
    if not isinstance(chain, list) or not 1 <= len(chain) <= MAX_X5C:
        raise jwt.InvalidTokenError(f"x5c must be a list of 1..{MAX_X5C} certificates")
    certificates = []
    for item in chain:
        try:
            der = base64.b64decode(str(item), validate=True)
            certificates.append(x509.load_der_x509_certificate(der))
        except (binascii.Error, ValueError):
            raise jwt.InvalidTokenError("x5c holds something that is not a certificate") from None
    try:
        key = narrow_public_key(certificates[0].public_key(), str(alg))
    except UnsupportedAlgorithm as exc:
        raise jwt.InvalidTokenError(str(exc)) from None
    payload = verify_signature_only(token, key, str(alg))
    return X5CMessage(payload, tuple(certificates), str(alg))


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
