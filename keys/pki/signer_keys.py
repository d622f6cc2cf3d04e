"""Let ``cryptography``'s X.509 builders sign through the :class:`~keys.signer.Signer` port.

``CertificateBuilder.sign``, ``CertificateRevocationListBuilder.sign``,
``OCSPResponseBuilder.sign`` and ``CertificateSigningRequestBuilder.sign`` call the
``sign`` method of whatever private-key object they are given (the pattern pyca
recommends for HSM and KMS keys, pyca/cryptography#11616). The adapters below
implement the key interfaces by delegating to a Signer, so a CA key held in an HSM
later needs no change here. The private half can never be exported through them.

The Signer port returns JOSE wire signatures (raw ``r || s`` for ECDSA); X.509 and
CMS want DER, so :func:`x509_signature` converts.
"""

from __future__ import annotations

from typing import Final
from typing import NoReturn

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric import utils as asym_utils
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.utils import Buffer

from keys.pki.errors import UnsupportedKeyAlgorithm
from keys.signer import Signer

__all__ = [
    "SUPPORTED_ALGORITHMS",
    "cms_signature_mechanism",
    "issuer_key",
    "signature_hash",
    "x509_signature",
]

SUPPORTED_ALGORITHMS: Final = frozenset({"ES256", "RS256", "EdDSA"})

_ES256_HALF: Final = 32


def signature_hash(signer: Signer) -> hashes.SHA256 | None:
    """The hash a builder must be given for ``signer`` (``None`` for EdDSA)."""
    _check_supported(signer)
    return None if signer.alg == "EdDSA" else hashes.SHA256()


def cms_signature_mechanism(signer: Signer) -> str:
    """The asn1crypto name of the CMS ``signatureAlgorithm`` for ``signer``."""
    _check_supported(signer)
    return {"ES256": "sha256_ecdsa", "RS256": "sha256_rsa", "EdDSA": "ed25519"}[signer.alg]


def x509_signature(signer: Signer, data: bytes) -> bytes:
    """Sign ``data`` and return the signature as X.509 and CMS encode it.

    ECDSA signatures become a DER ``Ecdsa-Sig-Value`` (RFC 5480, section 2.2);
    RSA and Ed25519 signatures are already in the right form.
    """
    _check_supported(signer)
    raw = signer.sign(data)
    if signer.alg != "ES256":
        return raw
    if len(raw) != 2 * _ES256_HALF:
        raise UnsupportedKeyAlgorithm(
            detail=f"ES256 signer {signer.kid} returned {len(raw)} bytes, expected 64"
        )
    r = int.from_bytes(raw[:_ES256_HALF], "big")
    s = int.from_bytes(raw[_ES256_HALF:], "big")
    return asym_utils.encode_dss_signature(r, s)


def issuer_key(signer: Signer) -> CertificateIssuerPrivateKeyTypes:
    """Wrap ``signer`` as the private-key object ``cryptography``'s builders expect."""
    _check_supported(signer)
    public = signer.public_key()
    if signer.alg == "ES256":
        if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(
            public.curve, ec.SECP256R1
        ):
            raise UnsupportedKeyAlgorithm(detail=f"{signer.kid}: ES256 needs a P-256 key")
        return _ES256IssuerKey(signer, public)
    if signer.alg == "RS256":
        if not isinstance(public, rsa.RSAPublicKey):
            raise UnsupportedKeyAlgorithm(detail=f"{signer.kid}: RS256 needs an RSA key")
        return _RS256IssuerKey(signer, public)
    if not isinstance(public, ed25519.Ed25519PublicKey):
        raise UnsupportedKeyAlgorithm(detail=f"{signer.kid}: EdDSA needs an Ed25519 key")
    return _Ed25519IssuerKey(signer, public)


def _check_supported(signer: Signer) -> None:
    if signer.alg not in SUPPORTED_ALGORITHMS:
        raise UnsupportedKeyAlgorithm(detail=f"{signer.kid}: algorithm {signer.alg!r}")


def _not_exportable() -> NoReturn:
    raise TypeError("the private half of a Signer-backed key cannot be exported or used")


def _require_sha256(algorithm: object) -> None:
    if isinstance(algorithm, asym_utils.Prehashed) or not isinstance(algorithm, hashes.SHA256):
        raise UnsupportedKeyAlgorithm(detail=f"this key signs with SHA-256 only, got {algorithm!r}")


class _ES256IssuerKey(ec.EllipticCurvePrivateKey):
    def __init__(self, signer: Signer, public: ec.EllipticCurvePublicKey) -> None:
        self._signer = signer
        self._public = public

    @property
    def curve(self) -> ec.EllipticCurve:
        return self._public.curve

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public

    def sign(self, data: Buffer, signature_algorithm: ec.EllipticCurveSignatureAlgorithm) -> bytes:
        if not isinstance(signature_algorithm, ec.ECDSA):
            raise UnsupportedKeyAlgorithm(detail=f"not ECDSA: {signature_algorithm!r}")
        _require_sha256(signature_algorithm.algorithm)
        return x509_signature(self._signer, bytes(data))

    def exchange(self, algorithm: ec.ECDH, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        _not_exportable()

    def private_numbers(self) -> ec.EllipticCurvePrivateNumbers:
        _not_exportable()

    def private_bytes(
        self,
        encoding: serialization.Encoding,
        format: serialization.PrivateFormat,
        encryption_algorithm: serialization.KeySerializationEncryption,
    ) -> bytes:
        _not_exportable()

    def __copy__(self) -> _ES256IssuerKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> _ES256IssuerKey:
        return self


class _RS256IssuerKey(rsa.RSAPrivateKey):
    def __init__(self, signer: Signer, public: rsa.RSAPublicKey) -> None:
        self._signer = signer
        self._public = public

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public

    def sign(
        self,
        data: bytes,
        padding: rsa_padding.AsymmetricPadding,
        algorithm: asym_utils.Prehashed | hashes.HashAlgorithm | asym_utils.NoDigestInfo,
    ) -> bytes:
        if not isinstance(padding, rsa_padding.PKCS1v15):
            raise UnsupportedKeyAlgorithm(detail=f"RS256 signs with PKCS#1 v1.5, not {padding!r}")
        _require_sha256(algorithm)
        return x509_signature(self._signer, data)

    def decrypt(self, ciphertext: bytes, padding: rsa_padding.AsymmetricPadding) -> bytes:
        _not_exportable()

    def private_numbers(self) -> rsa.RSAPrivateNumbers:
        _not_exportable()

    def private_bytes(
        self,
        encoding: serialization.Encoding,
        format: serialization.PrivateFormat,
        encryption_algorithm: serialization.KeySerializationEncryption,
    ) -> bytes:
        _not_exportable()

    def __copy__(self) -> _RS256IssuerKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> _RS256IssuerKey:
        return self


class _Ed25519IssuerKey(ed25519.Ed25519PrivateKey):
    def __init__(self, signer: Signer, public: ed25519.Ed25519PublicKey) -> None:
        self._signer = signer
        self._public = public

    def public_key(self) -> ed25519.Ed25519PublicKey:
        return self._public

    def sign(self, data: Buffer) -> bytes:
        return x509_signature(self._signer, bytes(data))

    def private_bytes(
        self,
        encoding: serialization.Encoding,
        format: serialization.PrivateFormat,
        encryption_algorithm: serialization.KeySerializationEncryption,
    ) -> bytes:
        _not_exportable()

    def private_bytes_raw(self) -> bytes:
        _not_exportable()

    def __copy__(self) -> _Ed25519IssuerKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> _Ed25519IssuerKey:
        return self
