"""The internal CA, persisted: root, issuing CA and TSA, their CRLs, OCSP and timestamps.

``keys.pki`` builds certificates, CRLs and responses from Signers, pure; this module
keeps what they need between calls. The CA keys live in the key store (purposes
``ca:root``, ``ca:issuing``, ``ca:tsa``), certificates and the latest CRL of each CA in
``pki_authorities``, and every certificate the issuing CA signs in
``pki_certificates``, which is what OCSP answers and CRLs list from.

Certificates name their publication points under the issuer URL
(:func:`keys.pki.publication_under`): ``/pki/root.crt``, ``/pki/root.crl``,
``/pki/issuing.crt``, ``/pki/issuing.crl``, ``/pki/ocsp``; the TSA answers at ``/pki/tsa``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.trail import record as audit_record
from config.settings import SigningSettings
from keys.keystore import KeyStore
from keys.pki import CertificateAuthority
from keys.pki import CertificateState
from keys.pki import Good
from keys.pki import InternalPKI
from keys.pki import OCSPResponder
from keys.pki import RevocationReason
from keys.pki import RevokedCertificate
from keys.pki import TimestampAuthority
from keys.pki import Unknown
from keys.pki import bootstrap_internal_pki
from keys.pki import build_crl
from keys.pki import publication_under
from keys.pki import respond_ocsp
from keys.pki import respond_timestamp
from keys.pki.chain import parse_certificates
from keys.signer import Signer
from signing.errors import CANotReady
from signing.models import PKIAuthority
from signing.models import PKICertificate
from signing.pades import TrustAnchors
from signing.pades import ValidationMaterial
from signing.timestamping import TimestampClient
from signing.timestamping import http_timestamp_client
from store.db import Database

__all__ = ["AUTHORITIES", "InternalCA", "serial_hex"]

#: The parts of the PKI and the key store purposes of their keys.
AUTHORITIES: Final = {"root": "ca:root", "issuing": "ca:issuing", "tsa": "ca:tsa"}
_CA_ALG: Final = "ES256"
#: A CRL is reissued when it is this old (it is valid for keys.pki.CRL_VALIDITY, 7 days),
#: and at once when a certificate is revoked.
CRL_REFRESH: Final = timedelta(days=1)
#: How long a process trusts what it read of the CA (certificates, CRLs) before reading
#: again. A revocation made by this process is seen at once; by another, within this.
_CACHE_SECONDS: Final = 30.0


def serial_hex(certificate: x509.Certificate) -> str:
    """A certificate's serial number as stored: lower-case hex."""
    return format(certificate.serial_number, "x")


@dataclass(frozen=True)
class _Loaded:
    pki: InternalPKI
    expires: float


class InternalCA:
    """The internal CA of one deployment; build once per process."""

    def __init__(
        self,
        db: Database,
        keys: KeyStore,
        settings: SigningSettings,
        *,
        issuer_url: str,
        data_dir: Path,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._keys = keys
        self._settings = settings
        self._issuer_url = issuer_url
        self._data_dir = data_dir
        self._clock = clock
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._crls: tuple[float, tuple[bytes, bytes]] | None = None
        self._extra_roots: tuple[x509.Certificate, ...] | None = None

    # -- setting up ----------------------------------------------------------------------

    def ensure(self, now: datetime, *, actor: str) -> bool:
        """Create the root, the issuing CA and the TSA unless they exist; True if created."""
        with self._db.transaction() as session:
            if session.get(PKIAuthority, "root") is not None:
                return False
        for purpose in AUTHORITIES.values():
            self._keys.ensure(purpose, now, alg=_CA_ALG, actor=actor)
        signers = {name: self._keys.active(purpose) for name, purpose in AUTHORITIES.items()}
        province = self._settings.ca_province or None
        pki = bootstrap_internal_pki(
            root_signer=signers["root"],
            issuing_signer=signers["issuing"],
            tsa_signer=signers["tsa"],
            organization=self._settings.ca_organization,
            province=province,
            base_url=self._issuer_url,
            now=now,
        )
        certificates = {
            "root": pki.root.certificate,
            "issuing": pki.issuing.certificate,
            "tsa": pki.tsa.certificate,
        }
        with self._db.transaction() as session:
            if session.get(PKIAuthority, "root") is not None:
                return False  # another process won the race; its CA stands
            for name, certificate in certificates.items():
                session.add(
                    PKIAuthority(
                        name=name,
                        key_purpose=AUTHORITIES[name],
                        kid=signers[name].kid,
                        certificate_der=certificate.public_bytes(serialization.Encoding.DER),
                        crl_number=0,
                        created_at=now,
                    )
                )
            issued_by = {"issuing": ("root", "ca"), "tsa": ("issuing", "tsa")}
            for name, (issuer, kind) in issued_by.items():
                _register(session, certificates[name], issuer=issuer, kind=kind, seal_id=None)
            session.flush()
            for name, ca in (("root", pki.root), ("issuing", pki.issuing)):
                _reissue_crl(session, name, ca, now)
            audit_record(
                session,
                actor=actor,
                action="ca.create",
                target="ca:internal",
                now=now,
                details={
                    "root": serial_hex(pki.root.certificate),
                    "issuing": serial_hex(pki.issuing.certificate),
                    "tsa": serial_hex(pki.tsa.certificate),
                    "base_url": self._issuer_url,
                },
            )
        self.forget()
        return True

    # -- reading -------------------------------------------------------------------------

    def pki(self) -> InternalPKI:
        """The running CA: certificates with the signers of their keys."""
        loaded = self._loaded
        if loaded is not None and loaded.expires > time.monotonic():
            return loaded.pki
        with self._db.transaction() as session:
            rows = {r.name: r for r in session.execute(select(PKIAuthority)).scalars()}
        if set(rows) != set(AUTHORITIES):
            raise CANotReady()
        certificates = {
            name: x509.load_der_x509_certificate(row.certificate_der) for name, row in rows.items()
        }
        signers = {name: self._signer(row) for name, row in rows.items()}
        root_points, issuing_points = publication_under(self._issuer_url)
        root = CertificateAuthority(certificates["root"], signers["root"], root_points)
        issuing = CertificateAuthority(certificates["issuing"], signers["issuing"], issuing_points)
        tsa = TimestampAuthority(
            certificate=certificates["tsa"], signer=signers["tsa"], chain=(issuing.certificate,)
        )
        pki = InternalPKI(root=root, issuing=issuing, tsa=tsa)
        self._loaded = _Loaded(pki, time.monotonic() + _CACHE_SECONDS)
        return pki

    def ready(self) -> bool:
        """Whether the CA has been set up."""
        with self._db.transaction() as session:
            return session.get(PKIAuthority, "root") is not None

    def certificate_der(self, name: str) -> bytes:
        """The DER certificate of ``root``, ``issuing`` or ``tsa``."""
        pki = self.pki()
        certificate = {
            "root": pki.root.certificate,
            "issuing": pki.issuing.certificate,
            "tsa": pki.tsa.certificate,
        }[name]
        return certificate.public_bytes(serialization.Encoding.DER)

    def root_pem(self) -> bytes:
        """The root certificate in PEM: what verifiers import as a trust anchor."""
        return self.pki().root.certificate.public_bytes(serialization.Encoding.PEM)

    def crl(self, name: str, now: datetime) -> bytes:
        """The current DER CRL of ``root`` or ``issuing``, reissued when a day old."""
        with self._db.transaction() as session:
            row = session.get(PKIAuthority, name)
            if row is None or name not in ("root", "issuing"):
                raise CANotReady()
            if (
                row.crl_der is not None
                and row.crl_this_update is not None
                and row.crl_this_update + CRL_REFRESH > now
            ):
                return row.crl_der
        pki = self.pki()
        ca = pki.root if name == "root" else pki.issuing
        with self._db.transaction() as session:
            return _reissue_crl(session, name, ca, now, only_if_older_than=now - CRL_REFRESH)

    def current_crls(self, now: datetime) -> tuple[bytes, bytes]:
        """The root's and the issuing CA's current CRLs (cached briefly)."""
        cached = self._crls
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        crls = (self.crl("root", now), self.crl("issuing", now))
        self._crls = (time.monotonic() + _CACHE_SECONDS, crls)
        return crls

    def certificate_state(self, serial: int) -> CertificateState:
        """What OCSP says of a serial number the issuing CA may have signed."""
        with self._db.transaction() as session:
            row = session.get(PKICertificate, format(serial, "x"))
            if row is None or row.issuer != "issuing":
                return Unknown()
            if row.revoked_at is None:
                return Good()
            return RevokedCertificate(
                serial_number=serial,
                revoked_at=row.revoked_at,
                reason=RevocationReason(row.revocation_reason or "unspecified"),
            )

    def respond_ocsp(self, request_der: bytes, now: datetime) -> bytes:
        """Answer an OCSP request for a certificate of the issuing CA (RFC 6960)."""
        responder = OCSPResponder.by_ca(self.pki().issuing)
        return respond_ocsp(responder, request_der, self.certificate_state, now=now)

    def respond_timestamp(self, request_der: bytes, now: datetime) -> bytes:
        """Answer an RFC 3161 timestamp request with the internal TSA."""
        return respond_timestamp(self.pki().tsa, request_der, now=now)

    def timestamp_client(self) -> TimestampClient:
        """Where signature timestamps come from: the configured TSA, else our own."""
        if self._settings.tsa_url:
            return http_timestamp_client(self._settings.tsa_url, timeout=self._settings.tsa_timeout)

        def request(request_der: bytes) -> bytes:
            return respond_timestamp(self.pki().tsa, request_der, now=self._clock())

        return request

    def validation_material(
        self, certificate: x509.Certificate, chain: tuple[x509.Certificate, ...], now: datetime
    ) -> ValidationMaterial:
        """What a stamp embeds for B-LT: CA certificates, CRLs, a fresh OCSP answer.

        For a seal certified by an external CA only its chain is embedded: Tongban does
        not fetch other CAs' revocation data (validators fetch it themselves).
        """
        pki = self.pki()
        ours = pki.issuing.certificate
        certificates = (pki.issuing.certificate, pki.root.certificate)
        if certificate.issuer != ours.subject:
            return ValidationMaterial(
                certificates=(*chain, *certificates), crls=self.current_crls(now)
            )
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(certificate, ours, hashes.SHA256())
            .build()
            .public_bytes(serialization.Encoding.DER)
        )
        return ValidationMaterial(
            certificates=certificates,
            crls=self.current_crls(now),
            ocsp_responses=(self.respond_ocsp(request, now),),
        )

    def trust_anchors(self, now: datetime) -> TrustAnchors:
        """What verification trusts: our root, configured roots, and our current CRLs."""
        return TrustAnchors(
            roots=(self.pki().root.certificate, *self._trusted_roots()),
            crls=self.current_crls(now),
        )

    # -- changing ------------------------------------------------------------------------

    def register_seal_certificate(
        self, session: Session, certificate: x509.Certificate, seal_id: str
    ) -> None:
        """Record a seal certificate the issuing CA signed, inside ``session``."""
        _register(session, certificate, issuer="issuing", kind="seal", seal_id=seal_id)

    def revoke(
        self,
        session: Session,
        pki: InternalPKI,
        certificate: x509.Certificate,
        reason: RevocationReason,
        now: datetime,
    ) -> bool:
        """Revoke one of our seal certificates and reissue the CRL, inside ``session``.

        ``pki`` is :meth:`pki`, read before the transaction began (on SQLite a second
        transaction inside this one would wait for it). Returns False for a certificate
        the internal CA did not issue.
        """
        row = session.get(PKICertificate, serial_hex(certificate), with_for_update=True)
        if row is None or row.issuer != "issuing":
            return False
        if row.revoked_at is None:
            row.revoked_at = now
            row.revocation_reason = reason.value
        session.flush()
        _reissue_crl(session, "issuing", pki.issuing, now)
        self._crls = None
        return True

    def forget(self) -> None:
        """Drop what this process cached, so the next read sees the database."""
        self._loaded = None
        self._crls = None

    # -- internals -----------------------------------------------------------------------

    def _signer(self, row: PKIAuthority) -> Signer:
        signer = self._keys.active(row.key_purpose)
        if signer.kid != row.kid:
            raise CANotReady(
                "The CA's key was rotated away from its certificate.",
                detail=f"{row.name}: certificate for {row.kid}, active key {signer.kid}",
            )
        return signer

    def _trusted_roots(self) -> tuple[x509.Certificate, ...]:
        if self._extra_roots is None:
            roots: tuple[x509.Certificate, ...] = ()
            if self._settings.trusted_roots_file:
                path = Path(self._settings.trusted_roots_file)
                path = path if path.is_absolute() else self._data_dir / path
                roots = tuple(parse_certificates(path.read_bytes()))
            self._extra_roots = roots
        return self._extra_roots


def _register(
    session: Session,
    certificate: x509.Certificate,
    *,
    issuer: str,
    kind: str,
    seal_id: str | None,
) -> None:
    session.add(
        PKICertificate(
            serial=serial_hex(certificate),
            issuer=issuer,
            kind=kind,
            subject=certificate.subject.rfc4514_string()[:500],
            seal_id=seal_id,
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
        )
    )


def _reissue_crl(
    session: Session,
    name: str,
    ca: CertificateAuthority,
    now: datetime,
    *,
    only_if_older_than: datetime | None = None,
) -> bytes:
    """Sign a new CRL for ``name`` with the next number; the row lock orders writers."""
    row = session.get(PKIAuthority, name, with_for_update=True)
    if row is None:
        raise CANotReady()
    if (
        only_if_older_than is not None
        and row.crl_der is not None
        and row.crl_this_update is not None
        and row.crl_this_update > only_if_older_than
    ):
        return row.crl_der  # another process reissued it meanwhile
    revoked = [
        RevokedCertificate(
            serial_number=int(r.serial, 16),
            revoked_at=r.revoked_at,
            reason=RevocationReason(r.revocation_reason or "unspecified"),
        )
        for r in session.execute(
            select(PKICertificate).where(
                PKICertificate.issuer == name, PKICertificate.revoked_at.is_not(None)
            )
        ).scalars()
        if r.revoked_at is not None
    ]
    number = row.crl_number + 1
    der = build_crl(ca, revoked, crl_number=number, now=now)
    crl = x509.load_der_x509_crl(der)
    row.crl_number = number
    row.crl_der = der
    row.crl_this_update = crl.last_update_utc
    row.crl_next_update = crl.next_update_utc
    return der
