"""Certificate revocation lists (RFC 5280, section 5) signed by a CA."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from keys.pki.ca import CertificateAuthority
from keys.pki.errors import PKIError
from keys.pki.signer_keys import issuer_key
from keys.pki.signer_keys import signature_hash

__all__ = ["CRL_VALIDITY", "RevocationReason", "RevokedCertificate", "build_crl"]

CRL_VALIDITY = timedelta(days=7)


class RevocationReason(enum.Enum):
    """The CRLReason codes a seal or CA certificate may be revoked for (RFC 5280, 5.3.1)."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    CA_COMPROMISE = "ca_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"

    def to_x509(self) -> x509.ReasonFlags:
        """The matching ``cryptography`` reason flag."""
        return x509.ReasonFlags[self.value]


@dataclass(frozen=True)
class RevokedCertificate:
    """One entry of a CRL, and the revocation record an OCSP answer is built from.

    :param invalidity_date: when the key is known or suspected to have become unsafe,
        if earlier than ``revoked_at`` (RFC 5280, 5.3.2)
    """

    serial_number: int
    revoked_at: datetime
    reason: RevocationReason = RevocationReason.UNSPECIFIED
    invalidity_date: datetime | None = None

    def __post_init__(self) -> None:
        if self.revoked_at.tzinfo is None:
            raise PKIError("Revocation times must be timezone-aware.")
        if self.invalidity_date is not None and self.invalidity_date > self.revoked_at:
            raise PKIError("The invalidity date cannot follow the revocation.")


def build_crl(
    ca: CertificateAuthority,
    revoked: Iterable[RevokedCertificate],
    *,
    crl_number: int,
    now: datetime,
    validity: timedelta = CRL_VALIDITY,
) -> bytes:
    """Build and sign a full CRL as of ``now``; returns DER.

    ``crl_number`` must grow with every CRL the CA issues (RFC 5280, 5.2.3); the caller
    keeps the counter. Entries revoked after ``now`` are not listed yet.
    """
    if crl_number < 0:
        raise PKIError("The CRL number must not be negative.")
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.name)
        .last_update(now)
        .next_update(now + validity)
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
            critical=False,
        )
    )
    for entry in sorted(revoked, key=lambda e: e.serial_number):
        if entry.revoked_at > now:
            continue
        builder = builder.add_revoked_certificate(_crl_entry(entry))
    crl = builder.sign(issuer_key(ca.signer), signature_hash(ca.signer))
    return crl.public_bytes(serialization.Encoding.DER)


def _crl_entry(entry: RevokedCertificate) -> x509.RevokedCertificate:
    builder = (
        x509.RevokedCertificateBuilder()
        .serial_number(entry.serial_number)
        .revocation_date(entry.revoked_at)
    )
    if entry.reason is not RevocationReason.UNSPECIFIED:
        builder = builder.add_extension(x509.CRLReason(entry.reason.to_x509()), critical=False)
    if entry.invalidity_date is not None:
        builder = builder.add_extension(
            x509.InvalidityDate(entry.invalidity_date.astimezone(UTC).replace(tzinfo=None)),
            critical=False,
        )
    return builder.build()
