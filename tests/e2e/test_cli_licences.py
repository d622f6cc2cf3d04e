"""`tongban licence-type` and `tongban licence`: an operator's whole round, and offline checks."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.e2e.test_cli import one_error_line
from tests.integration.test_licence_service import HOLDER
from tests.integration.test_licence_service import business_data
from tongban.cli import main


def run(cli: CliRunner, *args: str, code: int = 0) -> str:
    result = cli.invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.stdout


def test_issue_publish_and_verify_offline(
    cli: CliRunner, initialised: dict[str, str], tmp_path: Path
) -> None:
    run(cli, "licence-type", "add", "--examples")
    listed = json.loads(run(cli, "licence-type", "list", "--json"))
    assert [t["id"] for t in listed] == ["business_licence", "food_business_permit"]
    assert json.loads(run(cli, "licence-type", "show", "business_licence"))["code"] == "YYZZ"
    run(
        cli,
        "licence",
        "issuer",
        "add",
        "scjgj",
        "--name",
        "杭州市西湖区市场监督管理局",
        "--code",
        "11330106MB1C586785",
    )
    # Without a seal the department cannot issue: nothing is written.
    data = tmp_path / "data.json"
    data.write_text(json.dumps(business_data(), ensure_ascii=False), encoding="utf-8")
    issue = ["licence", "issue", "--type", "business_licence", "--holder", HOLDER[0]]
    issue += ["--holder-name", HOLDER[1], "--data", str(data), "--json"]
    refused = cli.invoke(main, issue)
    assert refused.exit_code == 1
    assert "0 active seals" in refused.output
    run(cli, "department", "add", "--code", "scjgj", "--name", "杭州市西湖区市场监督管理局")
    run(cli, "seal", "create", "--department", "scjgj", "--purpose", "证照专用章")
    issued = json.loads(
        run(
            cli,
            "licence",
            "issue",
            "--type",
            "business_licence",
            "--holder",
            HOLDER[0],
            "--holder-name",
            HOLDER[1],
            "--data",
            str(data),
            "--json",
        )
    )
    licence_id, credential = issued["id"], issued["credential"]
    pdf = tmp_path / "licence.pdf"
    run(cli, "licence", "pdf", licence_id, "--out", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF-")
    trust, roots = tmp_path / "trust.jwt", tmp_path / "roots.json"
    run(cli, "licence", "trust-list", "--out", str(trust), "--roots", str(roots))
    run(cli, "licence", "status-list", "--out-dir", str(tmp_path))
    files = [
        "--trust-list",
        str(trust),
        "--roots",
        str(roots),
        "--status-list",
        str(tmp_path / "status-1.jwt"),
    ]
    checked = json.loads(run(cli, "licence", "verify", credential, *files, "--json"))
    assert checked["status"] == "valid"
    assert checked["licence"]["holder"]["name"] == HOLDER[1]
    # From the PDF itself: the QR is found on the page and decoded.
    assert (
        json.loads(run(cli, "licence", "verify", str(pdf), *files, "--json"))["status"] == "valid"
    )
    tampered = credential[:-4] + ("0000" if not credential.endswith("0000") else "1111")
    forged = json.loads(run(cli, "licence", "verify", tampered, *files, "--json", code=1))
    assert forged["status"] == "forged"
    assert "licence" not in forged

    run(cli, "licence", "suspend", licence_id, "--reason", "整改")
    run(cli, "licence", "status-list", "--out-dir", str(tmp_path))
    suspended = json.loads(run(cli, "licence", "verify", credential, *files, "--json", code=1))
    assert suspended["status"] == "suspended"
    run(cli, "licence", "reinstate", licence_id)
    run(cli, "licence", "revoke", licence_id, "--reason", "吊销")
    shown = json.loads(run(cli, "licence", "show", licence_id, "--json"))
    assert [h["action"] for h in shown["history"]] == ["issue", "suspend", "reinstate", "revoke"]
    assert "revoke" in run(cli, "licence", "show", licence_id)


def test_expected_failures_are_one_line(cli: CliRunner, initialised: dict[str, str]) -> None:
    result = cli.invoke(main, ["licence", "show", "NOPE-1"])
    assert result.exit_code == 1
    assert "no licence" in one_error_line(result)
    result = cli.invoke(main, ["licence-type", "show", "nope"])
    assert "no licence type" in one_error_line(result)
