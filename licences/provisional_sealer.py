"""PROVISIONAL: a :class:`~licences.sealing.LicenceSealer` with a PKI that lives in memory.

Until the signing service keeps seals as database records and offers "seal this PDF for
department D", licence PDFs are sealed here with the real stamping core
(:mod:`signing.pades`, :mod:`keys.pki`): a PAdES B-LT signature with a visible vector
seal and an RFC 3161 timestamp. But the root CA, the TSA and every department's seal key
are generated in this process and forgotten when it ends, so the seals chain to nothing
anyone trusts. The composition root replaces this class with the signing service's
implementation when both land; nothing else changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509 import ocsp

from keys.pki import Good
from keys.pki import InternalPKI
from keys.pki import SealSubject
from keys.pki import bootstrap_internal_pki
from keys.pki import build_crl
from keys.pki import issue_seal_certificate
from keys.pki import respond_ocsp
from licences.public_keys import public_key_to_jwk
from licences.sealing import SEAL_ANCHOR
from signing.pades import AtAnchor
from signing.pades import SealCredentials
from signing.pades import SealStamper
from signing.pades import ValidationMaterial
from signing.seal_image import SealDesign
from signing.seal_image import draw_seal
from signing.timestamping import local_timestamp_client

__all__ = ["ProvisionalSealer"]

_ECDSA = ec.ECDSA(hashes.SHA256())


class _MemorySigner:
    """An ES256 key that exists only in this process (Signer port)."""

    alg = "ES256"

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self._key = ec.generate_private_key(ec.SECP256R1())

    def public_key(self) -> PublicKeyTypes:
        return self._key.public_key()

    def public_jwk(self) -> dict[str, object]:
        return {**public_key_to_jwk(self.public_key()), "kid": self.kid, "alg": self.alg}

    def sign(self, data: bytes) -> bytes:
        r, s = decode_dss_signature(self._key.sign(data, _ECDSA))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class ProvisionalSealer:
    """Seals with throwaway in-memory seals, one per department (see the module docstring).

    :param department_name: the department's name for its seal, from its id
    """

    def __init__(
        self,
        department_name: Callable[[str], str],
        *,
        base_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._department_name = department_name
        self._clock = clock
        self._base_url = base_url
        self._lock = threading.Lock()
        self._pki: InternalPKI | None = None
        self._stampers: dict[str, tuple[SealStamper, ValidationMaterial, datetime]] = {}

    def seal_pdf(self, pdf: bytes, department_id: str) -> bytes:
        now = self._clock()
        stamper, validation = self._stamper(department_id, now)
        return stamper.stamp(pdf, AtAnchor(SEAL_ANCHOR), now=now, validation=validation)

    def _stamper(self, department_id: str, now: datetime) -> tuple[SealStamper, ValidationMaterial]:
        with self._lock:
            cached = self._stampers.get(department_id)
            # OCSP answers and CRLs are refreshed hourly, as a real service would.
            if cached is not None and now - cached[2] < timedelta(hours=1):
                return cached[0], cached[1]
            pki = self._pki
            if pki is None:
                pki = self._pki = bootstrap_internal_pki(
                    root_signer=_MemorySigner("provisional-root"),
                    issuing_signer=_MemorySigner("provisional-issuing"),
                    tsa_signer=_MemorySigner("provisional-tsa"),
                    organization="通办（临时印章，仅供测试）",
                    base_url=self._base_url,
                    now=now - timedelta(days=1),
                )
            stamper = cached[0] if cached else self._new_stamper(pki, department_id, now)
            validation = _validation(pki, stamper.credentials.certificate, now)
            self._stampers[department_id] = (stamper, validation, now)
            return stamper, validation

    def _new_stamper(self, pki: InternalPKI, department_id: str, now: datetime) -> SealStamper:
        name = self._department_name(department_id)
        key = _MemorySigner(f"provisional-seal:{department_id}")
        certificate = issue_seal_certificate(
            pki.issuing, key.public_key(), SealSubject(name, f"{name}电子证照专用章"), now=now
        )
        credentials = SealCredentials(
            key, certificate, (pki.issuing.certificate, pki.root.certificate)
        )
        image = draw_seal(SealDesign(name[:30], purpose="电子证照专用章"))
        return SealStamper(
            credentials,
            image,
            local_timestamp_client(pki.tsa, self._clock),
            reason="电子证照",
        )


def _validation(
    pki: InternalPKI, certificate: x509.Certificate, now: datetime
) -> ValidationMaterial:
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, pki.issuing.certificate, hashes.SHA256())
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    return ValidationMaterial(
        certificates=(pki.issuing.certificate, pki.root.certificate),
        crls=(
            build_crl(pki.root, [], crl_number=1, now=now),
            build_crl(pki.issuing, [], crl_number=1, now=now),
        ),
        ocsp_responses=(respond_ocsp(pki.ocsp_responder, request, lambda _: Good(), now=now),),
    )
