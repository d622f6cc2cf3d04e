"""Operator commands: departments, clients, persons, entities and agents, the local
real-name registry, and answering a certificate-login challenge.

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
from datetime import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa

from idp.accounts import check_name
from idp.accounts import normalise_username
from idp.clients import ClientMetadata
from idp.clients import issue_registration_token
from idp.departments import add_department
from idp.departments import get_department
from idp.departments import list_departments
from idp.deps import IdpDeps
from idp.entities import parse_uscc_field
from idp.errors import UsernameTaken
from idp.identity.documents import DocumentType
from idp.provider import Provider
from idp.realname import parse_id_document
from idp.registry.errors import RegistryImportInvalid
from idp.registry.importer import ImportProgress
from idp.registry.importer import import_entities
from idp.registry.importer import import_persons
from keys.jose import sign_jws_x5c
from keys.software import SoftwareSigner

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
    @click.option("--name", required=True, help="The person's name (as on the document).")
    @click.option(
        "--id-type",
        type=click.Choice([t.value for t in DocumentType]),
        default=DocumentType.RESIDENT_ID.value,
        show_default=True,
        help="Type of --id-number.",
    )
    @click.option(
        "--id-number",
        help="Identity document number: verified against the real-name registry (level 2).",
    )
    @click.option("--phone", help="Mainland mobile number (not verified until used for an SMS).")
    @click.option("--json", "as_json", is_flag=True)
    def person_add(
        username: str,
        password_stdin: bool,
        name: str,
        id_type: str,
        id_number: str | None,
        phone: str | None,
        as_json: bool,
    ) -> None:
        """Add a person with a password; with --id-number, real-name verified first.

        Nothing is created unless every value is valid and, with --id-number, the
        registry confirmed the name and number.
        """
        password = sys.stdin.readline().rstrip("\n")
        p = provider()
        now = _now()
        document = parse_id_document(id_type, id_number, today=now.date()) if id_number else None
        verified_by = None
        if document is not None:
            if p.accounts.username_taken(username):
                raise UsernameTaken(f"username: {normalise_username(username)!r} is taken")
            check_name(name)
            p.accounts.check_new_password(password, context=(username, name, phone or ""))
            verdict = p.realnames.check(
                name, document, now=now, actor=_actor(), target=f"username:{username}"
            )
            verified_by = verdict.registry
        added = p.accounts.add(
            username,
            password,
            name,
            now=now,
            actor=_actor(),
            phone=phone,
            document=document,
            verified_by=verified_by,
        )
        if as_json:
            _echo_json({"id": added.id, "username": added.username, "loa": added.loa})
        else:
            click.echo(f"Added {added.username} ({added.id}), level {added.loa}.")

    @person.command("show")
    @click.argument("username")
    @click.option("--json", "as_json", is_flag=True)
    def person_show(username: str, as_json: bool) -> None:
        """Show a person's account: numbers masked, no secrets."""
        p = provider()
        found = p.accounts.by_username(username)
        phone, id_number = p.accounts.masked_numbers(found.id)
        data: dict[str, Any] = {
            "id": found.id,
            "username": found.username,
            "name": found.name,
            "status": found.status,
            "loa": found.loa,
            "acr": f"urn:tongban:loa:{found.loa}",
            "phone": phone,
            "phone_verified": found.phone_verified,
            "id_type": found.id_type,
            "id_number": id_number,
            "realname_verified_at": found.realname_verified_at,
            "totp": found.totp_enrolled,
            "passkeys": len(p.passkeys.of_person(found.id)),
            "entities": [
                f"{r.entity.credit_code} {r.entity.name} ({r.role})"
                for r in p.entities.roles_of(found.id, now=_now())
            ],
            "created_at": found.created_at,
        }
        if as_json:
            _echo_json(data)
            return
        for key, value in data.items():
            if isinstance(value, list):
                value = "; ".join(value) or "-"
            click.echo(f"{key:<22} {value if value is not None else '-'}")

    @person.command("disable")
    @click.argument("username")
    def person_disable(username: str) -> None:
        """Stop a person from logging in."""
        p = provider()
        found = p.accounts.by_username(username)
        p.accounts.set_status(found.id, "disabled", now=_now(), actor=_actor())
        click.echo(f"Disabled {found.username}.")

    @person.command("enable")
    @click.argument("username")
    def person_enable(username: str) -> None:
        """Let a disabled person log in again."""
        p = provider()
        found = p.accounts.by_username(username)
        p.accounts.set_status(found.id, "active", now=_now(), actor=_actor())
        click.echo(f"Enabled {found.username}.")

    @click.group()
    def entity() -> None:
        """Legal entities and organizations (法人 / 其他组织)."""

    @entity.command("add")
    @click.option("--uscc", required=True, help="Unified social credit code (GB 32100).")
    @click.option("--name", required=True, help="The entity's registered name.")
    @click.option(
        "--legal-representative",
        "representative",
        required=True,
        metavar="USERNAME",
        help="The legal representative's account (real name verified).",
    )
    def entity_add(uscc: str, name: str, representative: str) -> None:
        """Register an entity for its legal representative, as the entity registry confirms."""
        p = provider()
        person = p.accounts.by_username(representative)
        added = p.entities.register(uscc, name, person.id, now=_now(), actor=_actor())
        click.echo(
            f"Registered {added.credit_code} {added.name}; legal representative {person.username}."
        )

    @entity.command("show")
    @click.argument("uscc")
    def entity_show(uscc: str) -> None:
        """Show an entity, its legal representative and its agents."""
        p = provider()
        found = p.entities.get(parse_uscc_field(uscc).code)
        representative = p.accounts.get(found.legal_representative_id)
        click.echo(f"{found.credit_code}  {found.name}  [{found.status}]")
        click.echo(f"type                   {found.type_name}")
        click.echo(f"legal representative   {representative.username} ({representative.name})")
        click.echo(
            f"verified               {found.verified_at:%Y-%m-%d} by the {found.verified_by} registry"
        )
        now = _now()
        for agent in p.entities.agents(found.credit_code, include_ended=True):
            who = p.accounts.get(agent.person_id)
            state = (
                "revoked" if agent.revoked_at else ("active" if agent.active_at(now) else "expired")
            )
            click.echo(
                f"agent                  {who.username} scopes={','.join(agent.scopes)} "
                f"until {agent.expires_at:%Y-%m-%d} [{state}]"
            )

    @click.group()
    def agent() -> None:
        """Agents (经办人) who act for an entity within scopes until an expiry."""

    @agent.command("add")
    @click.option("--entity", "uscc", required=True, help="The entity's credit code.")
    @click.option("--username", required=True, help="The agent's account.")
    @click.option("--scope", "scopes", multiple=True, required=True, help="Repeat for each.")
    @click.option("--expires", type=click.DateTime(["%Y-%m-%d"]), help="Last day (UTC).")
    @click.option("--days", type=click.IntRange(1, 5 * 366), help="Or: valid this many days.")
    def agent_add(
        uscc: str,
        username: str,
        scopes: tuple[str, ...],
        expires: datetime | None,
        days: int | None,
    ) -> None:
        """Appoint (or re-appoint) an agent on the legal representative's instruction."""
        if (expires is None) == (days is None):
            raise click.UsageError("give exactly one of --expires and --days")
        now = _now()
        until = (
            now + timedelta(days=days)
            if days is not None
            else datetime.combine(expires.date(), time(23, 59, 59), tzinfo=UTC)  # type: ignore[union-attr]
        )
        p = provider()
        person = p.accounts.by_username(username)
        code = parse_uscc_field(uscc).code
        appointed = p.entities.appoint_agent(
            code, person.id, scopes, until, now=now, actor=_actor()
        )
        click.echo(
            f"{person.username} acts for {code} ({', '.join(appointed.scopes)}) "
            f"until {appointed.expires_at:%Y-%m-%d %H:%M} UTC."
        )

    @agent.command("revoke")
    @click.option("--entity", "uscc", required=True, help="The entity's credit code.")
    @click.option("--username", required=True, help="The agent's account.")
    def agent_revoke(uscc: str, username: str) -> None:
        """End an agent's appointment at once."""
        p = provider()
        person = p.accounts.by_username(username)
        code = parse_uscc_field(uscc).code
        if p.entities.revoke_agent(code, person.id, now=_now(), actor=_actor()):
            click.echo(f"Revoked {person.username} for {code}.")
        else:
            click.echo(f"{person.username} had no appointment in force for {code}.")

    @click.group()
    def registry() -> None:
        """The local real-name registry (persons and legal entities)."""

    @registry.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--kind",
        type=click.Choice(["persons", "entities"]),
        help="What the file holds (default: from its header).",
    )
    def registry_import(path: Path, kind: str | None) -> None:
        """Import persons.csv or entities.csv: all rows or none.

        Bad rows are listed with their line numbers and nothing is written.
        """
        p = provider()
        kind = kind or _csv_kind(path)

        def progress(step: ImportProgress) -> None:
            total = f"/{step.total}" if step.total else ""
            click.echo(f"  {step.phase:<8} {step.done}{total} rows", err=True)

        try:
            if kind == "persons":
                report = import_persons(p.db, p.pii, path, now=_now(), progress=progress)
            else:
                report = import_entities(p.db, path, now=_now(), progress=progress)
        except RegistryImportInvalid as exc:
            for problem in exc.problems:
                click.echo(f"{path.name}: {problem}", err=True)
            if exc.bad_rows > len(exc.problems):
                click.echo(f"... and {exc.bad_rows - len(exc.problems)} more", err=True)
            raise RegistryImportInvalid(
                f"{path.name}: {exc.bad_rows or 1} bad row(s); nothing was imported"
                if exc.problems
                else exc.message
            ) from None
        click.echo(
            f"Imported {report.rows} {kind}: {report.inserted} new, {report.updated} changed, "
            f"{report.unchanged} unchanged."
        )

    @click.group()
    def cert() -> None:
        """Enterprise digital certificates."""

    @cert.command("sign-challenge")
    @click.argument("challenge")
    @click.option(
        "--key",
        "key_file",
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="PEM private key of the certificate (unencrypted, or give --password-stdin).",
    )
    @click.option(
        "--cert",
        "cert_file",
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="PEM certificate, optionally followed by its intermediate CA certificates.",
    )
    @click.option("--audience", required=True, help="The service's issuer URL (shown on its page).")
    @click.option("--password-stdin", is_flag=True, help="Read the key's password from stdin.")
    def cert_sign_challenge(
        challenge: str, key_file: Path, cert_file: Path, audience: str, password_stdin: bool
    ) -> None:
        """Answer a certificate-login challenge: print a JWS signed with the certificate's
        key, carrying the certificate chain (x5c). Needs no Tongban settings."""
        password = sys.stdin.readline().rstrip("\n").encode() if password_stdin else None
        try:
            key = serialization.load_pem_private_key(key_file.read_bytes(), password=password)
            chain = x509.load_pem_x509_certificates(cert_file.read_bytes())
        except (ValueError, TypeError) as exc:
            raise click.BadParameter(str(exc).splitlines()[0][:200]) from None
        if not isinstance(
            key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
        ):
            raise click.BadParameter(
                "the key must be an EC P-256, RSA or Ed25519 key", param_hint="--key"
            )
        alg = (
            "EdDSA"
            if isinstance(key, ed25519.Ed25519PrivateKey)
            else ("RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256")
        )
        if chain[0].public_key() != key.public_key():
            raise click.BadParameter(
                "the key does not belong to the first certificate", param_hint="--cert"
            )
        signer = SoftwareSigner("certificate", alg, key)
        payload = {"challenge": challenge, "aud": audience, "iat": int(_now().timestamp())}
        click.echo(sign_jws_x5c(signer, chain, payload))

    return [department, client, person, entity, agent, registry, cert]


def _csv_kind(path: Path) -> str:
    """``entities`` when the header names a credit code column, else ``persons``."""
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline().lower()
    return (
        "entities" if any(w in header for w in ("uscc", "credit_code", "信用代码")) else "persons"
    )


def _public(client: Any) -> dict[str, Any]:
    data = asdict(client)
    data.pop("secret_hash", None)
    return data
