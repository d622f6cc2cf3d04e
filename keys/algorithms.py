"""The signature algorithms Tongban uses, over ``cryptography`` key objects.

This is where ``cryptography``'s wide key union is narrowed once (pyca/cryptography
#8039), so the rest of ``keys/`` deals in three concrete types.
"""

from __future__ import annotations

from typing import Final
from typing import Literal
from typing import get_args

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from keys.errors import UnsupportedAlgorithm

Algorithm = Literal["ES256", "RS256", "EdDSA"]
ALGORITHMS: Final[tuple[Algorithm, ...]] = get_args(Algorithm)
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey

#: 2048 bits: acceptable through 2030 (NIST SP 800-57), and RS256 exists only for clients
#: that cannot do ES256; 3072 would triple the cost of every RS256 ID token.
RSA_BITS: Final = 2048
_P256_BYTES: Final = 32


def check_algorithm(alg: str) -> Algorithm:
    if alg not in ALGORITHMS:
        raise UnsupportedAlgorithm(f"unsupported algorithm {alg!r}; use one of {ALGORITHMS}")
    return alg


def generate_private_key(alg: str) -> PrivateKey:
    alg = check_algorithm(alg)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    return ed25519.Ed25519PrivateKey.generate()


def private_key_to_der(key: PrivateKey) -> bytes:
    """PKCS#8 DER, unencrypted: only ever handed to :func:`keys.envelope.seal`."""
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_from_der(der: bytes, alg: str) -> PrivateKey:
    """Load a PKCS#8 key and check it is of the type ``alg`` needs."""
    alg = check_algorithm(alg)
    key = serialization.load_der_private_key(der, password=None)
    if not _matches(key, alg):
        raise UnsupportedAlgorithm(f"stored key is a {type(key).__name__}, not usable for {alg}")
    return key  # type: ignore[return-value]


def narrow_public_key(key: PublicKeyTypes, alg: str) -> PublicKey:
    """Check that ``key`` suits ``alg`` and return it typed."""
    alg = check_algorithm(alg)
    if not _matches(key, alg):
        raise UnsupportedAlgorithm(f"a {type(key).__name__} cannot verify {alg}")
    return key  # type: ignore[return-value]


def sign_raw(key: PrivateKey, alg: str, data: bytes) -> bytes:
    """Sign in the JOSE/COSE wire form: ``r || s`` for ES256 (RFC 7518 §3.4)."""
    if alg == "ES256" and isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")
    if alg == "RS256" and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "EdDSA" and isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    raise UnsupportedAlgorithm(f"a {type(key).__name__} cannot sign {alg}")


def verify_raw(key: PublicKey, alg: str, signature: bytes, data: bytes) -> None:
    """Verify a wire-form signature; raise ``InvalidSignature`` when it does not hold."""
    if alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
        if len(signature) != 2 * _P256_BYTES:
            raise InvalidSignature("ES256 signature must be 64 bytes")
        r = int.from_bytes(signature[:_P256_BYTES], "big")
        s = int.from_bytes(signature[_P256_BYTES:], "big")
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    elif alg == "RS256" and isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, data)
    else:
        raise InvalidSignature(f"a {type(key).__name__} cannot verify {alg}")


def _matches(key: object, alg: Algorithm) -> bool:
    if alg == "ES256":
        return isinstance(
            key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey
        ) and isinstance(key.curve, ec.SECP256R1)
    if alg == "RS256":
        return isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey) and key.key_size >= 2048
    return isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey)
