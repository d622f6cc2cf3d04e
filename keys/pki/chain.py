"""Import and check a certificate chain issued for a seal key by an external CA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from keys.pki.ca import public_key_der
from keys.pki.errors import ChainInvalid

__all__ = ["SealCertificateChain", "import_chain", "parse_certificates"]

_MAX_CHAIN_LENGTH = 6
_E = TypeVar("_E", bound=x509.ExtensionType)


@dataclass(frozen=True)
class SealCertificateChain:
    """A seal certificate and the CA certificates above it, leaf first.

    ``root`` is set when the chain ends in a self-signed certificate; verifiers must
    still be configured to trust it, importing a chain grants no trust.
    """

    certificate: x509.Certificate
    intermediates: tuple[x509.Certificate, ...]
    root: x509.Certificate | None

    @property
    def all_certificates(self) -> tuple[x509.Certificate, ...]:
        """Leaf, intermediates and root (if present), in path order."""
        return (self.certificate, *self.intermediates, *((self.root,) if self.root else ()))


def parse_certificates(data: bytes) -> list[x509.Certificate]:
    """Certificates from a PEM bundle or a single DER certificate."""
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise ChainInvalid("The certificates could not be read.", detail=str(exc)) from exc


def import_chain(
    data: bytes,
    *,
    public_key: PublicKeyTypes,
    now: datetime,
) -> SealCertificateChain:
    """Find the certificate for ``public_key`` in ``data`` and order the chain above it.

    Checks that each certificate is signed by the next, every certificate is valid at
    ``now``, the CAs are CAs allowed to sign certificates, and the leaf may sign
    documents (``digitalSignature`` or ``nonRepudiation``, not a CA).
    """
    certificates = parse_certificates(data)
    if not certificates or len(certificates) > _MAX_CHAIN_LENGTH:
        raise ChainInvalid(f"A chain has 1 to {_MAX_CHAIN_LENGTH} certificates.")
    wanted = public_key_der(public_key)
    leaves = [c for c in certificates if public_key_der(c.public_key()) == wanted]
    if len(leaves) != 1:
        raise ChainInvalid("The chain has no certificate for this seal's key.")
    leaf = leaves[0]
    _check_leaf(leaf)

    path = [leaf]
    remaining = [c for c in certificates if c is not leaf]
    while path[-1].issuer != path[-1].subject:
        issuer = _find_issuer(path[-1], remaining)
        if issuer is None:
            break
        _check_ca(issuer, position=len(path))
        path.append(issuer)
        remaining.remove(issuer)
    if remaining:
        raise ChainInvalid(
            "The bundle holds certificates that are not part of the chain.",
            detail=", ".join(c.subject.rfc4514_string() for c in remaining),
        )
    for certificate in path:
        _check_validity(certificate, now)

    root = path[-1] if len(path) > 1 and _is_self_signed(path[-1]) else None
    intermediates = tuple(path[1:-1] if root is not None else path[1:])
    return SealCertificateChain(certificate=leaf, intermediates=intermediates, root=root)


def _find_issuer(
    certificate: x509.Certificate, candidates: list[x509.Certificate]
) -> x509.Certificate | None:
    for candidate in candidates:
        if candidate.subject != certificate.issuer:
            continue
        try:
            certificate.verify_directly_issued_by(candidate)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return candidate
    if any(c.subject == certificate.issuer for c in candidates):
        raise ChainInvalid(
            "A certificate's signature does not verify under its issuer.",
            detail=certificate.subject.rfc4514_string(),
        )
    return None


def _is_self_signed(certificate: x509.Certificate) -> bool:
    if certificate.issuer != certificate.subject:
        return False
    try:
        certificate.verify_directly_issued_by(certificate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _check_leaf(leaf: x509.Certificate) -> None:
    constraints = _extension(leaf, x509.BasicConstraints)
    if constraints is not None and constraints.ca:
        raise ChainInvalid("The seal certificate is a CA certificate.")
    usage = _extension(leaf, x509.KeyUsage)
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise ChainInvalid("The seal certificate's key usage does not allow signing.")


def _check_ca(certificate: x509.Certificate, *, position: int) -> None:
    constraints = _extension(certificate, x509.BasicConstraints)
    if constraints is None or not constraints.ca:
        raise ChainInvalid(
            "An issuer in the chain is not a CA.", detail=certificate.subject.rfc4514_string()
        )
    if constraints.path_length is not None and constraints.path_length < position - 1:
        raise ChainInvalid(
            "The chain is longer than a CA's path length allows.",
            detail=certificate.subject.rfc4514_string(),
        )
    usage = _extension(certificate, x509.KeyUsage)
    if usage is not None and not usage.key_cert_sign:
        raise ChainInvalid(
            "An issuer in the chain may not sign certificates.",
            detail=certificate.subject.rfc4514_string(),
        )


def _check_validity(certificate: x509.Certificate, now: datetime) -> None:
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise ChainInvalid(
            "A certificate in the chain is not valid now.",
            detail=f"{certificate.subject.rfc4514_string()} "
            f"{certificate.not_valid_before_utc}..{certificate.not_valid_after_utc}",
        )


def _extension(certificate: x509.Certificate, kind: type[_E]) -> _E | None:
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None
