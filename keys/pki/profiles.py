"""End-entity certificate profiles the issuing CA signs: seals, the TSA, the OCSP responder."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID

from keys.pki.ca import CertificateAuthority
from keys.pki.ca import certifiable_public_key
from keys.pki.ca import sign_certificate
from keys.pki.names import AuthorityName
from keys.pki.names import SealSubject

__all__ = [
    "SEAL_VALIDITY",
    "issue_ocsp_responder_certificate",
    "issue_seal_certificate",
    "issue_tsa_certificate",
]

SEAL_VALIDITY = timedelta(days=3 * 365)
TSA_VALIDITY = timedelta(days=6 * 365)
OCSP_RESPONDER_VALIDITY = timedelta(days=90)


def issue_seal_certificate(
    ca: CertificateAuthority,
    public_key: PublicKeyTypes,
    subject: SealSubject,
    *,
    now: datetime,
    validity: timedelta = SEAL_VALIDITY,
) -> x509.Certificate:
    """Certify a seal's key for signing documents.

    Key usage is ``digitalSignature`` + ``nonRepudiation`` (``contentCommitment``),
    critical, as ETSI EN 319 412-2 asks of certificates for e-seals. There is no
    extended key usage: NSS-based validators (poppler's ``pdfsig``) then accept the
    certificate for document signatures, and Adobe needs none.
    """
    return sign_certificate(
        ca,
        _end_entity(public_key, subject.to_x509(), _key_usage(non_repudiation=True)),
        now=now,
        validity=validity,
    )


def issue_tsa_certificate(
    ca: CertificateAuthority,
    public_key: PublicKeyTypes,
    name: AuthorityName,
    *,
    now: datetime,
    validity: timedelta = TSA_VALIDITY,
) -> x509.Certificate:
    """Certify the timestamp authority's key (RFC 3161, section 2.3: critical timeStamping)."""
    builder = _end_entity(public_key, name.to_x509(), _key_usage(non_repudiation=True))
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
    )
    return sign_certificate(ca, builder, now=now, validity=validity)


def issue_ocsp_responder_certificate(
    ca: CertificateAuthority,
    public_key: PublicKeyTypes,
    name: AuthorityName,
    *,
    now: datetime,
    validity: timedelta = OCSP_RESPONDER_VALIDITY,
) -> x509.Certificate:
    """Certify a delegated OCSP responder (RFC 6960, section 4.2.2.2).

    The certificate carries ``id-pkix-ocsp-nocheck``, so it is short-lived instead of
    being checked for revocation itself.
    """
    builder = _end_entity(public_key, name.to_x509(), _key_usage(non_repudiation=False))
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=True
    ).add_extension(x509.OCSPNoCheck(), critical=False)
    return sign_certificate(ca, builder, now=now, validity=validity)


def _end_entity(
    public_key: PublicKeyTypes, subject: x509.Name, key_usage: x509.KeyUsage
) -> x509.CertificateBuilder:
    public = certifiable_public_key(public_key)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .public_key(public)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def _key_usage(*, non_repudiation: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
