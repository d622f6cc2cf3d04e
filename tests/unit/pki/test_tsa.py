"""The RFC 3161 timestamp authority: TimeStampReq DER in, TimeStampResp DER out."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any
from typing import ClassVar

import pytest
from asn1crypto import algos
from asn1crypto import core
from asn1crypto import tsp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import padding
from openssl_tool import openssl
from openssl_tool import requires_openssl
from pki_support import NOW
from pki_support import SoftwareSigner

from keys.pki import InternalPKI
from keys.pki import KeyMismatch
from keys.pki import SealSubject
from keys.pki import TimestampAuthority
from keys.pki import issue_seal_certificate
from keys.pki import issue_tsa_certificate
from keys.pki import respond_timestamp
from keys.pki.names import AuthorityName

DOCUMENT = b"%PDF-1.7 an approval"


def _request(
    data: bytes = DOCUMENT,
    *,
    hash_name: str = "sha256",
    nonce: int | None = 42,
    cert_req: bool = True,
    policy: str | None = None,
    digest: bytes | None = None,
) -> bytes:
    fields: dict[str, Any] = {
        "version": "v1",
        "message_imprint": {
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": hash_name}),
            "hashed_message": digest
            if digest is not None
            else hashlib.new(hash_name, data).digest(),
        },
        "cert_req": cert_req,
    }
    if nonce is not None:
        fields["nonce"] = nonce
    if policy is not None:
        fields["req_policy"] = policy
    request: bytes = tsp.TimeStampReq(fields).dump()
    return request


def _granted(response_der: bytes) -> Any:
    response = tsp.TimeStampResp.load(response_der)
    assert response["status"]["status"].native == "granted"
    return response["time_stamp_token"]


class _StatusOnly(core.Sequence):  # type: ignore[misc]
    # asn1crypto's TimeStampResp wrongly requires a token, which rejections omit.
    _fields: ClassVar = [("status", tsp.PKIStatusInfo)]


def _rejected_for(response_der: bytes) -> set[str]:
    response = _StatusOnly.load(response_der)
    assert response["status"]["status"].native == "rejection"
    assert response.dump() == response_der, "a rejection carries no token"
    return set(response["status"]["fail_info"].native)


def test_token_certifies_the_imprint_at_now(pki: InternalPKI) -> None:
    token = _granted(
        respond_timestamp(
            pki.tsa, _request(), now=NOW + timedelta(microseconds=7), serial_number=1001
        )
    )
    signed_data = token["content"]
    tst_info = signed_data["encap_content_info"]["content"].parsed
    assert tst_info["gen_time"].native == NOW
    assert tst_info["serial_number"].native == 1001
    assert tst_info["nonce"].native == 42
    assert tst_info["policy"].native == pki.tsa.policy
    assert tst_info["message_imprint"]["hashed_message"].native == hashlib.sha256(DOCUMENT).digest()
    assert tst_info["accuracy"]["seconds"].native == 1
    assert tst_info["tsa"].chosen.native == tsp.TSTInfo.load(tst_info.dump())["tsa"].chosen.native

    certificates = {c.chosen.dump() for c in signed_data["certificates"]}
    assert certificates == {
        pki.tsa.certificate.public_bytes(serialization.Encoding.DER),
        pki.issuing.certificate.public_bytes(serialization.Encoding.DER),
    }


def test_token_signature_verifies_and_names_the_tsa_certificate(pki: InternalPKI) -> None:
    signed_data = _granted(respond_timestamp(pki.tsa, _request(), now=NOW))["content"]
    signer_info = signed_data["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer_info["signed_attrs"]}
    tst_der = signed_data["encap_content_info"]["content"].contents
    assert attrs["content_type"].native == "tst_info"
    assert attrs["message_digest"].native == hashlib.sha256(tst_der).digest()
    tsa_der = pki.tsa.certificate.public_bytes(serialization.Encoding.DER)
    assert (
        attrs["signing_certificate_v2"]["certs"][0]["cert_hash"].native
        == hashlib.sha256(tsa_der).digest()
    )

    signed_attrs_der = b"\x31" + signer_info["signed_attrs"].dump()[1:]
    public_key = pki.tsa.certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signer_info["signature"].native, signed_attrs_der, ec.ECDSA(hashes.SHA256()))
    assert signer_info["signature_algorithm"]["algorithm"].native == "sha256_ecdsa"


def test_without_cert_req_no_certificates_are_sent(pki: InternalPKI) -> None:
    signed_data = _granted(
        respond_timestamp(pki.tsa, _request(cert_req=False, nonce=None), now=NOW)
    )["content"]
    assert not signed_data["certificates"].native
    tst_info = signed_data["encap_content_info"]["content"].parsed
    assert tst_info["nonce"].native is None


def test_serial_numbers_differ_by_default(pki: InternalPKI) -> None:
    serials = {
        _granted(respond_timestamp(pki.tsa, _request(), now=NOW))["content"]["encap_content_info"][
            "content"
        ]
        .parsed["serial_number"]
        .native
        for _ in range(3)
    }
    assert len(serials) == 3


@pytest.mark.parametrize(
    ("request_der", "failure"),
    [
        pytest.param(b"not DER at all", "bad_data_format", id="garbage"),
        pytest.param(_request(hash_name="sha1"), "bad_alg", id="sha1"),
        pytest.param(_request(hash_name="md5"), "bad_alg", id="md5"),
        pytest.param(_request(digest=b"\x00" * 20), "bad_data_format", id="short-digest"),
        pytest.param(_request(policy="1.2.3.4"), "unaccepted_policy", id="other-policy"),
    ],
)
def test_bad_requests_are_rejected_with_a_reason(
    pki: InternalPKI, request_der: bytes, failure: str
) -> None:
    assert _rejected_for(respond_timestamp(pki.tsa, request_der, now=NOW)) == {failure}


def test_the_tsa_policy_may_be_requested(pki: InternalPKI) -> None:
    _granted(respond_timestamp(pki.tsa, _request(policy=pki.tsa.policy), now=NOW))


def test_an_rsa_tsa(pki: InternalPKI) -> None:
    key = SoftwareSigner.generate("RS256")
    certificate = issue_tsa_certificate(
        pki.issuing, key.public_key(), AuthorityName("RSA TSA", "通办"), now=NOW
    )
    tsa = TimestampAuthority(certificate, key)
    signer_info = _granted(respond_timestamp(tsa, _request(), now=NOW))["content"]["signer_infos"][
        0
    ]
    signed_attrs_der = b"\x31" + signer_info["signed_attrs"].dump()[1:]
    key.public_key().verify(
        signer_info["signature"].native, signed_attrs_der, padding.PKCS1v15(), hashes.SHA256()
    )


def test_a_tsa_needs_a_timestamping_certificate(pki: InternalPKI) -> None:
    key = SoftwareSigner.generate()
    seal = issue_seal_certificate(
        pki.issuing, key.public_key(), SealSubject("通办", "通办章"), now=NOW
    )
    with pytest.raises(KeyMismatch, match="timeStamping"):
        TimestampAuthority(seal, key)
    with pytest.raises(KeyMismatch):
        TimestampAuthority(pki.tsa.certificate, key)


@requires_openssl
def test_openssl_verifies_the_token(pki: InternalPKI, tmp_path: Path) -> None:
    pem = serialization.Encoding.PEM
    (tmp_path / "root.pem").write_bytes(pki.root.certificate.public_bytes(pem))
    (tmp_path / "issuing.pem").write_bytes(pki.issuing.certificate.public_bytes(pem))
    (tmp_path / "resp.der").write_bytes(respond_timestamp(pki.tsa, _request(), now=NOW))
    result = openssl(
        "ts",
        "-verify",
        "-in",
        tmp_path / "resp.der",
        "-digest",
        hashlib.sha256(DOCUMENT).hexdigest(),
        "-CAfile",
        tmp_path / "root.pem",
        "-untrusted",
        tmp_path / "issuing.pem",
        "-attime",
        str(int(NOW.timestamp()) + 60),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "Verification: OK" in result.stdout
