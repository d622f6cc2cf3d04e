"""The OCSP responder: request DER in, signed response DER out (RFC 6960)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from openssl_tool import openssl
from openssl_tool import requires_openssl
from pki_support import NOW
from pki_support import SoftwareSigner

from keys.pki import AuthorityName
from keys.pki import CertificateState
from keys.pki import Good
from keys.pki import InternalPKI
from keys.pki import KeyMismatch
from keys.pki import OCSPResponder
from keys.pki import RevocationReason
from keys.pki import RevokedCertificate
from keys.pki import SealSubject
from keys.pki import Unknown
from keys.pki import issue_ocsp_responder_certificate
from keys.pki import issue_seal_certificate
from keys.pki import respond_ocsp

SUBJECT = SealSubject("浙江省市场监督管理局", "浙江省市场监督管理局行政审批专用章")


@pytest.fixture(scope="module")
def seal_certificate(pki: InternalPKI) -> x509.Certificate:
    return issue_seal_certificate(
        pki.issuing, SoftwareSigner.generate().public_key(), SUBJECT, now=NOW
    )


def _request(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    *,
    nonce: bytes | None = None,
    algorithm: hashes.HashAlgorithm | None = None,
) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        certificate,
        issuer,
        algorithm or hashes.SHA1(),  # noqa: S303 (the CertID hash most OCSP clients send)
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _verify(response: ocsp.OCSPResponse, key: ec.EllipticCurvePublicKey) -> None:
    key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))


def _lookup(state: CertificateState):  # type: ignore[no-untyped-def]
    return lambda serial: state


def test_good_certificate(pki: InternalPKI, seal_certificate: x509.Certificate) -> None:
    der = respond_ocsp(
        pki.ocsp_responder,
        _request(seal_certificate, pki.issuing.certificate),
        _lookup(Good()),
        now=NOW,
    )
    response = ocsp.load_der_ocsp_response(der)
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == seal_certificate.serial_number
    assert response.this_update_utc == NOW
    assert response.next_update_utc == NOW + timedelta(days=1)
    assert response.responder_key_hash is not None
    _verify(response, pki.issuing.certificate.public_key())  # type: ignore[arg-type]


def test_revoked_certificate(pki: InternalPKI, seal_certificate: x509.Certificate) -> None:
    revoked = RevokedCertificate(
        seal_certificate.serial_number, NOW - timedelta(hours=3), RevocationReason.KEY_COMPROMISE
    )
    response = ocsp.load_der_ocsp_response(
        respond_ocsp(
            pki.ocsp_responder,
            _request(seal_certificate, pki.issuing.certificate),
            _lookup(revoked),
            now=NOW,
        )
    )
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_time_utc == NOW - timedelta(hours=3)
    assert response.revocation_reason == x509.ReasonFlags.key_compromise


def test_a_revocation_in_the_future_is_not_reported_yet(
    pki: InternalPKI, seal_certificate: x509.Certificate
) -> None:
    revoked = RevokedCertificate(seal_certificate.serial_number, NOW + timedelta(hours=3))
    response = ocsp.load_der_ocsp_response(
        respond_ocsp(
            pki.ocsp_responder,
            _request(seal_certificate, pki.issuing.certificate),
            _lookup(revoked),
            now=NOW,
        )
    )
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD


def test_unknown_serial_and_sha256_cert_id(
    pki: InternalPKI, seal_certificate: x509.Certificate
) -> None:
    request = _request(seal_certificate, pki.issuing.certificate, algorithm=hashes.SHA256())
    response = ocsp.load_der_ocsp_response(
        respond_ocsp(pki.ocsp_responder, request, _lookup(Unknown()), now=NOW)
    )
    assert response.certificate_status == ocsp.OCSPCertStatus.UNKNOWN
    assert isinstance(response.hash_algorithm, hashes.SHA256)


def test_nonce_is_echoed(pki: InternalPKI, seal_certificate: x509.Certificate) -> None:
    request = _request(seal_certificate, pki.issuing.certificate, nonce=b"0123456789abcdef")
    response = ocsp.load_der_ocsp_response(
        respond_ocsp(pki.ocsp_responder, request, _lookup(Good()), now=NOW)
    )
    assert (
        response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        == b"0123456789abcdef"
    )


def test_malformed_request(pki: InternalPKI) -> None:
    response = ocsp.load_der_ocsp_response(
        respond_ocsp(pki.ocsp_responder, b"\x30\x03junk", _lookup(Good()), now=NOW)
    )
    assert response.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_questions_about_another_ca_are_unauthorized(
    pki: InternalPKI, seal_certificate: x509.Certificate
) -> None:
    # Asking the issuing CA's responder about a certificate the root signed.
    request = _request(pki.issuing.certificate, pki.root.certificate)
    response = ocsp.load_der_ocsp_response(
        respond_ocsp(pki.ocsp_responder, request, _lookup(Good()), now=NOW)
    )
    assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_delegated_responder(pki: InternalPKI, seal_certificate: x509.Certificate) -> None:
    responder_key = SoftwareSigner.generate(kid="ocsp")
    responder_certificate = issue_ocsp_responder_certificate(
        pki.issuing, responder_key.public_key(), AuthorityName("Tongban OCSP", "通办"), now=NOW
    )
    responder = OCSPResponder(pki.issuing.certificate, responder_certificate, responder_key)
    response = ocsp.load_der_ocsp_response(
        respond_ocsp(
            responder, _request(seal_certificate, pki.issuing.certificate), _lookup(Good()), now=NOW
        )
    )
    assert response.certificates == [responder_certificate]
    _verify(response, responder_key.public_key())


def test_delegation_needs_the_ocsp_signing_usage(pki: InternalPKI) -> None:
    key = SoftwareSigner.generate()
    not_a_responder = issue_seal_certificate(pki.issuing, key.public_key(), SUBJECT, now=NOW)
    with pytest.raises(KeyMismatch):
        OCSPResponder(pki.issuing.certificate, not_a_responder, key)


@requires_openssl
def test_openssl_accepts_the_response(
    pki: InternalPKI, seal_certificate: x509.Certificate, tmp_path: Path
) -> None:
    pem = serialization.Encoding.PEM
    (tmp_path / "root.pem").write_bytes(pki.root.certificate.public_bytes(pem))
    (tmp_path / "issuing.pem").write_bytes(pki.issuing.certificate.public_bytes(pem))
    (tmp_path / "seal.pem").write_bytes(seal_certificate.public_bytes(pem))
    (tmp_path / "req.der").write_bytes(_request(seal_certificate, pki.issuing.certificate))
    (tmp_path / "resp.der").write_bytes(
        respond_ocsp(
            pki.ocsp_responder, (tmp_path / "req.der").read_bytes(), _lookup(Good()), now=NOW
        )
    )
    # -attime sets the time for the chain; the status times are checked against the wall
    # clock, so -validity_period allows for the fixed NOW being in the past.
    result = openssl(
        "ocsp",
        "-respin",
        tmp_path / "resp.der",
        "-issuer",
        tmp_path / "issuing.pem",
        "-cert",
        tmp_path / "seal.pem",
        "-CAfile",
        tmp_path / "root.pem",
        "-verify_other",
        tmp_path / "issuing.pem",
        "-attime",
        str(int(NOW.timestamp()) + 60),
        "-no_nonce",
        "-validity_period",
        "300000000",
    )
    assert result.returncode == 0, result.stderr
    assert "Response verify OK" in result.stderr
    assert "seal.pem: good" in result.stdout
