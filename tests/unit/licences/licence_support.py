"""Test helpers for ``licences``: a software Signer, fixed keys and the example licence.

The real key store lives in ``keys/``; these tests only need something that satisfies the
:class:`keys.signer.Signer` port.
"""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from licences.codec import LicenceClaims
from licences.codec import StatusReference
from licences.public_keys import Issuer
from licences.public_keys import TrustedKey
from licences.public_keys import b64url_decode
from licences.public_keys import public_key_to_jwk
from licences.record_digest import record_digest

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "licences"

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


class SoftwareSigner:
    """An in-memory :class:`keys.signer.Signer` for tests."""

    def __init__(self, private_key: PrivateKey, kid: str, alg: str) -> None:
        self._key = private_key
        self._kid = kid
        self._alg = alg

    @property
    def kid(self) -> str:
        return self._kid

    @property
    def alg(self) -> str:
        return self._alg

    def public_key(self) -> PublicKeyTypes:
        return self._key.public_key()

    def public_jwk(self) -> dict[str, Any]:
        return {**public_key_to_jwk(self.public_key()), "kid": self._kid, "alg": self._alg}

    def sign(self, data: bytes) -> bytes:
        key = self._key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def signer_from_private_jwk(jwk: dict[str, str]) -> SoftwareSigner:
    """A signer from a private JWK (EC P-256 or OKP Ed25519) with ``kid`` and ``alg``."""
    d = b64url_decode(jwk["d"])
    key: PrivateKey
    if jwk["kty"] == "EC":
        key = ec.derive_private_key(int.from_bytes(d, "big"), ec.SECP256R1())
    else:
        key = ed25519.Ed25519PrivateKey.from_private_bytes(d)
    return SoftwareSigner(key, jwk["kid"], jwk["alg"])


def load_vector(name: str) -> Any:
    """A JSON file from ``tests/vectors/licences``."""
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def fixed_signer(name: str) -> SoftwareSigner:
    """One of the fixed test keys in ``keys.json`` (public test keys: never use elsewhere)."""
    return signer_from_private_jwk(load_vector("keys.json")[name])


AMR_XIHU = Issuer(name="杭州市西湖区市场监督管理局", code="11330106MB1C586785")
OPERATOR = Issuer(name="浙江省政务服务通办平台", code="11330000MB0A43210C")
KEY_VALID_FROM = datetime(2025, 1, 1, tzinfo=UTC)
#: The validity of the retired key "licence-es256-retired" in the vectors.
RETIRED_FROM = datetime(2024, 1, 1, tzinfo=UTC)
RETIRED_UNTIL = datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)


def trusted_key(
    signer: SoftwareSigner,
    *,
    issuer: Issuer = AMR_XIHU,
    valid_from: datetime = KEY_VALID_FROM,
    valid_until: datetime | None = None,
) -> TrustedKey:
    """The trust-list entry for ``signer``'s public key."""
    public_key = signer.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey)
    return TrustedKey(signer.kid, signer.alg, public_key, issuer, valid_from, valid_until)


def example_licence() -> dict[str, Any]:
    """The example business licence document (record + credential inputs)."""
    result: dict[str, Any] = load_vector("business-licence.json")
    return result


def example_claims() -> LicenceClaims:
    """The QR claims of the example business licence."""
    example = example_licence()
    record, inputs = example["record"], example["credential"]
    return LicenceClaims(
        licence_id=record["licence_id"],
        holder_code=record["holder"]["uscc"],
        holder_name=record["holder"]["name"],
        not_before=datetime.fromisoformat(inputs["not_before"]),
        not_after=datetime.fromisoformat(inputs["not_after"]),
        issued_at=datetime.fromisoformat(inputs["issued_at"]),
        record_digest=record_digest(record),
        status=StatusReference(index=inputs["status_index"], uri=inputs["status_uri"]),
    )
