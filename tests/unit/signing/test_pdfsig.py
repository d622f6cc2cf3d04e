"""Independent validation with poppler's pdfsig (NSS), trusting our root and asking our
OCSP responder over HTTP, as a relying party's viewer would.

NSS checks certificates against the wall clock and fetches OCSP live, so this test
builds its PKI at the current time (taken once, passed in like everywhere else) and
serves the OCSP responder on a loopback port named in the certificates' AIA.
"""

from __future__ import annotations

import base64
import dataclasses
import shutil
import subprocess
import threading
import urllib.parse
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from signing_support import make_pki
from signing_support import make_seal
from signing_support import validation_material

from keys.pki import CertificateAuthority
from keys.pki import CertificateState
from keys.pki import Good
from keys.pki import InternalPKI
from keys.pki import PublicationPoints
from keys.pki import RevokedCertificate
from keys.pki import respond_ocsp
from signing.pades import AtAnchor
from signing.pades import SealCredentials
from signing.pades import SealStamper
from signing.render import RenderedApproval
from signing.seal_image import SealImage
from signing.timestamping import local_timestamp_client

PDFSIG = shutil.which("pdfsig")
CERTUTIL = shutil.which("certutil")
pytestmark = pytest.mark.skipif(
    PDFSIG is None or CERTUTIL is None,
    reason="pdfsig or certutil not installed (Debian packages poppler-utils, libnss3-tools)",
)


@dataclass
class LivePKI:
    pki: InternalPKI
    now: datetime
    states: dict[int, CertificateState]
    nssdir: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePKI]:
    now = datetime.now(UTC).replace(microsecond=0)
    states: dict[int, CertificateState] = {}
    holder: dict[str, InternalPKI] = {}

    class OCSPHandler(BaseHTTPRequestHandler):
        def _answer(self, request: bytes) -> None:
            # NSS checks the answer as of the signing time, so it must not be
            # newer than that: answer as of the fixture's clock.
            reply = respond_ocsp(
                holder["pki"].ocsp_responder,
                request,
                lambda serial: states.get(serial, Good()),
                now=now,
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/ocsp-response")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def do_POST(self) -> None:
            self._answer(self.rfile.read(int(self.headers["Content-Length"])))

        def do_GET(self) -> None:  # RFC 6960, appendix A.1: base64 may contain "/"
            prefix = "/pki/ocsp/"
            if not self.path.startswith(prefix):
                self.send_error(404)
                return
            self._answer(base64.b64decode(urllib.parse.unquote(self.path[len(prefix) :])))

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), OCSPHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pki = make_pki(now, base_url=f"http://127.0.0.1:{server.server_address[1]}")
    holder["pki"] = pki

    directory = tmp_path_factory.mktemp("nss")
    root = directory / "root.pem"
    root.write_bytes(pki.root.certificate.public_bytes(serialization.Encoding.PEM))
    nssdir = f"sql:{directory}"
    assert CERTUTIL is not None
    subprocess.run([CERTUTIL, "-N", "-d", nssdir, "--empty-password"], check=True, timeout=30)
    subprocess.run(
        [CERTUTIL, "-A", "-d", nssdir, "-n", "tongban-root", "-t", "C,C,C", "-i", str(root)],
        check=True,
        timeout=30,
    )
    yield LivePKI(pki, now, states, nssdir)
    server.shutdown()
    server.server_close()


def _stamper(live: LivePKI, seal: SealCredentials, image: SealImage) -> SealStamper:
    return SealStamper(seal, image, local_timestamp_client(live.pki.tsa, lambda: live.now))


def _pdfsig(live: LivePKI, pdf: bytes, directory: Path) -> str:
    assert PDFSIG is not None
    path = directory / "sealed.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        [PDFSIG, "-nssdir", live.nssdir, str(path)], capture_output=True, text=True, timeout=60
    )
    return result.stdout


Sealer = Callable[[SealCredentials, bytes, str], bytes]


@pytest.fixture
def seal_with(live: LivePKI, seal_image: SealImage) -> Sealer:
    def seal(credentials: SealCredentials, pdf: bytes, anchor: str) -> bytes:
        return _stamper(live, credentials, seal_image).stamp(
            pdf,
            AtAnchor(anchor),
            now=live.now,
            validation=validation_material(live.pki, credentials, live.now),
        )

    return seal


def test_pdfsig_accepts_a_sealed_approval(
    live: LivePKI, seal_with: Sealer, rendered: RenderedApproval, tmp_path: Path
) -> None:
    credentials = make_seal(
        live.pki, "浙江省市场监督管理局", "浙江省市场监督管理局行政审批专用章", live.now
    )
    report = _pdfsig(live, seal_with(credentials, rendered.pdf, "seal-1"), tmp_path)
    assert "Signer Certificate Common Name: 浙江省市场监督管理局行政审批专用章" in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report
    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate is Trusted." in report


def test_pdfsig_accepts_both_seals_of_a_countersigned_approval(
    live: LivePKI, seal_with: Sealer, joint_rendered: RenderedApproval, tmp_path: Path
) -> None:
    # poppler 22.12 shuts NSS down between signatures, after which its online OCSP
    # fetch for the second one fails ("Unknown issue"); seals certified without an
    # OCSP URL are checked offline by NSS, which shows the file itself is right.
    issuing = live.pki.issuing
    offline = dataclasses.replace(
        live.pki,
        issuing=CertificateAuthority(
            issuing.certificate,
            issuing.signer,
            PublicationPoints(issuing.publication.ca_issuers_url, issuing.publication.crl_url),
        ),
    )
    first = make_seal(
        offline, "浙江省市场监督管理局", "浙江省市场监督管理局行政审批专用章", live.now
    )
    second = make_seal(offline, "浙江省商务厅", "浙江省商务厅行政审批专用章", live.now)
    both = seal_with(second, seal_with(first, joint_rendered.pdf, "seal-1"), "seal-2")
    report = _pdfsig(live, both, tmp_path)
    assert report.count("Signature is Valid.") == 2
    assert report.count("Certificate is Trusted.") == 2


def test_pdfsig_sees_a_flipped_byte(
    live: LivePKI, seal_with: Sealer, rendered: RenderedApproval, tmp_path: Path
) -> None:
    credentials = make_seal(
        live.pki, "浙江省市场监督管理局", "浙江省市场监督管理局行政审批专用章", live.now
    )
    sealed = seal_with(credentials, rendered.pdf, "seal-1")
    index = sealed.index(b"ReportLab")
    tampered = sealed[:index] + b"X" + sealed[index + 1 :]
    report = _pdfsig(live, tampered, tmp_path)
    assert "Signature is Valid." not in report
    assert "Digest Mismatch" in report or "Signature is Invalid" in report


def test_pdfsig_sees_a_revoked_seal(
    live: LivePKI, seal_with: Sealer, rendered: RenderedApproval, tmp_path: Path
) -> None:
    credentials = make_seal(
        live.pki, "某县市场监督管理局", "某县市场监督管理局行政审批专用章", live.now
    )
    sealed = seal_with(credentials, rendered.pdf, "seal-1")
    live.states[credentials.certificate.serial_number] = RevokedCertificate(
        credentials.certificate.serial_number, live.now - timedelta(minutes=5)
    )
    report = _pdfsig(live, sealed, tmp_path)
    assert "Certificate has been Revoked." in report
