"""Helpers for the signing tests: a software Signer, a small PKI, seals and their
validation data, at a fixed time.

Kept apart from ``conftest.py`` so tests import them by a name no other test directory
uses (``import conftest`` would find whichever conftest was imported first).
"""

from __future__ import annotations

import base64
import io
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509 import ocsp
from reportlab.pdfgen.canvas import Canvas

from keys.pki import CertificateState
from keys.pki import Good
from keys.pki import InternalPKI
from keys.pki import RevokedCertificate
from keys.pki import SealSubject
from keys.pki import bootstrap_internal_pki
from keys.pki import build_crl
from keys.pki import issue_seal_certificate
from keys.pki import respond_ocsp
from signing.pades import SealCredentials
from signing.pades import ValidationMaterial

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "signing"


class SoftwareSigner:
    """An ES256 Signer over an in-memory key (the port's raw r||s wire form)."""

    def __init__(self, kid: str) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.kid = kid
        self.alg = "ES256"

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._key.public_key()

    def public_jwk(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()

        def b64(value: int) -> str:
            return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()

        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64(numbers.x),
            "y": b64(numbers.y),
            "kid": self.kid,
            "alg": "ES256",
            "use": "sig",
        }

    def sign(self, data: bytes) -> bytes:
        r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def make_pki(
    now: datetime,
    base_url: str = "https://tongban.example.gov.cn",
    organization: str = "浙江省大数据发展管理局",
) -> InternalPKI:
    return bootstrap_internal_pki(
        root_signer=SoftwareSigner("root"),
        issuing_signer=SoftwareSigner("issuing"),
        tsa_signer=SoftwareSigner("tsa"),
        organization=organization,
        province="浙江省",
        base_url=base_url,
        now=now - timedelta(days=30),
    )


def make_seal(pki: InternalPKI, department: str, seal_name: str, now: datetime) -> SealCredentials:
    key = SoftwareSigner(f"seal:{department}")
    certificate = issue_seal_certificate(
        pki.issuing,
        key.public_key(),
        SealSubject(department, seal_name),
        now=now - timedelta(days=1),
    )
    return SealCredentials(key, certificate, (pki.issuing.certificate, pki.root.certificate))


def ocsp_response(
    pki: InternalPKI, certificate: x509.Certificate, state: CertificateState, now: datetime
) -> bytes:
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, pki.issuing.certificate, hashes.SHA256())
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    return respond_ocsp(pki.ocsp_responder, request, lambda serial: state, now=now)


def validation_material(
    pki: InternalPKI,
    seal: SealCredentials,
    now: datetime,
    revoked: tuple[RevokedCertificate, ...] = (),
) -> ValidationMaterial:
    """What the service embeds: both CRLs and a fresh OCSP answer for the seal."""
    state: CertificateState = Good()
    for entry in revoked:
        if entry.serial_number == seal.certificate.serial_number and entry.revoked_at <= now:
            state = entry
    return ValidationMaterial(
        certificates=(pki.issuing.certificate, pki.root.certificate),
        crls=(
            build_crl(pki.root, [], crl_number=1, now=now),
            build_crl(pki.issuing, revoked, crl_number=1, now=now),
        ),
        ocsp_responses=(ocsp_response(pki, seal.certificate, state, now),),
    )


def encrypted_pdf() -> bytes:
    """A small PDF encrypted with a user password."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, encrypt="secret")
    canvas.drawString(100, 700, "confidential")
    canvas.save()
    return buffer.getvalue()
