"""Verification reports: valid seals, countersignatures, and every way a seal can fail."""

# mypy: disable-error-code="no-untyped-call"
# (the tests build tampered files with pyHanko's partly untyped writer API)

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime
from datetime import timedelta

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from signing_support import NOW
from signing_support import encrypted_pdf
from signing_support import make_pki
from signing_support import make_seal
from signing_support import validation_material

from keys.pki import InternalPKI
from keys.pki import RevocationReason
from keys.pki import RevokedCertificate
from keys.pki import build_crl
from signing.errors import PDFEncrypted
from signing.errors import PDFNotSigned
from signing.errors import PDFUnreadable
from signing.errors import SealInvalid
from signing.pades import AtAnchor
from signing.pades import SealCredentials
from signing.pades import SealStamper
from signing.pades import TrustAnchors
from signing.pades import ValidationMaterial
from signing.render import RenderedApproval
from signing.seal_image import SealImage
from signing.timestamping import local_timestamp_client
from signing.verify import Problem
from signing.verify import Verdict
from signing.verify import require_valid
from signing.verify import verify_pdf

Stamper = Callable[[SealCredentials], SealStamper]
LATER = NOW + timedelta(days=200)


@pytest.fixture(scope="module")
def sealed(
    pki: InternalPKI, seal: SealCredentials, stamper_for: Stamper, rendered: RenderedApproval
) -> bytes:
    return stamper_for(seal).stamp(
        rendered.pdf, AtAnchor("seal-1"), now=NOW, validation=validation_material(pki, seal, NOW)
    )


def test_a_sealed_approval_is_valid(sealed: bytes, trust: TrustAnchors) -> None:
    report = verify_pdf(sealed, trust, now=LATER)
    assert report.verdict is Verdict.VALID
    (signature,) = report.signatures
    assert signature.seal_name == "浙江省市场监督管理局行政审批专用章"
    assert signature.department == "浙江省市场监督管理局"
    assert signature.signing_time == NOW
    assert signature.timestamp is not None
    assert signature.timestamp.time == NOW
    assert signature.timestamp.trusted
    assert signature.timestamp.authority.startswith("CN=Tongban Timestamp Authority")
    assert signature.validation_time == NOW, "validated as of the timestamp, not of LATER"
    assert (signature.intact, signature.valid, signature.trusted) == (True, True, True)
    assert signature.chain[0].startswith("CN=浙江省市场监督管理局行政审批专用章")
    assert signature.chain[-1].startswith("CN=Tongban Root CA")
    assert signature.revocation.checked
    assert not signature.revocation.revoked
    assert signature.coverage == "entire_file"
    assert not signature.updated_after_signing
    assert signature.problems == ()
    require_valid(report)


def test_report_is_json_serialisable(sealed: bytes, trust: TrustAnchors) -> None:
    document = json.loads(json.dumps(verify_pdf(sealed, trust, now=LATER).to_json()))
    assert document["verdict"] == "valid"
    assert document["signatures"][0]["timestamp"]["time"] == NOW.isoformat()
    assert document["signatures"][0]["problems"] == []


def test_countersigned_approval_has_two_valid_seals(
    pki: InternalPKI,
    seal: SealCredentials,
    second_seal: SealCredentials,
    stamper_for: Stamper,
    seal_image: SealImage,
    joint_rendered: RenderedApproval,
    trust: TrustAnchors,
) -> None:
    first = stamper_for(seal).stamp(
        joint_rendered.pdf,
        AtAnchor("seal-1"),
        now=NOW,
        validation=validation_material(pki, seal, NOW),
    )
    later = NOW + timedelta(hours=2)
    countersigner = SealStamper(
        second_seal, seal_image, local_timestamp_client(pki.tsa, lambda: later)
    )
    both = countersigner.stamp(
        first,
        AtAnchor("seal-2"),
        now=later,
        validation=validation_material(pki, second_seal, later),
    )
    report = verify_pdf(both, trust, now=LATER)
    assert report.verdict is Verdict.VALID
    one, two = report.signatures
    assert (one.department, two.department) == ("浙江省市场监督管理局", "浙江省商务厅")
    assert one.updated_after_signing
    assert one.modification == "signatures_and_forms"
    assert one.later_revisions == 1
    assert two.coverage == "entire_file"
    assert two.timestamp is not None
    assert two.timestamp.time == later


def test_a_flipped_byte_breaks_the_signature(sealed: bytes, trust: TrustAnchors) -> None:
    index = sealed.index(b"ReportLab")
    tampered = sealed[:index] + b"R" + sealed[index + 1 :].replace(b"eportLab", b"eportLob", 1)
    report = verify_pdf(tampered, trust, now=LATER)
    assert report.verdict is Verdict.INVALID
    (signature,) = report.signatures
    assert not signature.intact
    assert Problem.SIGNATURE_BROKEN in signature.problems
    with pytest.raises(SealInvalid) as raised:
        require_valid(report)
    assert "signature_broken" in raised.value.detail
    assert str(raised.value) == SealInvalid.public_message


def _add_after_signing(pdf: bytes, content: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    stream = writer.add_object(generic.StreamObject(stream_data=content))
    writer.add_stream_to_page(0, stream)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def test_content_added_after_signing_is_called_out(sealed: bytes, trust: TrustAnchors) -> None:
    updated = _add_after_signing(sealed, b"0 0 1 rg 100 100 200 50 re f")
    report = verify_pdf(updated, trust, now=LATER)
    (signature,) = report.signatures
    assert signature.intact, "the signed revision itself is untouched"
    assert signature.updated_after_signing
    assert signature.later_revisions == 1
    assert signature.coverage == "entire_revision"
    assert signature.modification == "other"
    assert Problem.MODIFIED_AFTER_SIGNING in signature.problems
    assert report.verdict is Verdict.INVALID


def test_annotation_added_after_signing_is_called_out(sealed: bytes, trust: TrustAnchors) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    note = writer.add_object(
        generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Square"),
                generic.pdf_name("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (100, 100, 300, 200)]
                ),
            }
        )
    )
    page["/Annots"] = generic.ArrayObject([note])
    writer.update_container(page)
    output = io.BytesIO()
    writer.write(output)
    report = verify_pdf(output.getvalue(), trust, now=LATER)
    (signature,) = report.signatures
    assert signature.modification in ("annotations", "other")
    assert Problem.MODIFIED_AFTER_SIGNING in signature.problems


def test_seal_revoked_before_signing_is_invalid(
    pki: InternalPKI, stamper_for: Stamper, rendered: RenderedApproval, trust: TrustAnchors
) -> None:
    compromised = make_seal(pki, "某县市场监督管理局", "某县市场监督管理局行政审批专用章", NOW)
    revoked = (
        RevokedCertificate(
            compromised.certificate.serial_number,
            NOW - timedelta(hours=1),
            RevocationReason.KEY_COMPROMISE,
        ),
    )
    out = stamper_for(compromised).stamp(
        rendered.pdf,
        AtAnchor("seal-1"),
        now=NOW,
        validation=validation_material(pki, compromised, NOW, revoked),
    )
    report = verify_pdf(out, trust, now=LATER)
    (signature,) = report.signatures
    assert report.verdict is Verdict.INVALID
    assert Problem.CERTIFICATE_REVOKED in signature.problems
    assert signature.revocation.revoked
    assert signature.revocation.revoked_at == NOW - timedelta(hours=1)
    assert signature.revocation.reason == "key_compromise"


def test_revocation_published_later_but_dated_before_signing(
    pki: InternalPKI, stamper_for: Stamper, rendered: RenderedApproval
) -> None:
    # The document carries only a CRL without the entry (the signer withheld news of
    # the compromise); the verifier brings the CA's current CRL.
    stolen = make_seal(pki, "某区行政审批局", "某区行政审批局行政审批专用章", NOW)
    out = stamper_for(stolen).stamp(
        rendered.pdf, AtAnchor("seal-1"), now=NOW, validation=_crls_only(pki, NOW)
    )
    revoked = RevokedCertificate(
        stolen.certificate.serial_number,
        NOW - timedelta(minutes=30),
        RevocationReason.KEY_COMPROMISE,
    )
    current_crl = build_crl(pki.issuing, [revoked], crl_number=9, now=NOW + timedelta(days=2))
    trust = TrustAnchors(roots=(pki.root.certificate,), crls=(current_crl,))
    report = verify_pdf(out, trust, now=LATER)
    assert report.verdict is Verdict.INVALID
    assert Problem.CERTIFICATE_REVOKED in report.signatures[0].problems


def test_revocation_after_signing_leaves_the_seal_valid(
    pki: InternalPKI, stamper_for: Stamper, rendered: RenderedApproval
) -> None:
    retired = make_seal(pki, "某镇人民政府", "某镇人民政府印章", NOW)
    out = stamper_for(retired).stamp(
        rendered.pdf, AtAnchor("seal-1"), now=NOW, validation=_crls_only(pki, NOW)
    )
    revoked = RevokedCertificate(
        retired.certificate.serial_number, NOW + timedelta(days=1), RevocationReason.SUPERSEDED
    )
    current_crl = build_crl(pki.issuing, [revoked], crl_number=9, now=NOW + timedelta(days=2))
    trust = TrustAnchors(roots=(pki.root.certificate,), crls=(current_crl,))
    report = verify_pdf(out, trust, now=LATER)
    assert report.verdict is Verdict.VALID, report.signatures[0].problems


def _crls_only(pki: InternalPKI, now: datetime) -> ValidationMaterial:
    return ValidationMaterial(
        certificates=(pki.issuing.certificate, pki.root.certificate),
        crls=(
            build_crl(pki.root, [], crl_number=1, now=NOW),
            build_crl(pki.issuing, [], crl_number=1, now=NOW),
        ),
    )


def test_untrusted_root_is_not_trusted(sealed: bytes) -> None:
    stranger = make_pki(NOW, organization="某省数据局")
    report = verify_pdf(sealed, TrustAnchors(roots=(stranger.root.certificate,)), now=LATER)
    (signature,) = report.signatures
    assert report.verdict is Verdict.INDETERMINATE
    assert signature.intact
    assert signature.valid
    assert not signature.trusted
    assert Problem.CERTIFICATE_UNTRUSTED in signature.problems
    assert Problem.TIMESTAMP_UNTRUSTED in signature.problems
    with pytest.raises(SealInvalid):
        require_valid(report)


def test_an_impostor_root_with_the_same_name_is_not_trusted(sealed: bytes) -> None:
    impostor = make_pki(NOW)
    report = verify_pdf(sealed, TrustAnchors(roots=(impostor.root.certificate,)), now=LATER)
    (signature,) = report.signatures
    assert report.verdict is Verdict.INDETERMINATE
    assert not signature.trusted
    assert Problem.CHAIN_INVALID in signature.problems


def test_missing_revocation_data_is_indeterminate(
    pki: InternalPKI,
    seal: SealCredentials,
    stamper_for: Stamper,
    rendered: RenderedApproval,
    trust: TrustAnchors,
) -> None:
    out = stamper_for(seal).stamp(
        rendered.pdf, AtAnchor("seal-1"), now=NOW, validation=ValidationMaterial()
    )
    report = verify_pdf(out, trust, now=LATER)
    assert report.verdict is Verdict.INDETERMINATE
    assert Problem.REVOCATION_UNKNOWN in report.signatures[0].problems


def test_unsigned_pdf(rendered: RenderedApproval, trust: TrustAnchors) -> None:
    with pytest.raises(PDFNotSigned):
        verify_pdf(rendered.pdf, trust, now=LATER)


@pytest.mark.parametrize(
    ("pdf", "error"),
    [
        pytest.param(b"%PDF-1.4 garbage", PDFUnreadable, id="garbage"),
        pytest.param(b"GIF89a", PDFUnreadable, id="not-pdf"),
    ],
)
def test_unreadable_files(pdf: bytes, error: type[Exception], trust: TrustAnchors) -> None:
    with pytest.raises(error):
        verify_pdf(pdf, trust, now=LATER)


def test_encrypted_file(trust: TrustAnchors) -> None:
    with pytest.raises(PDFEncrypted):
        verify_pdf(encrypted_pdf(), trust, now=LATER)
