"""A test PKI for enterprise certificates, made with cryptography: CAs, entity
certificates carrying a credit code, CRLs, and a loopback server that publishes them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

NOW = dt.datetime.now(dt.UTC)


@dataclass
class CA:
    name: str
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    crl_url: str | None = None
    revoked: list[int] = field(default_factory=list)
    serial: int = 100

    def crl(self, *, next_update: dt.datetime | None = None, signer: Any = None) -> bytes:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(NOW - dt.timedelta(hours=1))
            .next_update(next_update or NOW + dt.timedelta(days=1))
        )
        for number in self.revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(number)
                .revocation_date(NOW - dt.timedelta(minutes=5))
                .build()
            )
        return builder.sign(signer or self.key, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER
        )


def make_ca(name: str, *, crl_url: str | None = None) -> CA:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CA(name, key, cert, crl_url)


def issue(
    ca: CA,
    uscc: str | None,
    *,
    organization: str = "测试企业",
    days: int = 365,
    not_before: dt.datetime | None = None,
    client_auth: bool = True,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)]
    if uscc:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, uscc))
    ca.serial += 1
    start = not_before or NOW - dt.timedelta(days=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(ca.serial)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [
                    ExtendedKeyUsageOID.CLIENT_AUTH
                    if client_auth
                    else ExtendedKeyUsageOID.CODE_SIGNING
                ]
            ),
            critical=False,
        )
    )
    if ca.crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(ca.crl_url)], None, None, None
                    )
                ]
            ),
            critical=False,
        )
    return key, builder.sign(ca.key, hashes.SHA256())


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def write_roots(path: Path, cas: Iterable[CA]) -> Path:
    path.write_bytes(b"".join(pem(ca.cert) for ca in cas))
    return path


class CRLServer:
    """Publishes CRLs over loopback HTTP: ``/<name>.crl`` from a callable per name."""

    def __init__(self) -> None:
        self.publish: dict[str, Callable[[], bytes]] = {}
        self.requests = 0
        self.fail = False
        self.base_url = ""

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        self.requests += 1
        source = self.publish.get(request.path.strip("/").removesuffix(".crl"))
        if self.fail or source is None:
            return Response(b"", 503)(environ, start_response)
        return Response(source(), 200, mimetype="application/pkix-crl")(environ, start_response)
