"""CRLs built and signed by a CA."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from openssl_tool import openssl
from openssl_tool import requires_openssl
from pki_support import NOW

from keys.pki import InternalPKI
from keys.pki import PKIError
from keys.pki import RevocationReason
from keys.pki import RevokedCertificate
from keys.pki import build_crl

REVOKED = [
    RevokedCertificate(
        0x1234,
        NOW - timedelta(days=2),
        RevocationReason.KEY_COMPROMISE,
        invalidity_date=NOW - timedelta(days=3),
    ),
    RevokedCertificate(0x99, NOW - timedelta(hours=1)),
    RevokedCertificate(0x77, NOW + timedelta(hours=1), RevocationReason.SUPERSEDED),
]


def test_crl_lists_what_was_revoked_by_now(pki: InternalPKI) -> None:
    crl = x509.load_der_x509_crl(build_crl(pki.issuing, REVOKED, crl_number=7, now=NOW))
    assert crl.is_signature_valid(pki.issuing.certificate.public_key())  # type: ignore[arg-type]
    assert crl.issuer == pki.issuing.certificate.subject
    assert crl.last_update_utc == NOW
    assert crl.next_update_utc == NOW + timedelta(days=7)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
    assert sorted(entry.serial_number for entry in crl) == [0x99, 0x1234]

    compromised = crl.get_revoked_certificate_by_serial_number(0x1234)
    assert compromised is not None
    assert compromised.revocation_date_utc == NOW - timedelta(days=2)
    reason = compromised.extensions.get_extension_for_class(x509.CRLReason).value
    assert reason.reason == x509.ReasonFlags.key_compromise
    invalidity = compromised.extensions.get_extension_for_class(x509.InvalidityDate).value
    assert invalidity.invalidity_date_utc == NOW - timedelta(days=3)

    plain = crl.get_revoked_certificate_by_serial_number(0x99)
    assert plain is not None
    assert len(plain.extensions) == 0


def test_negative_crl_numbers_are_refused(pki: InternalPKI) -> None:
    with pytest.raises(PKIError):
        build_crl(pki.issuing, [], crl_number=-1, now=NOW)


def test_revocation_records_need_aware_times() -> None:
    with pytest.raises(PKIError):
        RevokedCertificate(1, NOW.replace(tzinfo=None))
    with pytest.raises(PKIError):
        RevokedCertificate(1, NOW, invalidity_date=NOW + timedelta(seconds=1))


@requires_openssl
def test_openssl_verifies_the_crl(pki: InternalPKI, tmp_path: Path) -> None:
    (tmp_path / "issuing.pem").write_bytes(
        pki.issuing.certificate.public_bytes(serialization.Encoding.PEM)
    )
    (tmp_path / "crl.der").write_bytes(build_crl(pki.issuing, REVOKED, crl_number=1, now=NOW))
    result = openssl(
        "crl",
        "-inform",
        "DER",
        "-in",
        tmp_path / "crl.der",
        "-noout",
        "-CAfile",
        tmp_path / "issuing.pem",
    )
    assert result.returncode == 0, result.stderr
    assert "verify OK" in result.stderr + result.stdout
