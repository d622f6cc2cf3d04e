"""PAdES stamping: a seal's visible signature, an RFC 3161 timestamp, and B-LT material.

One :class:`SealStamper` is built per seal and reused for every document it stamps:
the signing-certificate attribute, the timestamper (with its cached sizing token), the
parsed seal appearance and the size to reserve are worked out once.
:meth:`SealStamper.stamp` then, in one incremental update,

1. opens the input (damaged, encrypted or oversized input is refused),
2. adds a signature field whose widget shows the seal, centred on the placement,
3. adds a /DSS with the certificates, CRLs and OCSP responses a verifier needs later
   without network access (PAdES B-LT),
4. signs (PAdES, ``/ETSI.CAdES.detached``) with the signing time ``now`` and a
   signature timestamp from the TSA (PAdES B-T), covering all of the above.

The caller brings the validation material (fresh OCSP for the seal, current CRLs),
so stamping itself never goes to the network.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any
from typing import Final
from typing import cast

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import misc
from pyhanko.sign import fields
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata
from pyhanko.sign.signers import PdfSigner
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import DocumentSecurityStore

from keys.pki.ca import public_key_der
from keys.signer import Signer
from signing.errors import PlacementInvalid
from signing.errors import SealCredentialsInvalid
from signing.errors import SigningError as TongbanSigningError
from signing.errors import StampingFailed
from signing.errors import TimestampUnavailable
from signing.pades._appearance import SealAppearance
from signing.pades._documents import DEFAULT_MAX_PDF_BYTES
from signing.pades._documents import find_named_destination
from signing.pades._documents import open_for_signing
from signing.pades._documents import page_box
from signing.pades._port_signer import PortSigner
from signing.pades._port_signer import to_asn1
from signing.pades._timestamper import ClientTimeStamper
from signing.seal_image import SealImage
from signing.timestamping import TimestampClient

__all__ = [
    "AtAnchor",
    "AtPosition",
    "Placement",
    "SealCredentials",
    "SealStamper",
    "ValidationMaterial",
]

_FIELD_PREFIX: Final = "Seal"
# Hex digits reserved beyond the measured size of a dummy signature: TSA tokens vary
# by a few bytes (serial number, nonce, signature length). Every reserved digit is
# parsed again by each verification, so the margin is small and a stamp whose
# signature does not fit is redone once with pyHanko's generous estimate.
_RESERVE_SLACK: Final = 512
_TOO_SMALL: Final = "Final ByteRange payload larger than expected"


@dataclass(frozen=True)
class SealCredentials:
    """The seal's key and certificate, with the CA certificates above it (root optional)."""

    signer: Signer
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    def __post_init__(self) -> None:
        if public_key_der(self.certificate.public_key()) != public_key_der(
            self.signer.public_key()
        ):
            raise SealCredentialsInvalid(detail=f"certificate does not match {self.signer.kid}")

    @property
    def seal_name(self) -> str:
        """The seal's name as certified (the subject's common name)."""
        names = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else self.certificate.subject.rfc4514_string()


@dataclass(frozen=True)
class AtPosition:
    """Centre the seal at (x, y) on ``page`` (0-based), in points from the bottom left."""

    page: int
    x: float
    y: float


@dataclass(frozen=True)
class AtAnchor:
    """Centre the seal on a named destination of the document (e.g. ``seal-1``)."""

    name: str


Placement = AtPosition | AtAnchor
"""Where a visible seal goes."""


@dataclass(frozen=True)
class ValidationMaterial:
    """What a verifier needs besides the signature to check it offline (PAdES B-LT).

    :param certificates: every CA certificate of the seal's and the TSA's chains
    :param crls: DER CRLs covering those chains
    :param ocsp_responses: DER OCSP responses, e.g. a fresh one for the seal certificate
    """

    certificates: tuple[x509.Certificate, ...] = ()
    crls: tuple[bytes, ...] = ()
    ocsp_responses: tuple[bytes, ...] = field(default=())


class SealStamper:
    """Stamps documents with one seal; build once per seal and reuse.

    :param image: the visible seal; ``None`` signs invisibly
    :param timestamp_client: where signature timestamps come from
    :param reason: the signature dictionary's /Reason, e.g. 行政审批
    :param location: the signature dictionary's /Location
    """

    def __init__(
        self,
        credentials: SealCredentials,
        image: SealImage | None,
        timestamp_client: TimestampClient,
        *,
        reason: str | None = None,
        location: str | None = None,
        max_input_bytes: int = DEFAULT_MAX_PDF_BYTES,
    ) -> None:
        self.credentials = credentials
        self._appearance = SealAppearance(image) if image is not None else None
        self._timestamper = ClientTimeStamper(timestamp_client)
        self._reason = reason
        self._location = location
        self._max_input_bytes = max_input_bytes
        self._bytes_reserved: int | None = None
        # The ESS signing-certificate-v2 attribute, built once for this seal's certificate.
        self._signing_certificate_v2 = PortSigner(
            credentials.signer, credentials.certificate, credentials.chain
        ).attribute_der

    def stamp(
        self,
        pdf: bytes,
        placement: Placement | None,
        *,
        now: datetime,
        validation: ValidationMaterial,
    ) -> bytes:
        """Seal ``pdf`` at ``placement`` (``None``: invisible) as of ``now``; returns the PDF.

        Raises :class:`~signing.errors.SigningError` subclasses: the input is unreadable,
        encrypted or too large, the placement is off the page, the certificate is not
        valid at ``now``, or the TSA failed. Nothing is returned half-written.
        """
        self._check_certificate_at(now)
        try:
            return self._stamp_once(pdf, placement, now, validation, generous=False)
        except SigningError as exc:
            if _TOO_SMALL not in str(exc):
                raise StampingFailed(detail=f"{type(exc).__name__}: {exc}") from exc
        return self._stamp_once(pdf, placement, now, validation, generous=True)

    def _stamp_once(
        self,
        pdf: bytes,
        placement: Placement | None,
        now: datetime,
        validation: ValidationMaterial,
        *,
        generous: bool,
    ) -> bytes:
        writer = open_for_signing(pdf, max_bytes=self._max_input_bytes)
        name = _free_field_name(writer)
        if placement is None:
            field_spec = fields.SigFieldSpec(sig_field_name=name)
        elif self._appearance is None:
            raise PlacementInvalid("This stamper has no seal image for a visible seal.")
        else:
            field_spec = self._visible_field(writer, name, placement, self._appearance)
        try:
            return asyncio.run(self._sign(writer, field_spec, now, validation, generous))
        except TongbanSigningError:
            raise
        except TimestampRequestError as exc:
            raise TimestampUnavailable(detail=str(exc)) from exc
        except SigningError as exc:
            if _TOO_SMALL in str(exc) and not generous:
                raise  # stamp() retries with a generous reservation
            raise StampingFailed(detail=f"{type(exc).__name__}: {exc}") from exc
        except (misc.PdfError, ValueError, KeyError, TypeError) as exc:
            raise StampingFailed(detail=f"{type(exc).__name__}: {exc}") from exc

    async def _sign(
        self,
        writer: Any,
        field_spec: fields.SigFieldSpec,
        now: datetime,
        validation: ValidationMaterial,
        generous: bool,
    ) -> bytes:
        meta = PdfSignatureMetadata(
            field_name=field_spec.sig_field_name,
            md_algorithm=None,
            subfilter=fields.SigSeedSubFilter.PADES,
            name=self.credentials.seal_name,
            reason=self._reason,
            location=self._location,
        )
        pdf_signer = PdfSigner(
            meta,
            # A fresh pyHanko signer per document keeps concurrent stamps apart; it
            # costs no more than reusing one, as asn1crypto copies shared objects.
            signer=PortSigner(
                self.credentials.signer,
                self.credentials.certificate,
                self.credentials.chain,
                signing_certificate_v2_der=self._signing_certificate_v2,
            ),
            timestamper=self._timestamper,
            stamp_style=self._appearance.stamp_style() if self._appearance else None,
            new_field_spec=field_spec,
        )
        session = pdf_signer.init_signing_session(writer)
        session.system_time = now
        # The validation data go into the signed revision itself: one revision is
        # B-LT already, and validators without incremental-update analysis see a
        # signature covering the whole file. There is then no VRI (it would need
        # the signature's hash), which PAdES does not require.
        DocumentSecurityStore.supply_dss_in_writer(
            writer,
            None,
            certs=[to_asn1(c) for c in (*self.credentials.chain, *validation.certificates)],
            ocsps=[asn1_ocsp.OCSPResponse.load(r) for r in validation.ocsp_responses],
            crls=[asn1_crl.CertificateList.load(c) for c in validation.crls],
        )
        if generous:
            reserved = int(await session.estimate_signature_container_size(None, tight=False))
            self._bytes_reserved = None
        else:
            if self._bytes_reserved is None:
                estimate = await session.estimate_signature_container_size(None, tight=True)
                self._bytes_reserved = int(estimate) + _RESERVE_SLACK
            reserved = self._bytes_reserved
        tbs = session.prepare_tbs_document(validation_info=None, bytes_reserved=reserved)
        prepared, output = tbs.digest_tbs_document(output=io.BytesIO())
        await tbs.perform_signature(
            document_digest=prepared.document_digest,
            pdf_cms_signed_attrs=PdfCMSSignedAttributes(signing_time=now),
        )
        assert isinstance(output, io.BytesIO)  # noqa: S101 - we passed a BytesIO in
        return output.getvalue()

    def _visible_field(
        self, writer: Any, name: str, placement: Placement, appearance: SealAppearance
    ) -> fields.SigFieldSpec:
        page_ref = None
        if isinstance(placement, AtAnchor):
            page, page_ref, x, y = find_named_destination(writer.prev, placement.name)
        else:
            page, x, y = placement.page, placement.x, placement.y
        page_count = int(writer.prev.root["/Pages"]["/Count"])
        if not 0 <= page < page_count:
            raise PlacementInvalid(f"The document has no page {page + 1}.")
        left, bottom, right, top = page_box(writer.prev, page, page_ref)
        half_width = appearance.image.width_pt / 2
        half_height = appearance.image.height_pt / 2
        box = (x - half_width, y - half_height, x + half_width, y + half_height)
        if box[0] < left or box[1] < bottom or box[2] > right or box[3] > top:
            raise PlacementInvalid("The seal would extend beyond the page.")
        # pyHanko annotates the box as ints but writes any number to /Rect; keeping the
        # fractions keeps the seal at its exact physical size.
        return fields.SigFieldSpec(
            sig_field_name=name, on_page=page, box=cast(tuple[int, int, int, int], box)
        )

    def _check_certificate_at(self, now: datetime) -> None:
        certificate = self.credentials.certificate
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise SealCredentialsInvalid(
                "The seal's certificate is not valid at the signing time.",
                detail=f"{certificate.not_valid_before_utc}..{certificate.not_valid_after_utc}",
            )


def _free_field_name(writer: Any) -> str:
    taken = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev)}
    index = len(taken) + 1
    while f"{_FIELD_PREFIX}{index}" in taken:
        index += 1
    return f"{_FIELD_PREFIX}{index}"
