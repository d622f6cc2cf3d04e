"""An OCSP responder (RFC 6960) as a pure function: request DER in, response DER out.

The responder answers for one CA. It signs either with the CA's own key or with a
delegated responder certificate issued by that CA (section 4.2.2.2). What it knows
about revocation comes from a lookup the caller passes in, so the same function
serves the HTTP endpoint and in-process callers that embed responses in PDFs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from keys.pki.ca import CertificateAuthority
from keys.pki.ca import public_key_der
from keys.pki.crl import RevokedCertificate
from keys.pki.errors import KeyMismatch
from keys.pki.signer_keys import issuer_key
from keys.pki.signer_keys import signature_hash
from keys.signer import Signer

__all__ = [
    "OCSP_RESPONSE_VALIDITY",
    "CertificateState",
    "Good",
    "OCSPResponder",
    "Unknown",
    "respond_ocsp",
]

OCSP_RESPONSE_VALIDITY = timedelta(days=1)


@dataclass(frozen=True)
class Good:
    """The CA issued the certificate and has not revoked it."""


@dataclass(frozen=True)
class Unknown:
    """The CA does not know this serial number."""


CertificateState = Good | Unknown | RevokedCertificate
"""What the lookup tells the responder about one serial number."""


@dataclass(frozen=True)
class OCSPResponder:
    """Who answers for ``ca``: the CA itself, or a delegated responder it certified.

    :param certificate: the responder's certificate (the CA certificate itself, or one
        with ``id-kp-OCSPSigning`` issued by it)
    :param signer: the key matching ``certificate``
    """

    ca_certificate: x509.Certificate
    certificate: x509.Certificate
    signer: Signer

    def __post_init__(self) -> None:
        if public_key_der(self.certificate.public_key()) != public_key_der(
            self.signer.public_key()
        ):
            raise KeyMismatch(detail=f"OCSP responder certificate vs key {self.signer.kid}")
        if self.certificate == self.ca_certificate:
            return
        try:
            self.certificate.verify_directly_issued_by(self.ca_certificate)
            usage = self.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound) as exc:
            raise KeyMismatch(
                "The OCSP responder is not certified by this CA.", detail=repr(exc)
            ) from exc
        if ExtendedKeyUsageOID.OCSP_SIGNING not in usage.value:
            raise KeyMismatch("The OCSP responder certificate lacks id-kp-OCSPSigning.")

    @classmethod
    def by_ca(cls, ca: CertificateAuthority) -> OCSPResponder:
        """The CA answers for itself with its own key."""
        return cls(ca.certificate, ca.certificate, ca.signer)


def respond_ocsp(
    responder: OCSPResponder,
    request_der: bytes,
    lookup: Callable[[int], CertificateState],
    *,
    now: datetime,
    validity: timedelta = OCSP_RESPONSE_VALIDITY,
) -> bytes:
    """Answer one OCSP request; returns the DER ``OCSPResponse``.

    A request that does not parse gets ``malformedRequest``; one about a certificate of
    another CA gets ``unauthorized`` (section 2.3). A nonce in the request is echoed.
    """
    try:
        request = ocsp.load_der_ocsp_request(request_der)
    except ValueError:
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    if not _asks_about(responder.ca_certificate, request):
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)

    state = lookup(request.serial_number)
    if isinstance(state, RevokedCertificate) and state.revoked_at > now:
        state = Good()
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number,
        algorithm=request.hash_algorithm,
        cert_status=_status(state),
        this_update=now,
        next_update=now + validity,
        revocation_time=state.revoked_at if isinstance(state, RevokedCertificate) else None,
        revocation_reason=(
            state.reason.to_x509() if isinstance(state, RevokedCertificate) else None
        ),
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder.certificate)
    if responder.certificate != responder.ca_certificate:
        builder = builder.certificates([responder.certificate])
    try:
        nonce = request.extensions.get_extension_for_class(x509.OCSPNonce)
    except x509.ExtensionNotFound:
        pass
    else:
        builder = builder.add_extension(nonce.value, critical=False)
    response = builder.sign(issuer_key(responder.signer), signature_hash(responder.signer))
    return response.public_bytes(serialization.Encoding.DER)


def _asks_about(ca_certificate: x509.Certificate, request: ocsp.OCSPRequest) -> bool:
    algorithm = request.hash_algorithm
    if not isinstance(algorithm, (hashes.SHA1, hashes.SHA256, hashes.SHA384, hashes.SHA512)):
        return False
    # issuerKeyHash covers the subjectPublicKey BIT STRING without its tag, length and
    # unused-bits octet (RFC 6960, section 4.1.1).
    spki = asn1_keys.PublicKeyInfo.load(public_key_der(ca_certificate.public_key()))
    key_bits: bytes = spki["public_key"].contents[1:]
    return (
        _digest(algorithm, ca_certificate.subject.public_bytes()) == (request.issuer_name_hash)
        and _digest(algorithm, key_bits) == request.issuer_key_hash
    )


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(data)
    return digest.finalize()


def _status(state: CertificateState) -> ocsp.OCSPCertStatus:
    if isinstance(state, Good):
        return ocsp.OCSPCertStatus.GOOD
    if isinstance(state, Unknown):
        return ocsp.OCSPCertStatus.UNKNOWN
    return ocsp.OCSPCertStatus.REVOKED


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )
