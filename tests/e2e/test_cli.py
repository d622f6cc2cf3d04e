"""The `tongban` command: every command has help, and every expected failure is one line."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from click.testing import Result
from sqlalchemy import update

from audit.models import AuditEventRecord
from keys.master import generate_master_key
from store.db import Database
from tests.conftest import free_port
from tongban.cli import main


def one_error_line(result: Result) -> str:
    """The single line a failed command wrote to stderr (and no traceback anywhere)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.extend(all_commands(command, (*prefix, name)))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", all_commands(main), ids=lambda p: " ".join(p) or "tongban")
def test_every_command_has_help(cli: CliRunner, path: tuple[str, ...]) -> None:
    result = cli.invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output


def test_init_creates_everything_with_private_permissions(
    cli: CliRunner, env: dict[str, str]
) -> None:
    result = cli.invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    data = Path(env["TONGBAN_DATA_DIR"])
    assert "created  config file" in result.output
    for name in ("tongban.toml", "tongban.sqlite3"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_init_twice_keeps_everything(cli: CliRunner, env: dict[str, str]) -> None:
    env.pop("TONGBAN_MASTER_KEY")
    runner = CliRunner(env={**cli.env, "TONGBAN_MASTER_KEY": None, **env})  # type: ignore[dict-item]
    assert runner.invoke(main, ["init"]).exit_code == 0
    data = Path(env["TONGBAN_DATA_DIR"])
    before = {p.name: p.read_bytes() for p in data.iterdir() if p.suffix in (".toml", ".key")}
    kids = json.loads(runner.invoke(main, ["keys", "list", "--json"]).output)
    second = runner.invoke(main, ["init"])
    assert second.exit_code == 0, second.output
    assert "created" not in second.output
    assert {
        p.name: p.read_bytes() for p in data.iterdir() if p.suffix in (".toml", ".key")
    } == before
    assert json.loads(runner.invoke(main, ["keys", "list", "--json"]).output) == kids


def test_init_refuses_to_replace_a_lost_master_key(cli: CliRunner, env: dict[str, str]) -> None:
    env.pop("TONGBAN_MASTER_KEY")
    runner = CliRunner(env={**cli.env, "TONGBAN_MASTER_KEY": None, **env})  # type: ignore[dict-item]
    assert runner.invoke(main, ["init"]).exit_code == 0
    key_file = Path(env["TONGBAN_DATA_DIR"]) / "master.key"
    key_file.unlink()
    result = runner.invoke(main, ["init"])
    assert result.exit_code == 1
    assert "restore it from backup" in one_error_line(result)
    assert not key_file.exists()


def test_check_passes_on_a_fresh_install(cli: CliRunner, initialised: dict[str, str]) -> None:
    result = cli.invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    names = [line.split()[1] for line in result.output.splitlines()]
    assert names == ["settings", "master", "database", "schema", "ephemeral", "keys"]
    assert "FAIL" not in result.output


def test_check_fails_on_a_bad_setting_naming_it(
    cli: CliRunner, initialised: dict[str, str]
) -> None:
    result = cli.invoke(main, ["check"], env={"TONGBAN_SERVER__PORT": "http"})
    assert result.exit_code == 1
    assert "FAIL settings" in result.output
    assert "server.port: expected a whole number" in result.output


def test_check_fails_on_an_unreachable_database(
    cli: CliRunner, initialised: dict[str, str]
) -> None:
    url = f"postgresql+psycopg://u@127.0.0.1:{free_port()}/x"
    result = cli.invoke(
        main,
        ["check"],
        env={"TONGBAN_DATABASE__URL": url, "TONGBAN_DATABASE__CONNECT_TIMEOUT": "1"},
    )
    assert result.exit_code == 1
    assert "FAIL database" in result.output
    assert "database unreachable" in result.output


def test_check_fails_on_a_wrong_master_key(cli: CliRunner, initialised: dict[str, str]) -> None:
    result = cli.invoke(main, ["check"], env={"TONGBAN_MASTER_KEY": generate_master_key()})
    assert result.exit_code == 1
    assert "FAIL keys" in result.output
    assert "wrong TONGBAN_MASTER_KEY" in result.output


def test_a_corrupted_master_key_file_is_one_line(cli: CliRunner, env: dict[str, str]) -> None:
    env.pop("TONGBAN_MASTER_KEY")
    runner = CliRunner(env={**cli.env, "TONGBAN_MASTER_KEY": None, **env})  # type: ignore[dict-item]
    assert runner.invoke(main, ["init"]).exit_code == 0
    key_file = Path(env["TONGBAN_DATA_DIR"]) / "master.key"
    key_file.write_text("tbmk1.corrupted\n")
    result = runner.invoke(main, ["keys", "list"])
    assert result.exit_code == 1
    assert "is not valid base64url" in one_error_line(result) or "bytes, not 32" in result.output


def test_bad_config_file_is_one_line(cli: CliRunner, initialised: dict[str, str]) -> None:
    config = Path(initialised["TONGBAN_DATA_DIR"]) / "tongban.toml"
    config.write_text(config.read_text().replace("port = 8000", "portt = 8000"))
    result = cli.invoke(main, ["keys", "list"])
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "unknown setting server.portt" in line
    assert "did you mean server.port?" in line


def test_db_upgrade_against_an_unreachable_database_is_one_line(
    cli: CliRunner, initialised: dict[str, str]
) -> None:
    url = f"postgresql+psycopg://u:pw@127.0.0.1:{free_port()}/x"
    result = cli.invoke(
        main,
        ["db", "upgrade"],
        env={"TONGBAN_DATABASE__URL": url, "TONGBAN_DATABASE__CONNECT_TIMEOUT": "1"},
    )
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "database unreachable" in line
    assert "pw" not in line


def test_db_upgrade_is_idempotent(cli: CliRunner, initialised: dict[str, str]) -> None:
    result = cli.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0
    assert re.search(r"already at \d{4}\b", result.output)  # The newest revision, whichever.


def test_keys_rotate_and_list(cli: CliRunner, initialised: dict[str, str]) -> None:
    listed = json.loads(cli.invoke(main, ["keys", "list", "--json"]).output)
    active = next(
        k["kid"] for k in listed if k["state"] == "active" and k["purpose"].startswith("oidc")
    )
    rotated = cli.invoke(main, ["keys", "rotate"])
    assert rotated.exit_code == 0
    assert f"retired {active}" in rotated.output
    # The CA's keys are certified: a blanket rotation leaves them, an explicit one is refused.
    assert "ca:" not in rotated.output
    refused = cli.invoke(main, ["keys", "rotate", "--purpose", "ca:issuing"])
    assert refused.exit_code == 2
    assert "bound to certificates" in refused.output
    table = cli.invoke(main, ["keys", "list"]).output
    assert "retired" in table
    assert "d" not in json.dumps(listed[0].get("public_jwk", {}))
    not_due = cli.invoke(main, ["keys", "rotate", "--if-due"])
    assert "not due" in not_due.output


def test_keys_rotate_rejects_an_unknown_algorithm(
    cli: CliRunner, initialised: dict[str, str]
) -> None:
    result = cli.invoke(main, ["keys", "rotate", "--alg", "HS256"])
    assert result.exit_code == 2
    assert "HS256" in result.output


def test_audit_verify_names_a_tampered_event(cli: CliRunner, initialised: dict[str, str]) -> None:
    assert cli.invoke(main, ["audit", "verify"]).exit_code == 0
    from config.load import load

    db = Database(load(initialised).database_url)
    with db.transaction() as session:
        session.execute(
            update(AuditEventRecord)
            .where(AuditEventRecord.seq == 1)
            .values(actor="operator:mallory")
        )
    db.dispose()
    result = cli.invoke(main, ["audit", "verify"])
    assert result.exit_code == 1
    assert "event #1 (keys.create" in result.output
    assert "modified" in result.output


def test_audit_tail_shows_events(cli: CliRunner, initialised: dict[str, str]) -> None:
    result = cli.invoke(main, ["audit", "tail", "-n", "5"])
    assert result.exit_code == 0
    assert "keys.create" in result.output
    assert "system.init" in result.output


def test_config_show_hides_the_secret(cli: CliRunner, initialised: dict[str, str]) -> None:
    from config.load import load

    secret = load(initialised).secret_key
    result = cli.invoke(main, ["config", "show"])
    assert result.exit_code == 0
    assert secret not in result.output


def test_serve_refuses_to_start_when_checks_fail(
    cli: CliRunner, initialised: dict[str, str]
) -> None:
    url = f"postgresql+psycopg://u@127.0.0.1:{free_port()}/x"
    result = cli.invoke(
        main,
        ["serve", "--port", str(free_port())],
        env={"TONGBAN_DATABASE__URL": url, "TONGBAN_DATABASE__CONNECT_TIMEOUT": "1"},
    )
    assert result.exit_code == 1
    assert "Error: database: database unreachable" in result.output
