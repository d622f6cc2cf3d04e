"""Compact JWS for the status list and trust list (RFC 7515 §7.1, RFC 7519 §7).

Signing builds the compact serialization itself, so the private key stays behind
:class:`keys.signer.Signer`, and writes JSON as UTF-8 without ``\\uXXXX`` escapes (PyJWT's
encoder escapes every CJK character, which more than doubles department names).
Verification goes through PyJWT. This is the only module in ``licences`` that imports PyJWT;
when ``keys/jose.py`` exists it can take over both halves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any
from typing import Final

import jwt

from licences.public_keys import SUPPORTED_ALGORITHMS
from licences.public_keys import TrustedKey
from licences.public_keys import b64url_encode

if TYPE_CHECKING:
    from keys.signer import Signer

#: Longest token looked at (a 2**20-entry status list with many revocations stays far below).
MAX_TOKEN_CHARS: Final = 4 * 1024 * 1024


class JOSEError(ValueError):
    """The token is not a compact JWS of the expected type, signed by a known key."""


def _json_bytes(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def sign_jwt(claims: Mapping[str, Any], signer: Signer, *, typ: str) -> str:
    """A compact JWS over ``claims`` with header ``{alg, kid, typ}``, signed by ``signer``."""
    if signer.alg not in SUPPORTED_ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {signer.alg!r}")
    header = {"alg": signer.alg, "kid": signer.kid, "typ": typ}
    signing_input = f"{b64url_encode(_json_bytes(header))}.{b64url_encode(_json_bytes(claims))}"
    signature = signer.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def verify_jwt(
    token: str, *, typ: str, find_key: Callable[[str], TrustedKey | None]
) -> tuple[TrustedKey, dict[str, Any]]:
    """Verify ``token``'s signature with the key ``find_key(kid)`` and return its claims.

    Only the signature, ``typ``, ``kid`` and ``alg`` are checked here; the caller checks the
    time claims against its own ``now`` (PyJWT would read the system clock).

    :raises JOSEError: naming the first check that failed.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise JOSEError("not a token of acceptable size")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise JOSEError(f"unreadable JWS header: {exc}") from exc
    if header.get("typ") != typ:
        raise JOSEError(f"typ must be {typ!r}")
    kid, alg = header.get("kid"), header.get("alg")
    if not isinstance(kid, str):
        raise JOSEError("kid missing from the JWS header")
    key = find_key(kid)
    if key is None:
        raise JOSEError(f"kid {kid!r} is not trusted")
    if alg != key.alg:
        raise JOSEError(f"alg {alg!r} differs from the trusted key's {key.alg}")
    try:
        claims = jwt.decode(
            token,
            key=key.public_key,
            algorithms=[key.alg],
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
    except jwt.InvalidSignatureError as exc:
        raise JOSEError(f"signature does not verify with key {kid!r}") from exc
    except jwt.PyJWTError as exc:
        raise JOSEError(f"invalid JWS: {exc}") from exc
    return key, claims
