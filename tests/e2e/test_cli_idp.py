"""Operator commands for departments, clients and persons."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tongban.cli import main


def run(cli: CliRunner, *args: str, stdin: str | None = None) -> object:
    return cli.invoke(main, list(args), input=stdin)


def test_departments(cli: CliRunner, initialised: dict[str, str]) -> None:
    added = run(
        cli,
        "department",
        "add",
        "--code",
        "scjgj",
        "--name",
        "市场监督管理局",
        "--name-en",
        "Market Regulation",
    )
    assert added.exit_code == 0, added.output  # type: ignore[attr-defined]
    listed = json.loads(run(cli, "department", "list", "--json").output)  # type: ignore[attr-defined]
    assert listed[0]["id"] == "scjgj"
    assert "市场监督管理局" in run(cli, "department", "show", "scjgj").output  # type: ignore[attr-defined]
    dup = run(cli, "department", "add", "--code", "scjgj", "--name", "x")
    assert dup.exit_code == 1  # type: ignore[attr-defined]
    assert "exists already" in dup.stderr  # type: ignore[attr-defined]
    bad = run(cli, "department", "add", "--code", "Bad Code", "--name", "x")
    assert bad.exit_code == 1  # type: ignore[attr-defined]
    assert "department code" in bad.stderr  # type: ignore[attr-defined]


def test_clients(cli: CliRunner, initialised: dict[str, str]) -> None:
    run(cli, "department", "add", "--code", "mzt", "--name", "民政厅")
    created = run(
        cli,
        "client",
        "create",
        "--department",
        "mzt",
        "--name",
        "婚姻登记",
        "--redirect-uri",
        "https://hy.example.gov.cn/cb",
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "refresh_token",
        "--json",
    )
    assert created.exit_code == 0, created.output  # type: ignore[attr-defined]
    data = json.loads(created.output)  # type: ignore[attr-defined]
    client_id, secret = data["client_id"], data["client_secret"]
    assert secret
    shown = run(cli, "client", "show", client_id)
    assert secret not in shown.output  # type: ignore[attr-defined]
    assert "secret_hash" not in shown.output  # type: ignore[attr-defined]
    listed = json.loads(run(cli, "client", "list", "--json").output)  # type: ignore[attr-defined]
    assert [c["client_id"] for c in listed] == [client_id]
    updated = run(
        cli,
        "client",
        "update",
        client_id,
        "--set",
        "first_party=true",
        "--set",
        'redirect_uris=["https://hy.example.gov.cn/cb2"]',
    )
    assert updated.exit_code == 0, updated.output  # type: ignore[attr-defined]
    shown = json.loads(run(cli, "client", "show", client_id, "--json").output)  # type: ignore[attr-defined]
    assert shown["first_party"] is True
    assert shown["redirect_uris"] == ["https://hy.example.gov.cn/cb2"]
    bad = run(cli, "client", "update", client_id, "--set", 'redirect_uris=["http://evil.example/"]')
    assert bad.exit_code == 1  # type: ignore[attr-defined]
    assert "https" in bad.stderr  # type: ignore[attr-defined]
    assert run(cli, "client", "disable", client_id).exit_code == 0  # type: ignore[attr-defined]
    shown = json.loads(run(cli, "client", "show", client_id, "--json").output)  # type: ignore[attr-defined]
    assert shown["status"] == "disabled"
    rotated = run(cli, "client", "rotate-secret", client_id)
    assert "client_secret:" in rotated.output  # type: ignore[attr-defined]
    assert secret not in rotated.output  # type: ignore[attr-defined]
    token = run(cli, "client", "registration-token", "--department", "mzt")
    assert token.exit_code == 0
    assert len(token.output.strip()) > 30


def test_client_create_refuses_bad_input_in_one_line(
    cli: CliRunner, initialised: dict[str, str]
) -> None:
    missing = run(
        cli,
        "client",
        "create",
        "--department",
        "nope",
        "--name",
        "x",
        "--redirect-uri",
        "https://x.example/cb",
    )
    assert missing.exit_code == 1  # type: ignore[attr-defined]
    assert missing.stderr.strip() == "Error: no department 'nope'"  # type: ignore[attr-defined]
    run(cli, "department", "add", "--code", "mzt", "--name", "民政厅")
    no_redirect = run(cli, "client", "create", "--department", "mzt", "--name", "x")
    assert "redirect_uris are required" in no_redirect.stderr  # type: ignore[attr-defined]


def test_persons(cli: CliRunner, initialised: dict[str, str]) -> None:
    added = run(
        cli,
        "person",
        "add",
        "--username",
        "ZhangSan",
        "--password-stdin",
        "--name",
        "张三",
        stdin="a long enough password\n",
    )
    assert added.exit_code == 0, added.output  # type: ignore[attr-defined]
    shown = run(cli, "person", "show", "zhangsan")
    assert "张三" in shown.output  # type: ignore[attr-defined]
    assert "password" not in shown.output  # type: ignore[attr-defined]
    short = run(
        cli,
        "person",
        "add",
        "--username",
        "lisi",
        "--password-stdin",
        "--name",
        "李四",
        stdin="short\n",
    )
    assert short.exit_code == 1  # type: ignore[attr-defined]
    assert "password: the password has 5 characters; it needs at least 8" in short.stderr  # type: ignore[attr-defined]
    assert run(cli, "person", "disable", "zhangsan").exit_code == 0  # type: ignore[attr-defined]
    assert "disabled" in run(cli, "person", "show", "zhangsan").output  # type: ignore[attr-defined]


def test_sessions_and_outbox_commands(cli: CliRunner, initialised: dict[str, str]) -> None:
    run(
        cli,
        "person",
        "add",
        "--username",
        "wangwu",
        "--password-stdin",
        "--name",
        "王五",
        stdin="a long enough password\n",
    )
    listed = run(cli, "session", "list", "--username", "wangwu")
    assert listed.exit_code == 0  # type: ignore[attr-defined]
    assert listed.output == ""  # type: ignore[attr-defined]
    ended = run(cli, "session", "end", "--username", "wangwu")
    assert "Ended 0 session(s)" in ended.output  # type: ignore[attr-defined]
    box = run(cli, "outbox", "list")
    assert box.exit_code == 0  # type: ignore[attr-defined]
    assert "empty" in box.output  # type: ignore[attr-defined]
    missing = run(cli, "outbox", "retry", "nope")
    assert missing.exit_code == 1  # type: ignore[attr-defined]
    assert "no outbox message" in missing.stderr  # type: ignore[attr-defined]
