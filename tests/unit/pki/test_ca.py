"""Root and issuing CA certificates, and the end-entity profiles the issuing CA signs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID
from pki_support import NOW
from pki_support import SoftwareSigner

from keys.pki import AuthorityName
from keys.pki import CertificateAuthority
from keys.pki import InternalPKI
from keys.pki import KeyMismatch
from keys.pki import NameInvalid
from keys.pki import PKIError
from keys.pki import PublicationPoints
from keys.pki import SealSubject
from keys.pki import issue_ocsp_responder_certificate
from keys.pki import issue_seal_certificate

SUBJECT = SealSubject(
    department="浙江省市场监督管理局",
    seal_name="浙江省市场监督管理局行政审批专用章",
    seal_code="3300000012345",
    credit_code="11330000002482476U",
    province="浙江省",
)


def _ext(certificate: x509.Certificate, kind: type) -> x509.Extension:  # type: ignore[type-arg]
    return certificate.extensions.get_extension_for_class(kind)


def test_root_is_self_signed_ca_limited_to_one_intermediate(pki: InternalPKI) -> None:
    root = pki.root.certificate
    root.verify_directly_issued_by(root)
    constraints = _ext(root, x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    assert constraints.value.path_length == 1
    usage = _ext(root, x509.KeyUsage).value
    assert usage.key_cert_sign
    assert usage.crl_sign


def test_issuing_ca_is_signed_by_root_and_points_back(pki: InternalPKI) -> None:
    issuing = pki.issuing.certificate
    issuing.verify_directly_issued_by(pki.root.certificate)
    assert _ext(issuing, x509.BasicConstraints).value.path_length == 0
    aia = _ext(issuing, x509.AuthorityInformationAccess).value
    assert [d.access_location.value for d in aia] == ["https://tongban.example.gov.cn/pki/root.crt"]
    cdp = _ext(issuing, x509.CRLDistributionPoints).value
    assert cdp[0].full_name[0].value == "https://tongban.example.gov.cn/pki/root.crl"
    aki = _ext(issuing, x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == _ext(pki.root.certificate, x509.SubjectKeyIdentifier).value.digest


def test_seal_certificate_profile(pki: InternalPKI) -> None:
    seal_key = SoftwareSigner.generate()
    certificate = issue_seal_certificate(pki.issuing, seal_key.public_key(), SUBJECT, now=NOW)
    certificate.verify_directly_issued_by(pki.issuing.certificate)

    subject = certificate.subject
    assert (
        subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "浙江省市场监督管理局"
    )
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == SUBJECT.seal_name
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "3300000012345"
    assert (
        subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value
        == "11330000002482476U"
    )

    usage = _ext(certificate, x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert not _ext(certificate, x509.BasicConstraints).value.ca
    aia = {
        d.access_method: d.access_location.value
        for d in _ext(certificate, x509.AuthorityInformationAccess).value
    }
    assert aia == {
        AuthorityInformationAccessOID.OCSP: "https://tongban.example.gov.cn/pki/ocsp",
        AuthorityInformationAccessOID.CA_ISSUERS: "https://tongban.example.gov.cn/pki/issuing.crt",
    }
    cdp = _ext(certificate, x509.CRLDistributionPoints).value
    assert cdp[0].full_name[0].value == "https://tongban.example.gov.cn/pki/issuing.crl"
    with pytest.raises(x509.ExtensionNotFound):
        _ext(certificate, x509.ExtendedKeyUsage)


def test_seal_validity_never_outlasts_the_issuer(pki: InternalPKI) -> None:
    certificate = issue_seal_certificate(
        pki.issuing,
        SoftwareSigner.generate().public_key(),
        SUBJECT,
        now=NOW,
        validity=timedelta(days=100 * 365),
    )
    assert certificate.not_valid_after_utc == pki.issuing.certificate.not_valid_after_utc


def test_an_expired_ca_cannot_sign(pki: InternalPKI) -> None:
    later = pki.issuing.certificate.not_valid_after_utc + timedelta(days=1)
    with pytest.raises(PKIError, match="expired"):
        issue_seal_certificate(
            pki.issuing, SoftwareSigner.generate().public_key(), SUBJECT, now=later
        )


def test_tsa_certificate_is_for_timestamping_only(pki: InternalPKI) -> None:
    eku = _ext(pki.tsa.certificate, x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_ocsp_responder_certificate_has_nocheck(pki: InternalPKI) -> None:
    certificate = issue_ocsp_responder_certificate(
        pki.issuing,
        SoftwareSigner.generate().public_key(),
        AuthorityName("Tongban OCSP", "浙江省大数据发展管理局"),
        now=NOW,
    )
    assert list(_ext(certificate, x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.OCSP_SIGNING
    ]
    _ext(certificate, x509.OCSPNoCheck)
    assert certificate.not_valid_after_utc - NOW == timedelta(days=90)


def test_a_ca_must_hold_the_key_of_its_certificate(pki: InternalPKI) -> None:
    with pytest.raises(KeyMismatch):
        CertificateAuthority(
            pki.issuing.certificate, SoftwareSigner.generate(), pki.issuing.publication
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("department", ""),
        ("department", " 浙江省 "),
        ("seal_name", "章" * 65),
        ("seal_code", "33-00"),
        ("credit_code", "12345"),
        ("credit_code", "11330000002482476I"),
        ("country", "China"),
        ("locality", "杭州\n市"),
    ],
)
def test_invalid_seal_subjects_are_refused(field: str, value: str) -> None:
    fields = {"department": "浙江省市场监督管理局", "seal_name": "行政审批专用章", field: value}
    with pytest.raises(NameInvalid):
        SealSubject(**fields)


def test_publication_urls_must_be_http() -> None:
    with pytest.raises(PKIError):
        PublicationPoints(ca_issuers_url="ldap://x/ca", crl_url="https://x/crl")
