"""Stand up the whole internal PKI at once: root, issuing CA and TSA (``tongban ca init``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from keys.pki.ca import CertificateAuthority
from keys.pki.ca import PublicationPoints
from keys.pki.ca import create_issuing_ca
from keys.pki.ca import create_root_ca
from keys.pki.names import AuthorityName
from keys.pki.ocsp import OCSPResponder
from keys.pki.profiles import issue_tsa_certificate
from keys.pki.tsa import TimestampAuthority
from keys.signer import Signer

__all__ = ["InternalPKI", "bootstrap_internal_pki", "publication_under"]


@dataclass(frozen=True)
class InternalPKI:
    """The running parts of Tongban's own PKI."""

    root: CertificateAuthority
    issuing: CertificateAuthority
    tsa: TimestampAuthority

    @property
    def ocsp_responder(self) -> OCSPResponder:
        """The issuing CA answering OCSP for the certificates it signed."""
        return OCSPResponder.by_ca(self.issuing)


def publication_under(base_url: str) -> tuple[PublicationPoints, PublicationPoints]:
    """The publication points of the root and the issuing CA below one base URL.

    ``{base}/pki/root.crt`` and ``root.crl``; ``{base}/pki/issuing.crt``,
    ``issuing.crl`` and the OCSP responder at ``{base}/pki/ocsp``.
    """
    base = base_url.rstrip("/") + "/pki/"
    root = PublicationPoints(ca_issuers_url=base + "root.crt", crl_url=base + "root.crl")
    issuing = PublicationPoints(
        ca_issuers_url=base + "issuing.crt", crl_url=base + "issuing.crl", ocsp_url=base + "ocsp"
    )
    return root, issuing


def bootstrap_internal_pki(
    *,
    root_signer: Signer,
    issuing_signer: Signer,
    tsa_signer: Signer,
    organization: str,
    base_url: str,
    now: datetime,
    province: str | None = None,
) -> InternalPKI:
    """Create the root and issuing CA certificates and certify the TSA, as of ``now``."""
    root_points, issuing_points = publication_under(base_url)

    def name(common_name: str) -> AuthorityName:
        return AuthorityName(common_name, organization, province=province)

    root_certificate = create_root_ca(root_signer, name("Tongban Root CA"), now=now)
    root = CertificateAuthority(root_certificate, root_signer, root_points)
    issuing_certificate = create_issuing_ca(root, issuing_signer, name("Tongban Seal CA"), now=now)
    issuing = CertificateAuthority(issuing_certificate, issuing_signer, issuing_points)
    tsa_certificate = issue_tsa_certificate(
        issuing, tsa_signer.public_key(), name("Tongban Timestamp Authority"), now=now
    )
    tsa = TimestampAuthority(
        certificate=tsa_certificate, signer=tsa_signer, chain=(issuing_certificate,)
    )
    return InternalPKI(root=root, issuing=issuing, tsa=tsa)
