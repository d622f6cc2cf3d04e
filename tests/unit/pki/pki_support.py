"""Helpers for the PKI tests: a software Signer over an in-memory key, and the fixed time.

Kept apart from ``conftest.py`` so tests import them by a name no other test directory
uses (``import conftest`` would find whichever conftest was imported first).
"""

from __future__ import annotations

import base64
from datetime import UTC
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftwareSigner:
    """A Signer over an in-memory ``cryptography`` key, speaking the port's wire forms."""

    def __init__(self, key: PrivateKey, kid: str) -> None:
        self._key = key
        self._kid = kid

    @classmethod
    def generate(cls, alg: str = "ES256", kid: str | None = None) -> SoftwareSigner:
        key: PrivateKey
        if alg == "ES256":
            key = ec.generate_private_key(ec.SECP256R1())
        elif alg == "RS256":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            key = ed25519.Ed25519PrivateKey.generate()
        return cls(key, kid or f"test-{alg.lower()}")

    @property
    def kid(self) -> str:
        return self._kid

    @property
    def alg(self) -> str:
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return "ES256"
        if isinstance(self._key, rsa.RSAPrivateKey):
            return "RS256"
        return "EdDSA"

    def public_key(self) -> Any:
        return self._key.public_key()

    def public_jwk(self) -> dict[str, Any]:
        public = self._key.public_key()
        jwk: dict[str, Any]
        if isinstance(public, ec.EllipticCurvePublicKey):
            numbers = public.public_numbers()
            jwk = {
                "kty": "EC",
                "crv": "P-256",
                "x": _b64(numbers.x.to_bytes(32, "big")),
                "y": _b64(numbers.y.to_bytes(32, "big")),
            }
        elif isinstance(public, rsa.RSAPublicKey):
            numbers_rsa = public.public_numbers()
            jwk = {
                "kty": "RSA",
                "n": _b64(numbers_rsa.n.to_bytes((numbers_rsa.n.bit_length() + 7) // 8, "big")),
                "e": _b64(numbers_rsa.e.to_bytes(3, "big")),
            }
        else:
            from cryptography.hazmat.primitives import serialization

            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw)}
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def sign(self, data: bytes) -> bytes:
        key = self._key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return key.sign(data)
