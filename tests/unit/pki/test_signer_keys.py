"""The Signer-to-cryptography key adapters used by every X.509 builder."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from pki_support import NOW
from pki_support import SoftwareSigner

from keys.pki.errors import UnsupportedKeyAlgorithm
from keys.pki.signer_keys import cms_signature_mechanism
from keys.pki.signer_keys import issuer_key
from keys.pki.signer_keys import signature_hash
from keys.pki.signer_keys import x509_signature


def _self_signed(signer: SoftwareSigner) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "adapter test")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signer.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .sign(issuer_key(signer), signature_hash(signer))
    )


@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_builders_sign_through_the_signer(alg: str) -> None:
    signer = SoftwareSigner.generate(alg)
    certificate = _self_signed(signer)
    certificate.verify_directly_issued_by(certificate)
    assert certificate.public_key() == signer.public_key()


def test_es256_raw_signature_becomes_der() -> None:
    signer = SoftwareSigner.generate("ES256")
    der = x509_signature(signer, b"approval")
    r, s = decode_dss_signature(der)
    assert r > 0
    assert s > 0
    signer.public_key().verify(der, b"approval", ec.ECDSA(hashes.SHA256()))


def test_rs256_signature_is_passed_through() -> None:
    signer = SoftwareSigner.generate("RS256")
    signature = x509_signature(signer, b"approval")
    signer.public_key().verify(signature, b"approval", padding.PKCS1v15(), hashes.SHA256())


def test_cms_mechanisms_follow_the_algorithm() -> None:
    assert cms_signature_mechanism(SoftwareSigner.generate("ES256")) == "sha256_ecdsa"
    assert cms_signature_mechanism(SoftwareSigner.generate("EdDSA")) == "ed25519"
    assert signature_hash(SoftwareSigner.generate("EdDSA")) is None


def test_other_hashes_are_refused() -> None:
    key = issuer_key(SoftwareSigner.generate("ES256"))
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    with pytest.raises(UnsupportedKeyAlgorithm):
        key.sign(b"data", ec.ECDSA(hashes.SHA384()))


def test_private_half_cannot_be_exported() -> None:
    key = issuer_key(SoftwareSigner.generate("ES256"))
    with pytest.raises(TypeError, match="cannot be exported"):
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    assert copy.deepcopy(key) is key


class _Truncating(SoftwareSigner):
    def sign(self, data: bytes) -> bytes:
        return super().sign(data)[:63]


def test_a_short_es256_signature_is_an_error() -> None:
    signer = SoftwareSigner.generate("ES256")
    broken = _Truncating(signer._key, "broken")
    with pytest.raises(UnsupportedKeyAlgorithm):
        x509_signature(broken, b"data")


class _UnknownAlg(SoftwareSigner):
    @property
    def alg(self) -> str:
        return "PS512"


def test_unknown_algorithms_are_refused() -> None:
    signer = _UnknownAlg(SoftwareSigner.generate("RS256")._key, "pss")
    with pytest.raises(UnsupportedKeyAlgorithm):
        issuer_key(signer)
