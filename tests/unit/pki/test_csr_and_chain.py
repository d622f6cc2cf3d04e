"""CSRs for externally certified seal keys, and importing the chain the external CA returns."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from openssl_tool import openssl
from openssl_tool import requires_openssl
from pki_support import NOW
from pki_support import SoftwareSigner

from keys.pki import CertificateAuthority
from keys.pki import ChainInvalid
from keys.pki import InternalPKI
from keys.pki import PublicationPoints
from keys.pki import SealSubject
from keys.pki import bootstrap_internal_pki
from keys.pki import build_seal_csr
from keys.pki import import_chain
from keys.pki import issue_seal_certificate

SUBJECT = SealSubject(
    department="杭州市行政审批局",
    seal_name="杭州市行政审批局行政审批专用章",
    province="浙江省",
    locality="杭州市",
)
PEM = serialization.Encoding.PEM


def _pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(PEM) for c in certificates)


@pytest.fixture(scope="module")
def seal_key() -> SoftwareSigner:
    return SoftwareSigner.generate(kid="seal")


@pytest.fixture(scope="module")
def seal_certificate(pki: InternalPKI, seal_key: SoftwareSigner) -> x509.Certificate:
    return issue_seal_certificate(pki.issuing, seal_key.public_key(), SUBJECT, now=NOW)


def test_csr_is_signed_by_the_seal_key(seal_key: SoftwareSigner) -> None:
    csr = x509.load_pem_x509_csr(build_seal_csr(seal_key, SUBJECT))
    assert csr.is_signature_valid
    assert csr.public_key() == seal_key.public_key()
    assert csr.subject.get_attributes_for_oid(NameOID.LOCALITY_NAME)[0].value == "杭州市"
    usage = csr.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.content_commitment


@requires_openssl
def test_openssl_verifies_the_csr(seal_key: SoftwareSigner, tmp_path: Path) -> None:
    (tmp_path / "seal.csr").write_bytes(build_seal_csr(seal_key, SUBJECT))
    result = openssl("req", "-in", tmp_path / "seal.csr", "-noout", "-verify")
    assert result.returncode == 0, result.stderr
    assert "verify OK" in result.stderr + result.stdout


def test_chain_is_ordered_whatever_the_bundle_order(
    pki: InternalPKI, seal_key: SoftwareSigner, seal_certificate: x509.Certificate
) -> None:
    bundle = _pem(pki.root.certificate, seal_certificate, pki.issuing.certificate)
    chain = import_chain(bundle, public_key=seal_key.public_key(), now=NOW)
    assert chain.certificate == seal_certificate
    assert chain.intermediates == (pki.issuing.certificate,)
    assert chain.root == pki.root.certificate
    assert chain.all_certificates == (
        seal_certificate,
        pki.issuing.certificate,
        pki.root.certificate,
    )


def test_chain_without_root_and_single_der(
    pki: InternalPKI, seal_key: SoftwareSigner, seal_certificate: x509.Certificate
) -> None:
    chain = import_chain(
        _pem(seal_certificate, pki.issuing.certificate), public_key=seal_key.public_key(), now=NOW
    )
    assert chain.root is None
    assert chain.intermediates == (pki.issuing.certificate,)
    der = seal_certificate.public_bytes(serialization.Encoding.DER)
    alone = import_chain(der, public_key=seal_key.public_key(), now=NOW)
    assert alone.all_certificates == (seal_certificate,)


def test_the_chain_must_hold_the_seal_key(
    pki: InternalPKI, seal_certificate: x509.Certificate
) -> None:
    with pytest.raises(ChainInvalid, match="no certificate for this seal"):
        import_chain(
            _pem(seal_certificate), public_key=SoftwareSigner.generate().public_key(), now=NOW
        )


def test_expired_chain(
    pki: InternalPKI, seal_key: SoftwareSigner, seal_certificate: x509.Certificate
) -> None:
    with pytest.raises(ChainInvalid, match="not valid now"):
        import_chain(
            _pem(seal_certificate),
            public_key=seal_key.public_key(),
            now=NOW + timedelta(days=4 * 365),
        )


def test_a_forged_issuer_is_detected(
    pki: InternalPKI, seal_key: SoftwareSigner, seal_certificate: x509.Certificate
) -> None:
    # Another PKI with identical names: the seal certificate's signature does not verify under it.
    impostor = bootstrap_internal_pki(
        root_signer=SoftwareSigner.generate(),
        issuing_signer=SoftwareSigner.generate(),
        tsa_signer=SoftwareSigner.generate(),
        organization="浙江省大数据发展管理局",
        province="浙江省",
        base_url="https://tongban.example.gov.cn",
        now=NOW,
    )
    with pytest.raises(ChainInvalid, match="does not verify"):
        import_chain(
            _pem(seal_certificate, impostor.issuing.certificate),
            public_key=seal_key.public_key(),
            now=NOW,
        )


def test_unrelated_certificates_are_refused(
    pki: InternalPKI, seal_key: SoftwareSigner, seal_certificate: x509.Certificate
) -> None:
    with pytest.raises(ChainInvalid, match="not part of the chain"):
        import_chain(
            _pem(seal_certificate, pki.tsa.certificate), public_key=seal_key.public_key(), now=NOW
        )


def test_a_ca_certificate_is_not_a_seal(pki: InternalPKI) -> None:
    with pytest.raises(ChainInvalid, match="CA certificate"):
        import_chain(
            _pem(pki.issuing.certificate), public_key=pki.issuing.signer.public_key(), now=NOW
        )


def test_an_end_entity_cannot_issue(
    pki: InternalPKI, seal_key: SoftwareSigner, seal_certificate: x509.Certificate
) -> None:
    # A certificate "issued" by the seal certificate's key: the seal is no CA.
    other = SoftwareSigner.generate()
    fake_ca = CertificateAuthority(
        seal_certificate, seal_key, PublicationPoints("https://x/ca.crt", "https://x/ca.crl")
    )
    leaf = issue_seal_certificate(
        fake_ca, other.public_key(), SealSubject("某部门", "某部门章"), now=NOW
    )
    with pytest.raises(ChainInvalid, match="not a CA"):
        import_chain(_pem(leaf, seal_certificate), public_key=other.public_key(), now=NOW)


@pytest.mark.parametrize(
    "data", [b"", b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n", b"\x30\x00"]
)
def test_unreadable_bundles(data: bytes) -> None:
    with pytest.raises(ChainInvalid):
        import_chain(data, public_key=SoftwareSigner.generate().public_key(), now=NOW)
