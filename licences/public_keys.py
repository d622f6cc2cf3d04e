"""Public keys that verifiers trust: JWK (RFC 7517/7518/8037) conversion and raw signatures.

A :class:`TrustedKey` is one entry of the trust list: a public key, the algorithm it may be
used with, the issuing department, and the period in which it may sign. Verification code in
``licences`` takes these (never a :class:`keys.signer.Signer`), so it runs without the key
store, offline.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any
from typing import Final
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

__all__ = [
    "COSE_KID_SIZE",
    "SUPPORTED_ALGORITHMS",
    "Issuer",
    "PublicKey",
    "TrustedKey",
    "b64url_decode",
    "b64url_encode",
    "cose_kid_of",
    "jwk_thumbprint",
    "public_key_from_jwk",
    "public_key_to_jwk",
]

#: The public key types we verify with.
PublicKey: TypeAlias = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey

#: JOSE algorithm names (RFC 7518 §3.1, RFC 8037 §3.1) that trusted keys may carry.
SUPPORTED_ALGORITHMS: Final = frozenset({"ES256", "EdDSA", "RS256"})

#: Bytes of the short key identifier used in COSE headers (see :func:`cose_kid_of`).
COSE_KID_SIZE: Final = 8

_MIN_RSA_BITS: Final = 2048
#: The required members that a JWK thumbprint hashes, per key type (RFC 7638 §3.2, RFC 8037 §2).
_THUMBPRINT_MEMBERS: Final = {
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "RSA": ("e", "kty", "n"),
}
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_ECDSA_SHA256: Final = ec.ECDSA(hashes.SHA256())
_SHA256: Final = hashes.SHA256()
_PKCS1V15: Final = padding.PKCS1v15()


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding: any other character raises ``ValueError``."""
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not unpadded base64url") from exc


@dataclass(frozen=True)
class Issuer:
    """The department that issues licences with a key: its name and its credit code."""

    name: str
    code: str

    def as_json(self) -> dict[str, str]:
        """The JSON object used in trust lists."""
        return {"name": self.name, "code": self.code}


def _check_key_matches_alg(alg: str, key: object) -> PublicKey:
    if alg == "ES256":
        if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
            return key
        raise ValueError("ES256 needs a P-256 public key")
    if alg == "EdDSA":
        if isinstance(key, ed25519.Ed25519PublicKey):
            return key
        raise ValueError("EdDSA needs an Ed25519 public key")
    if alg == "RS256":
        if isinstance(key, rsa.RSAPublicKey) and key.key_size >= _MIN_RSA_BITS:
            return key
        raise ValueError(f"RS256 needs an RSA public key of at least {_MIN_RSA_BITS} bits")
    raise ValueError(f"unsupported algorithm {alg!r}")


def public_key_to_jwk(key: PublicKeyTypes) -> dict[str, str]:
    """The public JWK members (``kty`` and key parameters only) of ``key``."""
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        numbers = key.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url_encode(numbers.x.to_bytes(32, "big")),
            "y": b64url_encode(numbers.y.to_bytes(32, "big")),
        }
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    if isinstance(key, rsa.RSAPublicKey):
        rsa_numbers = key.public_numbers()
        return {
            "kty": "RSA",
            "n": b64url_encode(_uint_bytes(rsa_numbers.n)),
            "e": b64url_encode(_uint_bytes(rsa_numbers.e)),
        }
    raise ValueError(f"unsupported public key type {type(key).__name__}")


def _uint_bytes(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _jwk_member(jwk: Mapping[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise ValueError(f"JWK member {name!r} missing or not a string")
    return b64url_decode(value)


def public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """A ``cryptography`` public key from a public JWK; private members are refused.

    :raises ValueError: for private JWKs, unsupported key types or curves, and points that are
        not on the curve.
    """
    if "d" in jwk or "p" in jwk:
        raise ValueError("a private JWK was given where a public key belongs")
    kty = jwk.get("kty")
    if kty == "EC":
        if jwk.get("crv") != "P-256":
            raise ValueError("only the P-256 curve is supported")
        x, y = _jwk_member(jwk, "x"), _jwk_member(jwk, "y")
        if len(x) != 32 or len(y) != 32:
            raise ValueError("P-256 coordinates must be 32 bytes")
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        )
        return numbers.public_key()
    if kty == "OKP":
        if jwk.get("crv") != "Ed25519":
            raise ValueError("only the Ed25519 curve is supported for OKP keys")
        x = _jwk_member(jwk, "x")
        if len(x) != 32:
            raise ValueError("Ed25519 public keys are 32 bytes")
        return ed25519.Ed25519PublicKey.from_public_bytes(x)
    if kty == "RSA":
        n = int.from_bytes(_jwk_member(jwk, "n"), "big")
        e = int.from_bytes(_jwk_member(jwk, "e"), "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    raise ValueError(f"unsupported JWK key type {kty!r}")


def jwk_thumbprint(key: PublicKeyTypes) -> bytes:
    """The SHA-256 JWK Thumbprint of ``key`` (RFC 7638 §3; RFC 8037 §2 for OKP keys)."""
    jwk = public_key_to_jwk(key)
    canonical = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    text = json.dumps(canonical, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode("ascii")).digest()


def cose_kid_of(key: PublicKeyTypes) -> bytes:
    """The key's short COSE ``kid``: the first 8 bytes of its RFC 7638 SHA-256 thumbprint.

    The ``kid`` only selects a trust-list entry; the signature is then checked with that
    entry's key, so a colliding ``kid`` cannot make a foreign key trusted.
    """
    return jwk_thumbprint(key)[:COSE_KID_SIZE]


@dataclass(frozen=True)
class TrustedKey:
    """A public key a verifier trusts, for one algorithm, one issuer and one period.

    ``valid_until`` of ``None`` means the key is still in service. A licence remains
    verifiable after its key retires, as long as it was issued inside the period.
    """

    kid: str
    alg: str
    public_key: PublicKey
    issuer: Issuer
    valid_from: datetime
    valid_until: datetime | None = None
    cose_kid: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.kid:
            raise ValueError("kid must not be empty")
        _check_key_matches_alg(self.alg, self.public_key)
        for moment in (self.valid_from, self.valid_until):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError("validity times must be timezone-aware")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        object.__setattr__(self, "cose_kid", cose_kid_of(self.public_key))

    @classmethod
    def from_jwk(
        cls,
        jwk: Mapping[str, Any],
        *,
        issuer: Issuer,
        valid_from: datetime,
        valid_until: datetime | None = None,
    ) -> TrustedKey:
        """Build from a public JWK that carries ``kid`` and ``alg``."""
        kid, alg = jwk.get("kid"), jwk.get("alg")
        if not isinstance(kid, str) or not isinstance(alg, str):
            raise ValueError("the JWK must carry string members 'kid' and 'alg'")
        return cls(kid, alg, public_key_from_jwk(jwk), issuer, valid_from, valid_until)

    def public_jwk(self) -> dict[str, str]:
        """The public JWK with ``kid``, ``alg`` and ``use``."""
        jwk = public_key_to_jwk(self.public_key)
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def covers(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in the key's validity period (both ends inclusive)."""
        if moment < self.valid_from:
            return False
        return self.valid_until is None or moment <= self.valid_until

    def verify_signature(self, data: bytes, signature: bytes) -> None:
        """Check a raw JOSE/COSE-form signature over ``data`` (ECDSA as ``r || s``).

        :raises cryptography.exceptions.InvalidSignature: if it does not verify.
        """
        key = self.public_key
        if isinstance(key, ec.EllipticCurvePublicKey):
            # RFC 9053 §2.1 / RFC 7518 §3.4: the signature is r || s, 32 bytes each for P-256.
            if len(signature) != 64:
                raise InvalidSignature("ES256 signatures are 64 bytes")
            r = int.from_bytes(signature[:32], "big")
            s = int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), data, _ECDSA_SHA256)
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            key.verify(signature, data, _PKCS1V15, _SHA256)
