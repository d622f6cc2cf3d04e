"""Tongban's internal PKI: CA, seal certificates, CRL, OCSP, TSA, CSRs and chain import.

Everything here is pure: functions take a :class:`~keys.signer.Signer`, dataclasses and
bytes, take the time as ``now``, and return certificates, dataclasses or DER bytes.
Persistence and HTTP endpoints live elsewhere.
"""

from keys.pki import asn1_fix
from keys.pki.bootstrap import InternalPKI
from keys.pki.bootstrap import bootstrap_internal_pki
from keys.pki.bootstrap import publication_under
from keys.pki.ca import CertificateAuthority
from keys.pki.ca import PublicationPoints
from keys.pki.ca import create_issuing_ca
from keys.pki.ca import create_root_ca
from keys.pki.chain import SealCertificateChain
from keys.pki.chain import import_chain
from keys.pki.crl import RevocationReason
from keys.pki.crl import RevokedCertificate
from keys.pki.crl import build_crl
from keys.pki.csr import build_seal_csr
from keys.pki.errors import ChainInvalid
from keys.pki.errors import KeyMismatch
from keys.pki.errors import NameInvalid
from keys.pki.errors import PKIError
from keys.pki.errors import UnsupportedKeyAlgorithm
from keys.pki.names import AuthorityName
from keys.pki.names import SealSubject
from keys.pki.ocsp import CertificateState
from keys.pki.ocsp import Good
from keys.pki.ocsp import OCSPResponder
from keys.pki.ocsp import Unknown
from keys.pki.ocsp import respond_ocsp
from keys.pki.profiles import issue_ocsp_responder_certificate
from keys.pki.profiles import issue_seal_certificate
from keys.pki.profiles import issue_tsa_certificate
from keys.pki.tsa import TimestampAuthority
from keys.pki.tsa import respond_timestamp

asn1_fix.apply()

__all__ = [
    "AuthorityName",
    "CertificateAuthority",
    "CertificateState",
    "ChainInvalid",
    "Good",
    "InternalPKI",
    "KeyMismatch",
    "NameInvalid",
    "OCSPResponder",
    "PKIError",
    "PublicationPoints",
    "RevocationReason",
    "RevokedCertificate",
    "SealCertificateChain",
    "SealSubject",
    "TimestampAuthority",
    "Unknown",
    "UnsupportedKeyAlgorithm",
    "bootstrap_internal_pki",
    "build_crl",
    "build_seal_csr",
    "create_issuing_ca",
    "create_root_ca",
    "import_chain",
    "issue_ocsp_responder_certificate",
    "issue_seal_certificate",
    "issue_tsa_certificate",
    "publication_under",
    "respond_ocsp",
    "respond_timestamp",
]
