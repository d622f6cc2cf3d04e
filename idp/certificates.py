"""Enterprise digital certificate login (企业数字证书登录).

Two ways to present a certificate:

* **A signed challenge.** The login page shows a one-time challenge; the holder signs it
  with the certificate's private key as a JWS carrying the chain in ``x5c``
  (``tongban cert sign-challenge`` does this, as would a local signing agent), and
  pastes the result. The payload is ``{"challenge", "aud": issuer, "iat"}``; the
  challenge is taken once, so a signed answer cannot be replayed.
* **A TLS client certificate** that a reverse proxy terminated and forwarded in
  ``certificates.proxy_header``: accepted only from the addresses in
  ``certificates.proxy_addresses``. The TLS handshake proved possession of the key.

Either way the chain is validated against the enterprise CA certificates in
``certificates.roots_file`` (cryptography's X.509 path validation, at ``now``), key
usage is checked, and revocation is checked with the CRL at each certificate's
distribution point when it names one (a CRL that cannot be fetched or does not verify
refuses the login: fail closed). The entity is the one registered under the unified
social credit code found in the certificate's subject.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
import secrets
import threading
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Final
from urllib.parse import unquote

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.verification import ExtensionPolicy
from cryptography.x509.verification import PolicyBuilder
from cryptography.x509.verification import Store
from cryptography.x509.verification import VerificationError

from config.load import proxy_networks
from config.settings import Settings
from idp.entities import Entities
from idp.entities import Entity
from idp.errors import CertificateRejected
from idp.identity.errors import CreditCodeInvalid
from idp.identity.uscc import parse_credit_code
from keys.jose import JWTError
from keys.jose import open_jws_x5c
from store.ephemeral import EphemeralStore

CHALLENGE_PREFIX: Final = "tbc1."
_KEY: Final = "cert-challenge:"
_USCC_CANDIDATE: Final = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
#: Subject attributes searched for the credit code, most specific first.
_CODE_ATTRIBUTES: Final = (
    x509.ObjectIdentifier("2.5.4.97"),  # organizationIdentifier
    x509.oid.NameOID.SERIAL_NUMBER,
    x509.oid.NameOID.ORGANIZATIONAL_UNIT_NAME,
    x509.oid.NameOID.USER_ID,
    x509.oid.NameOID.COMMON_NAME,
)
_MAX_CRL_BYTES: Final = 20 * 1024 * 1024


@dataclass(frozen=True)
class Challenge:
    value: str
    expires_at: datetime


@dataclass(frozen=True)
class VerifiedCertificate:
    """A certificate that chained to a trusted root, unrevoked, naming a registered entity."""

    entity: Entity
    subject: str
    serial: str
    fingerprint: str


def credit_code_in(name: x509.Name) -> str | None:
    """The first valid unified social credit code in the subject's usual attributes."""
    for oid in _CODE_ATTRIBUTES:
        for attribute in name.get_attributes_for_oid(oid):
            value = attribute.value if isinstance(attribute.value, str) else ""
            for candidate in _USCC_CANDIDATE.findall(value.upper()):
                try:
                    return parse_credit_code(candidate).code
                except CreditCodeInvalid:
                    continue
    return None


def load_trust(path: Path) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """(roots, intermediates) from a PEM file: self-issued certificates are roots."""
    try:
        certificates = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CertificateRejected(
            "certificate login is misconfigured", detail=f"{path}: {exc}"
        ) from None
    roots = [c for c in certificates if c.subject == c.issuer]
    return roots, [c for c in certificates if c.subject != c.issuer]


class CertificateLogins:
    def __init__(
        self,
        settings: Settings,
        store: EphemeralStore,
        entities: Entities,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings.certificates
        self._issuer = settings.issuer
        self._store = store
        self._entities = entities
        self._roots: list[x509.Certificate] = []
        self._intermediates: list[x509.Certificate] = []
        path = settings.certificate_roots_path
        if path is not None:
            self._roots, self._intermediates = load_trust(path)
        self._proxies = proxy_networks(self._settings.proxy_addresses)
        self._http = httpx.Client(
            timeout=self._settings.crl_timeout, transport=transport, follow_redirects=True
        )
        self._clock = clock
        self._crls: dict[str, tuple[float, x509.CertificateRevocationList]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self._roots)

    @property
    def proxy_enabled(self) -> bool:
        return self.enabled and bool(self._settings.proxy_header)

    # -- challenges --------------------------------------------------------------------------

    def challenge(self, *, now: datetime) -> Challenge:
        value = CHALLENGE_PREFIX + secrets.token_urlsafe(24)
        ttl = self._settings.challenge_seconds
        self._store.put(_KEY + value, b"1", ttl)
        return Challenge(value, now + timedelta(seconds=ttl))

    def verify_signed_challenge(self, token: str, *, now: datetime) -> VerifiedCertificate:
        """Check a JWS answer to one of our challenges and the certificate that signed it."""
        self._require_enabled()
        try:
            message = open_jws_x5c(token.strip())
        except (JWTError, ValueError) as exc:
            raise CertificateRejected(
                "the signed challenge is not valid", detail=str(exc)[:200]
            ) from None
        payload = message.payload
        value = payload.get("challenge")
        if not isinstance(value, str) or not value.startswith(CHALLENGE_PREFIX) or len(value) > 64:
            raise CertificateRejected("the signed challenge is not valid", detail="no challenge")
        if payload.get("aud") != self._issuer:
            raise CertificateRejected(
                "the challenge was signed for another service", detail=f"aud {payload.get('aud')!r}"
            )
        if self._store.take(_KEY + value) is None:
            raise CertificateRejected("the challenge expired or was used already; start again")
        leaf, *presented = message.certificates
        return self.validate(leaf, presented, now=now)

    # -- forwarded client certificates --------------------------------------------------------

    def verify_forwarded(
        self, header_value: str | None, peer: str | None, *, now: datetime
    ) -> VerifiedCertificate:
        """A client certificate a trusted TLS-terminating proxy forwarded."""
        if not self.proxy_enabled:
            raise CertificateRejected("certificate login through the proxy is not enabled")
        if not peer or not self._trusted_peer(peer):
            raise CertificateRejected(
                "no client certificate was presented", detail=f"untrusted peer {peer}"
            )
        if not header_value:
            raise CertificateRejected("no client certificate was presented")
        try:
            leaf = x509.load_pem_x509_certificate(unquote(header_value).encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise CertificateRejected(
                "the forwarded client certificate is not readable", detail=str(exc)[:200]
            ) from None
        return self.validate(leaf, [], now=now)

    def header_name(self) -> str:
        return self._settings.proxy_header

    def _trusted_peer(self, peer: str) -> bool:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self._proxies)

    # -- validation -------------------------------------------------------------------------

    def validate(
        self, leaf: x509.Certificate, presented: Sequence[x509.Certificate], *, now: datetime
    ) -> VerifiedCertificate:
        self._require_enabled()
        verifier = (
            PolicyBuilder()
            .store(Store(self._roots))
            .time(now)
            .max_chain_depth(6)
            .extension_policies(
                ca_policy=ExtensionPolicy.webpki_defaults_ca(),
                ee_policy=ExtensionPolicy.permit_all(),
            )
            .build_client_verifier()
        )
        try:
            verified = verifier.verify(leaf, [*presented, *self._intermediates])
        except VerificationError as exc:
            raise CertificateRejected(
                "the certificate was not issued by an enterprise CA that Tongban trusts, or "
                "it is outside its validity period",
                detail=str(exc)[:300],
            ) from None
        _check_usage(leaf)
        if self._settings.check_crl:
            chain = list(verified.chain)
            for cert, issuer in itertools.pairwise(chain):
                self._check_revocation(cert, issuer, now)
        code = credit_code_in(leaf.subject)
        if code is None:
            raise CertificateRejected(
                "the certificate names no unified social credit code",
                detail=leaf.subject.rfc4514_string()[:200],
            )
        entity = self._entities.find(code)
        if entity is None or entity.status != "active":
            raise CertificateRejected(
                f"no active entity with credit code {code} is registered with Tongban; its "
                "legal representative registers it first"
            )
        return VerifiedCertificate(
            entity=entity,
            subject=leaf.subject.rfc4514_string(),
            serial=format(leaf.serial_number, "x"),
            fingerprint=leaf.fingerprint(hashes.SHA256()).hex(),
        )

    def _check_revocation(
        self, cert: x509.Certificate, issuer: x509.Certificate, now: datetime
    ) -> None:
        try:
            points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        except x509.ExtensionNotFound:
            return  # The CA publishes no CRL for this certificate.
        urls = [
            name.value
            for point in points
            for name in (point.full_name or [])
            if isinstance(name, x509.UniformResourceIdentifier)
            and name.value.lower().startswith(("http://", "https://"))
        ]
        if not urls:
            return
        crl = self._crl(urls, issuer, now)
        if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
            raise CertificateRejected(
                "the certificate has been revoked by its CA",
                detail=f"serial {cert.serial_number:x} on {urls[0]}",
            )

    def _crl(
        self, urls: list[str], issuer: x509.Certificate, now: datetime
    ) -> x509.CertificateRevocationList:
        problems = []
        for url in urls:
            with self._lock:
                cached = self._crls.get(url)
            if cached is not None and cached[0] > self._clock() and _current(cached[1], now):
                return cached[1]
            try:
                response = self._http.get(url)
                response.raise_for_status()
                if len(response.content) > _MAX_CRL_BYTES:
                    raise ValueError("CRL too large")
                crl = _load_crl(response.content)
            except (httpx.HTTPError, ValueError) as exc:
                problems.append(f"{url}: {type(exc).__name__}: {str(exc)[:100]}")
                continue
            if crl.issuer != issuer.subject or not crl.is_signature_valid(
                issuer.public_key()  # type: ignore[arg-type]
            ):
                problems.append(f"{url}: not signed by {issuer.subject.rfc4514_string()}")
                continue
            if not _current(crl, now):
                problems.append(f"{url}: out of date")
                continue
            keep = self._settings.crl_cache_seconds
            if crl.next_update_utc is not None:
                keep = min(keep, int((crl.next_update_utc - now).total_seconds()))
            with self._lock:
                self._crls[url] = (self._clock() + max(0, keep), crl)
            return crl
        raise CertificateRejected(
            "the certificate's revocation status could not be checked; please try again later",
            detail="; ".join(problems)[:500],
        )

    def _require_enabled(self) -> None:
        if not self.enabled:
            raise CertificateRejected("certificate login is not enabled on this service")


def _check_usage(leaf: x509.Certificate) -> None:
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.digital_signature:
            raise CertificateRejected("the certificate's key may not be used to sign in")
    except x509.ExtensionNotFound:
        pass
    try:
        purposes = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    allowed = {
        x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH,
        x509.oid.ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    }
    if not allowed & set(purposes):
        raise CertificateRejected("the certificate is not meant for client authentication")


def _load_crl(data: bytes) -> x509.CertificateRevocationList:
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


def _current(crl: x509.CertificateRevocationList, now: datetime) -> bool:
    if crl.last_update_utc > now + timedelta(minutes=5):
        return False
    return crl.next_update_utc is None or crl.next_update_utc > now
