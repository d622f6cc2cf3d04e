"""Operator commands for departments, clients and persons.

The commands get the provider's dependencies from a factory the composition root
passes in (``commands(deps_factory)``), so ``idp`` never imports ``tongban``.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC
from datetime import datetime
from typing import Any

import click

from idp.clients import ClientMetadata
from idp.clients import issue_registration_token
from idp.departments import add_department
from idp.departments import get_department
from idp.departments import list_departments
from idp.deps import IdpDeps
from idp.provider import Provider

DepsFactory = Callable[[], IdpDeps]


def _actor() -> str:
    return f"operator:{getpass.getuser()}"


def _now() -> datetime:
    return datetime.now(UTC)


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def commands(deps: DepsFactory) -> list[click.Command]:
    def provider() -> Provider:
        return Provider(deps())

    @click.group()
    def department() -> None:
        """Departments (部门): every client, seal and licence type belongs to one."""

    @department.command("add")
    @click.option("--code", required=True, help="Short code, e.g. scjgj (市场监督管理局).")
    @click.option("--name", required=True, help="The department's name in Chinese.")
    @click.option("--name-en", help="The department's name in English.")
    def department_add(code: str, name: str, name_en: str | None) -> None:
        """Add a department."""
        info = add_department(
            provider().db, code, name, name_en=name_en, now=_now(), actor=_actor()
        )
        click.echo(f"Added department {info.id}: {info.name}")

    @department.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def department_list(as_json: bool) -> None:
        """List departments."""
        items = list_departments(provider().db)
        if as_json:
            _echo_json([asdict(i) for i in items])
            return
        for info in items:
            click.echo(
                f"{info.id:<16} {info.name}" + (f" ({info.name_en})" if info.name_en else "")
            )

    @department.command("show")
    @click.argument("code")
    def department_show(code: str) -> None:
        """Show a department and its clients."""
        p = provider()
        info = get_department(p.db, code)
        click.echo(f"{info.id}: {info.name}" + (f" ({info.name_en})" if info.name_en else ""))
        click.echo(f"since {info.created_at:%Y-%m-%d}")
        for client in p.clients.list(code):
            click.echo(f"  client {client.client_id}  {client.name}  [{client.status}]")

    @click.group()
    def client() -> None:
        """Relying parties (department systems) and their credentials."""

    @client.command("create")
    @click.option("--department", required=True, help="Department code.")
    @click.option("--name", required=True, help="Display name shown on consent pages.")
    @click.option("--client-id", help="Choose the client_id (default: random).")
    @click.option("--redirect-uri", "redirect_uris", multiple=True, help="Repeat for each.")
    @click.option("--post-logout-redirect-uri", "post_logout_uris", multiple=True)
    @click.option(
        "--grant-type",
        "grant_types",
        multiple=True,
        type=click.Choice(["authorization_code", "refresh_token", "client_credentials"]),
        help="Repeat for each (default: authorization_code).",
    )
    @click.option(
        "--auth-method",
        default="client_secret_basic",
        show_default=True,
        type=click.Choice(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]),
    )
    @click.option(
        "--scope", "scopes", multiple=True, help="Allowed scope; repeat (default openid profile)."
    )
    @click.option("--native", is_flag=True, help="A native app (loopback redirect ports vary).")
    @click.option(
        "--public-subject", is_flag=True, help="Same sub for every department (not pairwise)."
    )
    @click.option(
        "--id-token-alg",
        default="ES256",
        show_default=True,
        type=click.Choice(["ES256", "RS256", "EdDSA"]),
    )
    @click.option("--jwks-file", type=click.File("r"), help="JWK Set file (for private_key_jwt).")
    @click.option("--jwks-uri", help="URL of the client's JWK Set.")
    @click.option("--require-par", is_flag=True, help="Only pushed authorization requests.")
    @click.option("--first-party", is_flag=True, help="Skip the consent page (operator decision).")
    @click.option(
        "--allow-id-number", is_flag=True, help="May receive full ID numbers (idnumber scope)."
    )
    @click.option(
        "--pkce-recommended", is_flag=True, help="Confidential client only: PKCE optional."
    )
    @click.option("--backchannel-logout-uri")
    @click.option("--frontchannel-logout-uri")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def client_create(
        department: str,
        name: str,
        client_id: str | None,
        redirect_uris: tuple[str, ...],
        post_logout_uris: tuple[str, ...],
        grant_types: tuple[str, ...],
        auth_method: str,
        scopes: tuple[str, ...],
        native: bool,
        public_subject: bool,
        id_token_alg: str,
        jwks_file: Any,
        jwks_uri: str | None,
        require_par: bool,
        first_party: bool,
        allow_id_number: bool,
        pkce_recommended: bool,
        backchannel_logout_uri: str | None,
        frontchannel_logout_uri: str | None,
        as_json: bool,
    ) -> None:
        """Register a client. Its secret is printed once and never shown again."""
        jwks = None
        if jwks_file is not None:
            try:
                jwks = json.load(jwks_file)
            except ValueError:
                raise click.BadParameter("not a JSON file", param_hint="--jwks-file") from None
        meta = ClientMetadata(
            name=name,
            redirect_uris=redirect_uris,
            post_logout_redirect_uris=post_logout_uris,
            grant_types=grant_types or ("authorization_code",),
            token_endpoint_auth_method=auth_method,
            application_type="native" if native else "web",
            scopes=scopes or ("openid", "profile"),
            subject_type="public" if public_subject else "pairwise",
            id_token_signed_response_alg=id_token_alg,
            jwks=jwks,
            jwks_uri=jwks_uri,
            require_pushed_authorization_requests=require_par,
            first_party=first_party,
            allow_id_number=allow_id_number,
            pkce="recommended" if pkce_recommended else "required",
            backchannel_logout_uri=backchannel_logout_uri,
            frontchannel_logout_uri=frontchannel_logout_uri,
        )
        created, secret = provider().clients.create(
            department, meta, now=_now(), actor=_actor(), client_id=client_id
        )
        if as_json:
            _echo_json(
                {
                    "client_id": created.client_id,
                    "client_secret": secret,
                    "department": created.department_id,
                }
            )
            return
        click.echo(f"client_id:     {created.client_id}")
        if secret:
            click.echo(f"client_secret: {secret}")
            click.echo("Store the secret now: it is not kept and cannot be shown again.")

    @client.command("list")
    @click.option("--department", help="Only this department's clients.")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def client_list(department: str | None, as_json: bool) -> None:
        """List clients."""
        items = provider().clients.list(department)
        if as_json:
            _echo_json([_public(c) for c in items])
            return
        for c in items:
            click.echo(f"{c.client_id:<24} {c.department_id:<12} {c.status:<9} {c.name}")

    @client.command("show")
    @click.argument("client_id")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def client_show(client_id: str, as_json: bool) -> None:
        """Show a client's registration (never its secret)."""
        data = _public(provider().clients.get(client_id))
        if as_json:
            _echo_json(data)
            return
        for key, value in data.items():
            click.echo(f"{key:<40} {value}")

    @client.command("update")
    @click.argument("client_id")
    @click.option(
        "--set",
        "assignments",
        multiple=True,
        metavar="FIELD=JSON",
        help="e.g. --set redirect_uris='[\"https://a.gov.cn/cb\"]' --set first_party=true",
    )
    def client_update(client_id: str, assignments: tuple[str, ...]) -> None:
        """Change a client's metadata; the result is validated as a whole."""
        changes: dict[str, Any] = {}
        for item in assignments:
            field, sep, raw = item.partition("=")
            if not sep:
                raise click.BadParameter(f"{item!r} is not FIELD=JSON", param_hint="--set")
            try:
                value = json.loads(raw)
            except ValueError:
                value = raw
            changes[field.strip()] = tuple(value) if isinstance(value, list) else value
        if not changes:
            raise click.UsageError("nothing to change: give --set FIELD=VALUE")
        updated = provider().clients.update(client_id, changes, now=_now(), actor=_actor())
        click.echo(f"Updated {updated.client_id}: {', '.join(sorted(changes))}")

    @client.command("disable")
    @click.argument("client_id")
    def client_disable(client_id: str) -> None:
        """Stop a client from getting tokens (existing tokens expire as usual)."""
        provider().clients.set_status(client_id, "disabled", now=_now(), actor=_actor())
        click.echo(f"Disabled {client_id}.")

    @client.command("enable")
    @click.argument("client_id")
    def client_enable(client_id: str) -> None:
        """Let a disabled client get tokens again."""
        provider().clients.set_status(client_id, "active", now=_now(), actor=_actor())
        click.echo(f"Enabled {client_id}.")

    @client.command("rotate-secret")
    @click.argument("client_id")
    def client_rotate_secret(client_id: str) -> None:
        """Replace a client's secret; the old one stops working at once."""
        secret = provider().clients.rotate_secret(client_id, now=_now(), actor=_actor())
        click.echo(f"client_secret: {secret}")

    @client.command("registration-token")
    @click.option("--department", required=True)
    @click.option("--uses", default=1, show_default=True, type=int)
    @click.option("--days", default=7, show_default=True, type=int)
    def client_registration_token(department: str, uses: int, days: int) -> None:
        """Make an initial access token for Dynamic Client Registration (RFC 7591)."""
        token = issue_registration_token(
            provider().db, department, uses=uses, days=days, now=_now(), actor=_actor()
        )
        click.echo(token)

    @click.group()
    def person() -> None:
        """Accounts of natural persons (自然人)."""

    @person.command("add")
    @click.option("--username", required=True)
    @click.option(
        "--password-stdin",
        is_flag=True,
        required=True,
        help="Read the password from standard input (never from the command line).",
    )
    @click.option("--name", required=True, help="The person's name.")
    @click.option("--json", "as_json", is_flag=True)
    def person_add(username: str, password_stdin: bool, name: str, as_json: bool) -> None:
        """Add a person with a password."""
        password = sys.stdin.readline().rstrip("\n")
        added = provider().accounts.add(username, password, name, now=_now(), actor=_actor())
        if as_json:
            _echo_json({"id": added.id, "username": added.username})
        else:
            click.echo(f"Added {added.username} ({added.id}).")

    @person.command("show")
    @click.argument("username")
    def person_show(username: str) -> None:
        """Show a person's account (no secrets)."""
        found = provider().accounts.by_username(username)
        for key, value in asdict(found).items():
            click.echo(f"{key:<22} {value}")

    @person.command("disable")
    @click.argument("username")
    def person_disable(username: str) -> None:
        """Stop a person from logging in."""
        p = provider()
        found = p.accounts.by_username(username)
        p.accounts.set_status(found.id, "disabled", now=_now(), actor=_actor())
        click.echo(f"Disabled {found.username}.")

    return [department, client, person]


def _public(client: Any) -> dict[str, Any]:
    data = asdict(client)
    data.pop("secret_hash", None)
    return data
