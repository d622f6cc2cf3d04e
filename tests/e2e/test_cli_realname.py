"""Operator commands of issue 4: the registry import, persons with ID numbers and phones,
entities, agents; one clear line for each bad value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.e2e.idp.conftest import CLOSED
from tests.e2e.idp.conftest import COMPANY
from tests.e2e.idp.conftest import COMPANY_NAME
from tests.e2e.idp.conftest import LI_ID
from tests.e2e.idp.conftest import ZHANG_ID
from tongban.cli import main

PASSWORD = "a long enough password\n"


def run(cli: CliRunner, *args: str, stdin: str | None = None) -> Any:
    return cli.invoke(main, list(args), input=stdin)


@pytest.fixture
def loaded(cli: CliRunner, initialised: dict[str, str], tmp_path: Path) -> CliRunner:
    persons = tmp_path / "persons.csv"
    persons.write_text(f"name,id_number\n张三,{ZHANG_ID}\n李四,{LI_ID}\n", encoding="utf-8")
    entities = tmp_path / "entities.csv"
    entities.write_text(
        "uscc,name,legal_representative,status\n"
        f"{COMPANY},{COMPANY_NAME},李四,active\n{CLOSED},杭州某某有限公司,王五,cancelled\n",
        encoding="utf-8",
    )
    for path in (persons, entities):
        done = run(cli, "registry", "import", str(path))
        assert done.exit_code == 0, done.output
        assert "rows" in done.stderr  # progress goes to stderr
    return cli


def test_registry_import_reports_bad_rows_and_imports_nothing(
    cli: CliRunner, initialised: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "persons.csv"
    wrong_check = ZHANG_ID[:-1] + "5"
    bad.write_text(
        f"姓名,证件号码\n张三,{ZHANG_ID}\n,{LI_ID}\n李四,{wrong_check}\n张三,{ZHANG_ID}\n",
        encoding="utf-8",
    )
    refused = run(cli, "registry", "import", str(bad))
    assert refused.exit_code == 1
    assert "persons.csv: line 3: name is empty" in refused.stderr
    assert "persons.csv: line 4:" in refused.stderr
    assert "check character" in refused.stderr
    assert "persons.csv: line 5: same record as line 2" in refused.stderr
    assert refused.stderr.strip().splitlines()[-1] == (
        "Error: persons.csv: 3 bad row(s); nothing was imported"
    )
    # Nothing went in: the good row of the bad file does not verify anyone.
    added = run(
        cli,
        "person",
        "add",
        "--username",
        "zhangsan",
        "--password-stdin",
        "--name",
        "张三",
        "--id-number",
        ZHANG_ID,
        stdin=PASSWORD,
    )
    assert added.exit_code == 1
    assert "do not match the registry" in added.stderr


def test_person_with_id_number_and_phone(loaded: CliRunner) -> None:
    added = run(
        loaded,
        "person",
        "add",
        "--username",
        "lisi",
        "--password-stdin",
        "--name",
        "李四",
        "--id-number",
        LI_ID,
        "--phone",
        "138 1234 5678",
        "--json",
        stdin=PASSWORD,
    )
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["loa"] == 2
    shown = run(loaded, "person", "show", "lisi")
    assert shown.exit_code == 0
    assert LI_ID not in shown.output
    assert "13812345678" not in shown.output
    assert LI_ID[:4] + "*" * 10 + LI_ID[-4:] in shown.output
    assert "138****5678" in shown.output
    assert "urn:tongban:loa:2" in shown.output
    plain = run(
        loaded,
        "person",
        "add",
        "--username",
        "wangwu",
        "--password-stdin",
        "--name",
        "王五",
        stdin=PASSWORD,
    )
    assert "level 1" in plain.output


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (["--id-number", LI_ID[:-1] + "0"], "Error: id_number: the check character"),
        (["--id-number", "31011519901301153X"], "Error: id_number: the birth date"),
        (["--id-type", "passport", "--id-number", "X1"], "Error: id_number: a PRC passport"),
        (["--phone", "12345"], "Error: phone: a mainland mobile number has 11 digits"),
        (["--id-number", ZHANG_ID], "Error: the name and document number do not match"),
    ],
)
def test_bad_values_are_one_line_naming_the_field(
    loaded: CliRunner, extra: list[str], line: str
) -> None:
    refused = run(
        loaded,
        "person",
        "add",
        "--username",
        "lisi",
        "--password-stdin",
        "--name",
        "李四",
        *extra,
        stdin=PASSWORD,
    )
    assert refused.exit_code == 1
    assert len(refused.stderr.strip().splitlines()) == 1
    assert refused.stderr.startswith(line), refused.stderr
    assert run(loaded, "person", "show", "lisi").exit_code == 1  # nothing half-created


def test_password_policy_applies_to_operators_too(loaded: CliRunner) -> None:
    refused = run(
        loaded,
        "person",
        "add",
        "--username",
        "lisi",
        "--password-stdin",
        "--name",
        "李四",
        stdin="Password123!\n",
    )
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: password: ")


def test_entities_and_agents(loaded: CliRunner) -> None:
    for username, name, number in (("lisi", "李四", LI_ID), ("zhangsan", "张三", ZHANG_ID)):
        assert (
            run(
                loaded,
                "person",
                "add",
                "--username",
                username,
                "--password-stdin",
                "--name",
                name,
                "--id-number",
                number,
                stdin=PASSWORD,
            ).exit_code
            == 0
        )
    wrong = run(
        loaded,
        "entity",
        "add",
        "--uscc",
        COMPANY,
        "--name",
        COMPANY_NAME,
        "--legal-representative",
        "zhangsan",
    )
    assert wrong.exit_code == 1
    assert "someone else" in wrong.stderr
    bad = run(
        loaded,
        "entity",
        "add",
        "--uscc",
        COMPANY[:-1] + "0",
        "--name",
        "x",
        "--legal-representative",
        "lisi",
    )
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: uscc: ")
    closed = run(
        loaded,
        "entity",
        "add",
        "--uscc",
        CLOSED,
        "--name",
        "杭州某某有限公司",
        "--legal-representative",
        "lisi",
    )
    assert closed.exit_code == 1
    assert "revoked or cancelled" in closed.stderr
    added = run(
        loaded,
        "entity",
        "add",
        "--uscc",
        COMPANY,
        "--name",
        COMPANY_NAME,
        "--legal-representative",
        "lisi",
    )
    assert added.exit_code == 0, added.output
    appointed = run(
        loaded,
        "agent",
        "add",
        "--entity",
        COMPANY,
        "--username",
        "zhangsan",
        "--scope",
        "licences",
        "--days",
        "30",
    )
    assert appointed.exit_code == 0, appointed.output
    shown = run(loaded, "entity", "show", COMPANY)
    assert "zhangsan scopes=licences" in shown.output
    assert "[active]" in shown.output
    assert "legal representative   lisi (李四)" in shown.output
    assert "(agent)" in run(loaded, "person", "show", "zhangsan").output
    revoked = run(loaded, "agent", "revoke", "--entity", COMPANY, "--username", "zhangsan")
    assert "Revoked" in revoked.output
    assert "[revoked]" in run(loaded, "entity", "show", COMPANY).output
    neither = run(
        loaded, "agent", "add", "--entity", COMPANY, "--username", "zhangsan", "--scope", "x"
    )
    assert neither.exit_code == 2
    trail = run(loaded, "audit", "tail", "--target", f"entity:{COMPANY}").output
    assert "agent.appoint" in trail
    assert "agent.revoke" in trail
    assert "entity.register" in trail
    assert run(loaded, "audit", "verify").exit_code == 0
