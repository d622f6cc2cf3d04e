"""Compact JWS for the status list and trust list (RFC 7515 §7.1, RFC 7519 §7).

Both halves go through :mod:`keys.jose` (the one JOSE module): signing through the
:class:`keys.signer.Signer` port with sorted, unescaped UTF-8 JSON, verification of the
signature only, because the caller judges the time claims against its own ``now``.
This module adds the checks status and trust lists need: ``typ``, a trusted ``kid``, and
an ``alg`` that matches the trusted key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any
from typing import Final

from keys.jose import JWTError
from keys.jose import sign_compact
from keys.jose import unverified_header
from keys.jose import verify_signature_only
from licences.public_keys import SUPPORTED_ALGORITHMS
from licences.public_keys import TrustedKey

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
    return sign_compact(signer, header, _json_bytes(claims))


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
        header = unverified_header(token)
    except JWTError as exc:
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
        claims = verify_signature_only(token, key.public_key, key.alg)
    except JWTError as exc:
        if type(exc).__name__ == "InvalidSignatureError":
            raise JOSEError(f"signature does not verify with key {kid!r}") from exc
        raise JOSEError(f"invalid JWS: {exc}") from exc
    return key, claims
