"""A timestamp authority (RFC 3161) as a pure function: TimeStampReq DER in, TimeStampResp out.

The token is a CMS SignedData over a TSTInfo, signed through the
:class:`~keys.signer.Signer` port (ES256 is fine; pyHanko's DummyTimeStamper is RSA-only
and for tests). Requests we cannot honour get a ``rejection`` with the failure reason
of section 2.4.2, never an exception, so the HTTP endpoint can return the bytes as is.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from functools import cached_property
from typing import Any
from typing import ClassVar
from typing import Final

from asn1crypto import algos
from asn1crypto import cms
from asn1crypto import core
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from keys.pki.ca import public_key_der
from keys.pki.errors import KeyMismatch
from keys.pki.oids import TSA_POLICY
from keys.pki.signer_keys import cms_signature_mechanism
from keys.pki.signer_keys import x509_signature
from keys.signer import Signer

__all__ = ["ACCEPTED_IMPRINT_HASHES", "TimestampAuthority", "respond_timestamp"]

ACCEPTED_IMPRINT_HASHES: Final = {"sha256": 32, "sha384": 48, "sha512": 64}
"""Message-imprint hashes the TSA accepts, with their digest sizes. SHA-1 is refused."""


@dataclass(frozen=True)
class TimestampAuthority:
    """The TSA's certificate and key, and what it states in every token.

    :param chain: CA certificates above ``certificate``, sent when a request asks for
        certificates (``certReq``)
    :param accuracy: the accuracy the TSA claims for its clock (section 2.4.2)
    """

    certificate: x509.Certificate
    signer: Signer
    chain: tuple[x509.Certificate, ...] = ()
    policy: str = TSA_POLICY.dotted_string
    accuracy: timedelta = timedelta(seconds=1)

    def __post_init__(self) -> None:
        if public_key_der(self.certificate.public_key()) != public_key_der(
            self.signer.public_key()
        ):
            raise KeyMismatch(detail=f"TSA certificate vs key {self.signer.kid}")
        try:
            usage = self.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        except x509.ExtensionNotFound:
            usage = None
        if (
            usage is None
            or not usage.critical
            or list(usage.value) != [ExtendedKeyUsageOID.TIME_STAMPING]
        ):
            raise KeyMismatch(
                "A TSA certificate needs a critical extended key usage of timeStamping only."
            )

    # asn1crypto objects must not be shared between structures (it copies and
    # re-encodes them, slowly), so what is prepared once is kept as DER and loaded
    # afresh, lazily and cheaply, for every token.

    @cached_property
    def _certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @cached_property
    def _chain_der(self) -> tuple[bytes, ...]:
        return tuple(c.public_bytes(serialization.Encoding.DER) for c in self.chain)

    @cached_property
    def _subject_der(self) -> bytes:
        return self.certificate.subject.public_bytes()

    @cached_property
    def _signing_certificate_v2_der(self) -> bytes:
        cert = asn1_x509.Certificate.load(self._certificate_der)
        der: bytes = tsp.SigningCertificateV2(
            {
                "certs": [
                    {
                        "cert_hash": hashlib.sha256(self._certificate_der).digest(),
                        "issuer_serial": {
                            "issuer": [asn1_x509.GeneralName("directory_name", cert.issuer)],
                            "serial_number": cert.serial_number,
                        },
                    }
                ]
            }
        ).dump()
        return der


def respond_timestamp(
    tsa: TimestampAuthority,
    request_der: bytes,
    *,
    now: datetime,
    serial_number: int | None = None,
) -> bytes:
    """Answer one timestamp request; returns the DER ``TimeStampResp``.

    :param now: the time to certify (``genTime``), truncated to whole seconds
    :param serial_number: unique per token (section 2.4.2); random 127 bits by default
    """
    try:
        request = tsp.TimeStampReq.load(request_der)
        request.native  # noqa: B018  (parse every field now, so bad input fails here)
    except (ValueError, TypeError, OverflowError):
        return _rejection("bad_data_format", "request is not a DER TimeStampReq")

    if request["version"].native != "v1":
        return _rejection("bad_request", "unsupported request version")
    imprint = request["message_imprint"]
    hash_name = imprint["hash_algorithm"]["algorithm"].native
    if hash_name not in ACCEPTED_IMPRINT_HASHES:
        return _rejection("bad_alg", f"hash algorithm {hash_name} is not accepted")
    if len(imprint["hashed_message"].native) != ACCEPTED_IMPRINT_HASHES[hash_name]:
        return _rejection("bad_data_format", "hashed message has the wrong length")
    requested_policy = request["req_policy"].native
    if requested_policy is not None and requested_policy != tsa.policy:
        return _rejection("unaccepted_policy", "only the Tongban TSA policy is offered")
    if request["extensions"].native:
        return _rejection("unaccepted_extension", "request extensions are not supported")

    tst_info = _tst_info(tsa, request, now=now, serial_number=serial_number)
    token = _sign_tst_info(tsa, tst_info.dump(), include_certs=bool(request["cert_req"].native))
    response: bytes = tsp.TimeStampResp(
        {"status": {"status": "granted"}, "time_stamp_token": token}
    ).dump()
    return response


def _tst_info(
    tsa: TimestampAuthority, request: Any, *, now: datetime, serial_number: int | None
) -> Any:
    accuracy = tsa.accuracy
    whole_seconds = int(accuracy.total_seconds())
    millis = (accuracy - timedelta(seconds=whole_seconds)) // timedelta(milliseconds=1)
    fields: dict[str, Any] = {
        "version": "v1",
        "policy": tsa.policy,
        "message_imprint": tsp.MessageImprint.load(request["message_imprint"].dump()),
        "serial_number": serial_number if serial_number is not None else secrets.randbits(127),
        "gen_time": now.astimezone(UTC).replace(microsecond=0),
        "accuracy": {
            "seconds": whole_seconds or None,
            "millis": millis or None,
        },
        "tsa": asn1_x509.GeneralName("directory_name", asn1_x509.Name.load(tsa._subject_der)),
    }
    if request["nonce"].native is not None:
        fields["nonce"] = request["nonce"].native
    return tsp.TSTInfo(fields)


def _sign_tst_info(tsa: TimestampAuthority, tst_info_der: bytes, *, include_certs: bool) -> Any:
    digest_name = "sha512" if tsa.signer.alg == "EdDSA" else "sha256"  # RFC 8419, 3.1
    signed_attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["tst_info"]},
            {
                "type": "message_digest",
                "values": [hashlib.new(digest_name, tst_info_der).digest()],
            },
            {
                "type": "signing_certificate_v2",
                "values": [tsp.SigningCertificateV2.load(tsa._signing_certificate_v2_der)],
            },
        ]
    )
    certificate = asn1_x509.Certificate.load(tsa._certificate_der)
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": certificate.issuer,
                        "serial_number": certificate.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": digest_name},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": cms_signature_mechanism(tsa.signer)},
            "signature": x509_signature(tsa.signer, signed_attrs.dump()),
        }
    )
    signed_data: dict[str, Any] = {
        "version": "v3",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": digest_name})],
        "encap_content_info": {
            "content_type": "tst_info",
            "content": core.ParsableOctetString(tst_info_der),
        },
        "signer_infos": [signer_info],
    }
    if include_certs:
        signed_data["certificates"] = [
            asn1_x509.Certificate.load(der) for der in (tsa._certificate_der, *tsa._chain_der)
        ]
    return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})


class _RejectionResp(core.Sequence):  # type: ignore[misc]
    # asn1crypto's TimeStampResp makes timeStampToken mandatory; RFC 3161, section 2.4.2
    # leaves it out of every response that is not granted.
    _fields: ClassVar = [("status", tsp.PKIStatusInfo)]


def _rejection(failure: str, text: str) -> bytes:
    response: bytes = _RejectionResp(
        {
            "status": {
                "status": "rejection",
                "status_string": [text],
                "fail_info": tsp.PKIFailureInfo({failure}),
            }
        }
    ).dump()
    return response
