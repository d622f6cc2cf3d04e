"""`tongban seal|ca|approval|verify`, and the CA's publication points over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from tests.e2e.signing.signing_world import APPROVAL
from tests.e2e.signing.signing_world import SigningWorld
from tests.e2e.test_cli import one_error_line
from tongban.cli import main


def test_seal_lifecycle_and_stamping_from_the_command_line(
    cli: CliRunner, initialised: dict[str, str], tmp_path: Path
) -> None:
    assert (
        cli.invoke(
            main, ["department", "add", "--code", "scjgj", "--name", "浙江省市场监督管理局"]
        ).exit_code
        == 0
    )
    created = cli.invoke(
        main,
        [
            "seal",
            "create",
            "--department",
            "scjgj",
            "--purpose",
            "行政审批专用章",
            "--code",
            "3300000012345",
        ],
    )
    assert created.exit_code == 0, created.output
    assert "Created seal scjgj-1" in created.output
    listed = json.loads(cli.invoke(main, ["seal", "list", "--json"]).output)
    assert [(s["id"], s["status"]) for s in listed] == [("scjgj-1", "active")]
    data = tmp_path / "data.json"
    data.write_text(json.dumps(APPROVAL, ensure_ascii=False), encoding="utf-8")
    rendered = tmp_path / "approval.pdf"
    result = cli.invoke(
        main,
        ["approval", "render", "--data", str(data), "--seal", "scjgj-1", "--out", str(rendered)],
    )
    assert result.exit_code == 0, result.output
    verified = cli.invoke(main, ["verify", str(rendered)])
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("VALID: 1 seal(s)")
    countersigned = tmp_path / "countersigned.pdf"
    stamped = cli.invoke(
        main,
        [
            "approval",
            "stamp",
            str(rendered),
            "--seal",
            "scjgj-1",
            "--out",
            str(countersigned),
            "--page",
            "1",
            "--at",
            "150,400",
        ],
    )
    assert stamped.exit_code == 0, stamped.output
    report = json.loads(cli.invoke(main, ["verify", str(countersigned), "--json"]).output)
    assert report["verdict"] == "valid"
    assert len(report["signatures"]) == 2

    assert cli.invoke(main, ["seal", "suspend", "scjgj-1", "--reason", "审计"]).exit_code == 0
    refused = cli.invoke(
        main,
        ["approval", "stamp", str(rendered), "--seal", "scjgj-1", "--out", str(tmp_path / "x.pdf")],
    )
    assert one_error_line(refused) == "Error: The seal is suspended."
    assert not (tmp_path / "x.pdf").exists()
    assert cli.invoke(main, ["seal", "resume", "scjgj-1"]).exit_code == 0
    revoked = cli.invoke(main, ["seal", "revoke", "scjgj-1", "--reason", "key_compromise"])
    assert "is revoked and its certificate is on the CRL" in revoked.output
    shown = cli.invoke(main, ["seal", "show", "scjgj-1"]).output
    for action in ("created", "suspended", "resumed", "revoked"):
        assert action in shown
    assert one_error_line(cli.invoke(main, ["seal", "resume", "scjgj-1"])).startswith(
        "Error: Seal 'scjgj-1' is revoked"
    )

    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(rendered.read_bytes().replace(b"/Title", b"/Tytle", 1))
    bad = cli.invoke(main, ["verify", str(tampered)])
    assert bad.exit_code == 1
    assert bad.output.startswith("INVALID")
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    assert (
        one_error_line(cli.invoke(main, ["verify", str(junk)]))
        == "Error: The file is not a readable PDF."
    )
    root = cli.invoke(main, ["ca", "root"])
    assert (
        x509.load_pem_x509_certificate(root.output.encode())
        .subject.rfc4514_string()
        .startswith("CN=Tongban Root CA")
    )


def test_an_external_ca_certifies_a_seal_through_a_csr(
    cli: CliRunner, initialised: dict[str, str], tmp_path: Path
) -> None:
    from datetime import UTC
    from datetime import datetime
    from datetime import timedelta

    from keys.pki import SealSubject
    from keys.pki import issue_seal_certificate
    from tests.unit.signing.signing_support import make_pki

    cli.invoke(main, ["department", "add", "--code", "scjgj", "--name", "浙江省市场监督管理局"])
    created = cli.invoke(
        main,
        [
            "seal",
            "create",
            "--department",
            "scjgj",
            "--id",
            "scjgj-contract",
            "--purpose",
            "合同专用章",
            "--external",
        ],
    )
    assert "awaiting_certificate" in created.output
    refused = cli.invoke(
        main, ["approval", "render", "--data", "x", "--seal", "scjgj-contract", "--out", "y"]
    )
    assert refused.exit_code != 0
    csr = x509.load_pem_x509_csr(
        cli.invoke(main, ["seal", "csr", "scjgj-contract"]).output.encode()
    )
    assert csr.is_signature_valid
    provincial = make_pki(datetime.now(UTC), organization="浙江省数字证书认证中心")
    certificate = issue_seal_certificate(
        provincial.issuing,
        csr.public_key(),
        SealSubject("浙江省市场监督管理局", "浙江省市场监督管理局合同专用章"),
        now=datetime.now(UTC) - timedelta(minutes=1),
    )
    chain = tmp_path / "chain.pem"
    chain.write_bytes(
        b"".join(
            c.public_bytes(serialization.Encoding.PEM)
            for c in (certificate, provincial.issuing.certificate, provincial.root.certificate)
        )
    )
    imported = cli.invoke(main, ["seal", "import-cert", "scjgj-contract", str(chain)])
    assert imported.exit_code == 0, imported.output
    assert "it is active" in imported.output


def test_the_ca_publishes_certificates_crls_ocsp_and_timestamps(signing: SigningWorld) -> None:
    client = signing.world.client()
    root = x509.load_der_x509_certificate(client.get("/pki/root.crt").data)
    issuing = x509.load_der_x509_certificate(client.get("/pki/issuing.crt").data)
    issuing.verify_directly_issued_by(root)
    crl = x509.load_der_x509_crl(client.get("/pki/issuing.crl").data)
    assert crl.is_signature_valid(issuing.public_key())  # type: ignore[arg-type]
    seal = signing.service.seals.get(signing.seal_id)
    assert seal.certificate_serial is not None
    certificate = x509.load_pem_x509_certificate(_seal_certificate_pem(signing).encode())
    assert certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)

    def ask() -> ocsp.OCSPResponse:
        request = (
            ocsp.OCSPRequestBuilder().add_certificate(certificate, issuing, hashes.SHA256()).build()
        )
        answer = client.post(
            "/pki/ocsp",
            data=request.public_bytes(serialization.Encoding.DER),
            headers={"Content-Type": "application/ocsp-request"},
        )
        assert answer.mimetype == "application/ocsp-response"
        return ocsp.load_der_ocsp_response(answer.data)

    assert ask().certificate_status is ocsp.OCSPCertStatus.GOOD
    from datetime import UTC
    from datetime import datetime

    from keys.pki import RevocationReason

    signing.service.seals.revoke(
        signing.seal_id,
        reason=RevocationReason.KEY_COMPROMISE,
        note=None,
        now=datetime.now(UTC),
        actor="t",
    )
    assert ask().certificate_status is ocsp.OCSPCertStatus.REVOKED
    crl = x509.load_der_x509_crl(client.get("/pki/issuing.crl").data)
    assert crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None
    refused = client.post(
        "/pki/tsa", data=b"x", headers={"Content-Type": "application/timestamp-query"}
    )
    assert refused.mimetype == "application/timestamp-reply"  # a rejection, per RFC 3161


def _seal_certificate_pem(signing: SigningWorld) -> str:
    from signing.models import SealRecord

    with signing.service.deps.db.transaction() as session:
        record = session.get(SealRecord, signing.seal_id)
        assert record is not None
        assert record.certificate_der is not None
        return (
            x509.load_der_x509_certificate(record.certificate_der)
            .public_bytes(serialization.Encoding.PEM)
            .decode()
        )
