"""Stamping PDFs with seals: placement, appearance, timestamps, LT material, bad input."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from signing_support import NOW
from signing_support import encrypted_pdf
from signing_support import validation_material

from keys.pki import InternalPKI
from keys.pki import respond_timestamp
from signing.errors import PDFEncrypted
from signing.errors import PDFTooLarge
from signing.errors import PDFUnreadable
from signing.errors import PlacementInvalid
from signing.errors import SealCredentialsInvalid
from signing.errors import TimestampUnavailable
from signing.pades import AtAnchor
from signing.pades import AtPosition
from signing.pades import SealCredentials
from signing.pades import SealStamper
from signing.render import RenderedApproval
from signing.seal_image import SealImage
from signing.timestamping import http_timestamp_client
from signing.timestamping import local_timestamp_client

Stamper = Callable[[SealCredentials], SealStamper]


def _reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(io.BytesIO(pdf))


def _widget_rect(pdf: bytes, field: str) -> tuple[float, ...]:
    for signature in _reader(pdf).embedded_signatures:
        if signature.field_name == field:
            return tuple(float(v) for v in signature.sig_field["/Rect"])
    raise AssertionError(f"no field {field}")


def test_seal_is_centred_on_the_anchor_at_true_size(
    pki: InternalPKI,
    seal: SealCredentials,
    stamper_for: Stamper,
    rendered: RenderedApproval,
    seal_image: SealImage,
) -> None:
    anchor = rendered.anchors[0]
    out = stamper_for(seal).stamp(
        rendered.pdf, AtAnchor(anchor.name), now=NOW, validation=validation_material(pki, seal, NOW)
    )
    x1, y1, x2, y2 = _widget_rect(out, "Seal1")
    assert x2 - x1 == pytest.approx(seal_image.width_pt, abs=0.01)
    assert y2 - y1 == pytest.approx(42 / 25.4 * 72, abs=0.01)
    assert ((x1 + x2) / 2, (y1 + y2) / 2) == pytest.approx((anchor.x, anchor.y), abs=0.01)
    assert out.startswith(rendered.pdf), "stamping appends an incremental update"


def test_signature_dictionary_and_lt_material(
    pki: InternalPKI, seal: SealCredentials, stamper_for: Stamper, rendered: RenderedApproval
) -> None:
    out = stamper_for(seal).stamp(
        rendered.pdf,
        AtPosition(0, 300, 300),
        now=NOW,
        validation=validation_material(pki, seal, NOW),
    )
    reader = _reader(out)
    signature = reader.embedded_signatures[0]
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.sig_object["/Reason"] == "行政审批"
    assert signature.sig_object["/Name"] == "浙江省市场监督管理局行政审批专用章"
    assert signature.self_reported_timestamp == NOW
    unsigned = {a["type"].native for a in signature.signer_info["unsigned_attrs"]}
    assert "signature_time_stamp_token" in unsigned
    dss = reader.root["/DSS"]
    assert len(dss["/Certs"]) == 2
    assert len(dss["/CRLs"]) == 2
    assert len(dss["/OCSPs"]) == 1
    assert reader.xrefs.total_revisions == 2, "DSS is in the signed revision: one update"


def test_appearance_is_the_prepared_seal_with_multiply_ink(
    pki: InternalPKI, seal: SealCredentials, stamper_for: Stamper, rendered: RenderedApproval
) -> None:
    out = stamper_for(seal).stamp(
        rendered.pdf, AtAnchor("seal-1"), now=NOW, validation=validation_material(pki, seal, NOW)
    )
    widget = _reader(out).embedded_signatures[0].sig_field
    appearance = widget["/AP"]["/N"]
    # pyHanko sizes the form in whole points; viewers map its box onto the exact /Rect.
    x1, y1, x2, y2 = (float(v) for v in appearance["/BBox"])
    assert (abs(x2 - x1), abs(y2 - y1)) == pytest.approx((119.0551, 119.0551), abs=0.1)
    resources = appearance["/Resources"]
    states = [ref.get_object() for ref in resources["/ExtGState"].values()]
    assert any(state.get("/BM") == "/Multiply" for state in states)
    (font,) = (ref.get_object() for ref in resources["/Font"].values())
    assert font["/BaseFont"].startswith("/AAAAAA+UMing")
    assert b" Tj" in appearance.data, "the seal's own drawing is the appearance"


def test_invisible_signature(
    pki: InternalPKI, seal: SealCredentials, stamper_for: Stamper, rendered: RenderedApproval
) -> None:
    out = stamper_for(seal).stamp(
        rendered.pdf, None, now=NOW, validation=validation_material(pki, seal, NOW)
    )
    assert _widget_rect(out, "Seal1") == (0.0, 0.0, 0.0, 0.0)


def test_a_second_seal_gets_its_own_field(
    pki: InternalPKI,
    seal: SealCredentials,
    second_seal: SealCredentials,
    stamper_for: Stamper,
    joint_rendered: RenderedApproval,
) -> None:
    first = stamper_for(seal).stamp(
        joint_rendered.pdf,
        AtAnchor("seal-1"),
        now=NOW,
        validation=validation_material(pki, seal, NOW),
    )
    later = NOW + timedelta(minutes=3)
    both = stamper_for(second_seal).stamp(
        first,
        AtAnchor("seal-2"),
        now=later,
        validation=validation_material(pki, second_seal, later),
    )
    assert [s.field_name for s in _reader(both).embedded_signatures] == ["Seal1", "Seal2"]


@pytest.mark.parametrize(
    ("placement", "message"),
    [
        (AtPosition(5, 300, 300), "no page 6"),
        (AtPosition(0, 10, 300), "beyond the page"),
        (AtPosition(0, 300, 830), "beyond the page"),
        (AtAnchor("seal-9"), "no anchor named 'seal-9'"),
    ],
)
def test_bad_placements(
    pki: InternalPKI,
    seal: SealCredentials,
    stamper_for: Stamper,
    rendered: RenderedApproval,
    placement: AtPosition | AtAnchor,
    message: str,
) -> None:
    with pytest.raises(PlacementInvalid, match=message):
        stamper_for(seal).stamp(
            rendered.pdf, placement, now=NOW, validation=validation_material(pki, seal, NOW)
        )


def test_a_stamper_without_image_signs_only_invisibly(
    pki: InternalPKI, seal: SealCredentials, rendered: RenderedApproval
) -> None:
    stamper = SealStamper(seal, None, local_timestamp_client(pki.tsa, lambda: NOW))
    with pytest.raises(PlacementInvalid):
        stamper.stamp(
            rendered.pdf,
            AtAnchor("seal-1"),
            now=NOW,
            validation=validation_material(pki, seal, NOW),
        )


@pytest.mark.parametrize(
    ("pdf", "error"),
    [
        pytest.param(b"this is not a PDF", PDFUnreadable, id="not-pdf"),
        pytest.param(
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nendobj\n%%EOF", PDFUnreadable, id="no-xref"
        ),
        pytest.param(encrypted_pdf(), PDFEncrypted, id="encrypted"),
    ],
)
def test_bad_input_is_refused_clearly(
    pki: InternalPKI,
    seal: SealCredentials,
    stamper_for: Stamper,
    pdf: bytes,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        stamper_for(seal).stamp(pdf, None, now=NOW, validation=validation_material(pki, seal, NOW))


def test_truncated_pdf_is_unreadable(
    pki: InternalPKI, seal: SealCredentials, stamper_for: Stamper, rendered: RenderedApproval
) -> None:
    with pytest.raises(PDFUnreadable):
        stamper_for(seal).stamp(
            rendered.pdf[: len(rendered.pdf) // 2],
            None,
            now=NOW,
            validation=validation_material(pki, seal, NOW),
        )


def test_oversized_input_is_refused(
    pki: InternalPKI, seal: SealCredentials, seal_image: SealImage, rendered: RenderedApproval
) -> None:
    stamper = SealStamper(
        seal, seal_image, local_timestamp_client(pki.tsa, lambda: NOW), max_input_bytes=1000
    )
    with pytest.raises(PDFTooLarge):
        stamper.stamp(rendered.pdf, None, now=NOW, validation=validation_material(pki, seal, NOW))


def test_certificate_must_be_valid_at_signing_time(
    pki: InternalPKI, seal: SealCredentials, stamper_for: Stamper, rendered: RenderedApproval
) -> None:
    too_late = seal.certificate.not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(SealCredentialsInvalid):
        stamper_for(seal).stamp(
            rendered.pdf, None, now=too_late, validation=validation_material(pki, seal, NOW)
        )


def test_credentials_must_match(seal: SealCredentials, second_seal: SealCredentials) -> None:
    with pytest.raises(SealCredentialsInvalid):
        SealCredentials(seal.signer, second_seal.certificate, seal.chain)


def test_tsa_refusal_is_a_timestamp_error(
    pki: InternalPKI, seal: SealCredentials, seal_image: SealImage, rendered: RenderedApproval
) -> None:
    def refusing(request: bytes) -> bytes:
        return respond_timestamp(pki.tsa, b"garbage", now=NOW)

    stamper = SealStamper(seal, seal_image, refusing)
    with pytest.raises(TimestampUnavailable) as raised:
        stamper.stamp(rendered.pdf, None, now=NOW, validation=validation_material(pki, seal, NOW))
    assert "bad_data_format" in raised.value.detail


@pytest.fixture
def tsa_server(pki: InternalPKI) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers["Content-Type"] != "application/timestamp-query":
                self.send_error(415)
                return
            reply = respond_timestamp(pki.tsa, body, now=NOW)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    server.shutdown()
    server.server_close()


def test_timestamp_over_http(
    pki: InternalPKI,
    seal: SealCredentials,
    seal_image: SealImage,
    rendered: RenderedApproval,
    tsa_server: str,
) -> None:
    stamper = SealStamper(seal, seal_image, http_timestamp_client(tsa_server, timeout=5))
    out = stamper.stamp(
        rendered.pdf, AtAnchor("seal-1"), now=NOW, validation=validation_material(pki, seal, NOW)
    )
    unsigned = _reader(out).embedded_signatures[0].signer_info["unsigned_attrs"]
    assert unsigned[0]["type"].native == "signature_time_stamp_token"


def test_unreachable_tsa(
    pki: InternalPKI, seal: SealCredentials, seal_image: SealImage, rendered: RenderedApproval
) -> None:
    stamper = SealStamper(
        seal, seal_image, http_timestamp_client("http://127.0.0.1:9/tsa", timeout=2)
    )
    with pytest.raises(TimestampUnavailable):
        stamper.stamp(rendered.pdf, None, now=NOW, validation=validation_material(pki, seal, NOW))
