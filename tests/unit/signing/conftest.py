"""Fixtures for the signing tests: a small internal PKI, seals, stampers, at a fixed time."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509 import ocsp

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
from signing.pades import SealStamper
from signing.pades import TrustAnchors
from signing.pades import ValidationMaterial
from signing.render import RenderedApproval
from signing.render import parse_approval_data
from signing.render import render_approval
from signing.seal_image import SealDesign
from signing.seal_image import SealImage
from signing.seal_image import draw_seal
from signing.timestamping import local_timestamp_client

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


@pytest.fixture(scope="session")
def pki() -> InternalPKI:
    return make_pki(NOW)


@pytest.fixture(scope="session")
def seal_image() -> SealImage:
    return draw_seal(
        SealDesign("浙江省市场监督管理局", purpose="行政审批专用章", code="3300000012345")
    )


@pytest.fixture(scope="session")
def seal(pki: InternalPKI) -> SealCredentials:
    return make_seal(pki, "浙江省市场监督管理局", "浙江省市场监督管理局行政审批专用章", NOW)


@pytest.fixture(scope="session")
def second_seal(pki: InternalPKI) -> SealCredentials:
    return make_seal(pki, "浙江省商务厅", "浙江省商务厅行政审批专用章", NOW)


@pytest.fixture(scope="session")
def stamper_for(
    pki: InternalPKI, seal_image: SealImage
) -> Callable[[SealCredentials], SealStamper]:
    stampers: dict[int, SealStamper] = {}

    def build(credentials: SealCredentials) -> SealStamper:
        key = id(credentials)
        if key not in stampers:
            stampers[key] = SealStamper(
                credentials,
                seal_image,
                local_timestamp_client(pki.tsa, lambda: NOW),
                reason="行政审批",
                location="浙江省杭州市",
            )
        return stampers[key]

    return build


@pytest.fixture(scope="session")
def approval_data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((VECTORS / "approval.json").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="session")
def rendered(approval_data: dict[str, Any]) -> RenderedApproval:
    return render_approval(parse_approval_data(approval_data))


@pytest.fixture(scope="session")
def joint_rendered(approval_data: dict[str, Any]) -> RenderedApproval:
    data = {**approval_data, "issuers": ["浙江省市场监督管理局", "浙江省商务厅"]}
    return render_approval(parse_approval_data(data))


@pytest.fixture
def trust(pki: InternalPKI) -> TrustAnchors:
    return TrustAnchors(roots=(pki.root.certificate,))
