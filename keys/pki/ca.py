"""The internal certification authority: an offline-style root and an issuing CA.

The root signs only the issuing CA (and its own CRL); the issuing CA signs seal, TSA
and OCSP-responder certificates. Both keys are :class:`~keys.signer.Signer` objects,
so they may live in the software key store now and in an HSM later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import AuthorityInformationAccessOID

from keys.pki.errors import KeyMismatch
from keys.pki.errors import PKIError
from keys.pki.names import AuthorityName
from keys.pki.signer_keys import issuer_key
from keys.pki.signer_keys import signature_hash
from keys.signer import Signer

__all__ = [
    "CertificateAuthority",
    "PublicationPoints",
    "certifiable_public_key",
    "create_issuing_ca",
    "create_root_ca",
    "public_key_der",
    "sign_certificate",
]

ROOT_VALIDITY = timedelta(days=20 * 365)
ISSUING_CA_VALIDITY = timedelta(days=10 * 365)


@dataclass(frozen=True)
class PublicationPoints:
    """Where relying parties fetch what a CA publishes about the certificates it signs.

    :param ca_issuers_url: the CA's own certificate (AIA ``caIssuers``, RFC 5280 4.2.2.1)
    :param crl_url: the CA's CRL (``cRLDistributionPoints``, RFC 5280 4.2.1.13)
    :param ocsp_url: the OCSP responder (AIA ``id-ad-ocsp``), if the CA runs one
    """

    ca_issuers_url: str
    crl_url: str
    ocsp_url: str | None = None

    def __post_init__(self) -> None:
        for url in (self.ca_issuers_url, self.crl_url, self.ocsp_url):
            if url is not None and not url.startswith(("http://", "https://")):
                raise PKIError("Publication URLs must be http(s) URLs.", detail=url)

    def extensions(self) -> list[x509.Extension[x509.ExtensionType]]:
        """The AIA and CRL distribution point extensions for a certificate this CA signs."""
        access = [
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(self.ca_issuers_url),
            )
        ]
        if self.ocsp_url is not None:
            access.insert(
                0,
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP,
                    x509.UniformResourceIdentifier(self.ocsp_url),
                ),
            )
        aia = x509.AuthorityInformationAccess(access)
        cdp = x509.CRLDistributionPoints(
            [
                x509.DistributionPoint(
                    full_name=[x509.UniformResourceIdentifier(self.crl_url)],
                    relative_name=None,
                    reasons=None,
                    crl_issuer=None,
                )
            ]
        )
        return [
            x509.Extension(aia.oid, False, aia),
            x509.Extension(cdp.oid, False, cdp),
        ]


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA able to sign: its certificate, the Signer holding its key, where it publishes."""

    certificate: x509.Certificate
    signer: Signer
    publication: PublicationPoints

    def __post_init__(self) -> None:
        if public_key_der(self.certificate.public_key()) != public_key_der(
            self.signer.public_key()
        ):
            raise KeyMismatch(detail=f"CA certificate does not match key {self.signer.kid}")

    @property
    def name(self) -> x509.Name:
        """The CA's subject, i.e. the issuer of what it signs."""
        return self.certificate.subject


def create_root_ca(
    signer: Signer,
    name: AuthorityName,
    *,
    now: datetime,
    validity: timedelta = ROOT_VALIDITY,
) -> x509.Certificate:
    """Self-sign a root CA certificate for ``signer``'s key.

    The root is meant to stay offline: it signs the issuing CA and its own CRL, nothing
    else, so its path length is limited to one intermediate.
    """
    subject = name.to_x509()
    public = signer.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(certifiable_public_key(public))
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(certifiable_public_key(public)),
            critical=False,
        )
    )
    return builder.sign(issuer_key(signer), signature_hash(signer))


def create_issuing_ca(
    root: CertificateAuthority,
    signer: Signer,
    name: AuthorityName,
    *,
    now: datetime,
    validity: timedelta = ISSUING_CA_VALIDITY,
) -> x509.Certificate:
    """Have ``root`` certify ``signer``'s key as the issuing CA (path length 0)."""
    public = certifiable_public_key(signer.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(name.to_x509())
        .public_key(public)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    return sign_certificate(root, builder, now=now, validity=validity)


def sign_certificate(
    ca: CertificateAuthority,
    builder: x509.CertificateBuilder,
    *,
    now: datetime,
    validity: timedelta,
) -> x509.Certificate:
    """Complete ``builder`` (issuer, serial, dates, AKI, AIA, CDP) and sign it as ``ca``.

    The validity never outlasts the CA's own certificate.
    """
    not_after = min(now + validity, ca.certificate.not_valid_after_utc)
    if not_after <= now:
        raise PKIError("The CA certificate has expired.", detail=str(ca.name))
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    builder = (
        builder.issuer_name(ca.name)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(not_after)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
            critical=False,
        )
    )
    for extension in ca.publication.extensions():
        builder = builder.add_extension(extension.value, critical=extension.critical)
    return builder.sign(issuer_key(ca.signer), signature_hash(ca.signer))


def public_key_der(key: object) -> bytes:
    """The DER SubjectPublicKeyInfo of a ``cryptography`` public key, for comparisons."""
    return certifiable_public_key(key).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def certifiable_public_key(key: object) -> CertificatePublicKeyTypes:
    """Narrow ``key`` to the public-key types the PKI certifies (P-256, RSA, Ed25519)."""
    if isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        return key
    raise PKIError("The key type cannot be certified.", detail=type(key).__name__)


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
