"""Operator commands: ``tongban licence-type …`` and ``tongban licence …``.

The composition root hands in a factory for the :class:`~licences.service.LicenceService`
(``licences`` never imports ``tongban``). ``tongban licence verify`` needs no service at
all: it checks a QR code offline from the published files, as any verifier would.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from licences.licence_types import example_types
from licences.offline import OfflineVerifier
from licences.offline import load_roots
from licences.offline import load_status_list
from licences.offline import load_trust_list
from licences.scan import read_qr_from_file
from licences.service import LicenceService
from licences.service import LicenceView
from licences.service_errors import LicenceDataInvalid
from licences.status_list import StatusListToken

__all__ = ["commands"]

ServiceFactory = Callable[[], LicenceService]
_IN_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_OUT_FILE = click.Path(dir_okay=False, path_type=Path)


def _now() -> datetime:
    return datetime.now(UTC)


def _actor() -> str:
    return f"operator:{getpass.getuser()}"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LicenceDataInvalid(f"{path}: not a readable JSON file ({exc})") from None


def _print_licence(view: LicenceView, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(view.to_json(_now()), ensure_ascii=False, indent=2))
        return
    until = view.not_after.date().isoformat() if view.not_after else "长期"
    click.echo(f"{view.id}  {view.type_id}  {view.state_at(_now())}  version {view.version}")
    click.echo(f"  holder   {view.holder_name} ({view.holder_kind} {view.holder_code})")
    click.echo(f"  issuer   {view.issuer_name} ({view.department_id})")
    click.echo(f"  valid    {view.not_before.date().isoformat()} – {until}")
    if view.status_reason:
        click.echo(f"  reason   {view.status_reason}")
    click.echo(f"  QR       version {view.qr_version}: {view.credential[:60]}…")


def commands(open_service: ServiceFactory) -> list[click.Command]:
    """The ``licence-type`` and ``licence`` command groups."""

    @click.group("licence-type")
    def licence_type() -> None:
        """Licence types: list, show, add from a file."""

    @licence_type.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def type_list(as_json: bool) -> None:
        """List the licence types."""
        types = open_service().list_types()
        if as_json:
            click.echo(json.dumps([t.summary() for t in types], ensure_ascii=False, indent=2))
            return
        if not types:
            click.echo("No licence types. Add the examples: tongban licence-type add --examples")
        for t in types:
            click.echo(
                f"{t.id:<24} {t.code:<6} {t.name_zh} / {t.name_en}  [{', '.join(t.departments)}]"
            )

    @licence_type.command("show")
    @click.argument("type_id")
    def type_show(type_id: str) -> None:
        """Print a type's full definition (JSON)."""
        definition = open_service().get_type(type_id).definition
        click.echo(json.dumps(definition, ensure_ascii=False, indent=2))

    @licence_type.command("add")
    @click.argument("files", nargs=-1, type=_IN_FILE)
    @click.option(
        "--examples", is_flag=True, help="Add the two example types shipped with Tongban."
    )
    def type_add(files: tuple[Path, ...], examples: bool) -> None:
        """Add licence types from JSON files (or replace them: same id, new definition)."""
        if not files and not examples:
            raise click.UsageError("name type files, or use --examples")
        service = open_service()
        definitions = [_read_json(path) for path in files]
        if examples:
            definitions += [t.definition for t in example_types()]
        for definition in definitions:
            added, created = service.put_type(definition, now=_now(), actor=_actor())
            click.echo(f"{'added' if created else 'kept or updated'} {added.id}")

    @click.group("licence")
    def licence() -> None:
        """E-licences: issue, show, change, render, publish, verify offline."""

    @licence.group("issuer")
    def issuer() -> None:
        """Departments that issue licences, and their keys."""

    @issuer.command("add")
    @click.argument("department")
    @click.option("--name", required=True, help="The department's name as licences show it.")
    @click.option("--code", required=True, help="The department's unified social credit code.")
    @click.option("--name-en", help="English name.")
    def issuer_add(department: str, name: str, code: str, name_en: str | None) -> None:
        """Register DEPARTMENT as a licence issuer and create its licence key."""
        created = open_service().register_issuer(
            department, name=name, credit_code=code, name_en=name_en, now=_now(), actor=_actor()
        )
        click.echo(
            f"{'registered' if created else 'updated'} {department}: keys licence:{department}"
        )

    @issuer.command("list")
    def issuer_list() -> None:
        """List the registered issuers."""
        for department, name, code in open_service().issuers():
            click.echo(f"{department:<16} {code:<20} {name}")

    @licence.command("issue")
    @click.option("--type", "type_id", required=True, help="Licence type id.")
    @click.option("--holder", "holder_code", required=True, help="Holder's credit code.")
    @click.option("--holder-name", required=True, help="Holder's registered name.")
    @click.option("--holder-kind", type=click.Choice(["entity", "person"]), default="entity")
    @click.option("--department", help="Issuing department (default: the type's only one).")
    @click.option(
        "--data",
        "data_file",
        required=True,
        type=_IN_FILE,
    )
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def issue(
        type_id: str,
        holder_code: str,
        holder_name: str,
        holder_kind: str,
        department: str | None,
        data_file: Path,
        as_json: bool,
    ) -> None:
        """Issue a licence from a data file (JSON, as the type's schema says)."""
        service = open_service()
        if department is None:
            departments = service.get_type(type_id).departments
            if len(departments) != 1:
                raise click.UsageError(f"--department: one of {', '.join(departments)}")
            department = departments[0]
        view = service.issue(
            type_id=type_id,
            department_id=department,
            holder_kind=holder_kind,
            holder_code=holder_code,
            holder_name=holder_name,
            data=_read_json(data_file),
            now=_now(),
            actor=_actor(),
        )
        _print_licence(view, as_json)

    @licence.command("show")
    @click.argument("licence_id")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def show(licence_id: str, as_json: bool) -> None:
        """Show a licence and its history."""
        service = open_service()
        view = service.get(licence_id)
        history = service.history(licence_id)
        if as_json:
            body = {**view.to_json(_now()), "history": [h.to_json() for h in history]}
            click.echo(json.dumps(body, ensure_ascii=False, indent=2))
            return
        _print_licence(view, False)
        for entry in history:
            reason = f"  ({entry.reason})" if entry.reason else ""
            click.echo(
                f"  {entry.at:%Y-%m-%d %H:%M} v{entry.version} {entry.action:<9} {entry.actor}{reason}"
            )

    def _status_command(action: str, doc: str) -> click.Command:
        @click.argument("licence_id")
        @click.option("--reason", help="Why; shown on the verify page.")
        def command(licence_id: str, reason: str | None) -> None:
            change = getattr(open_service(), action)
            view: LicenceView = change(licence_id, now=_now(), actor=_actor(), reason=reason)
            click.echo(f"{view.id} is {view.status}.")

        command.__doc__ = doc
        return licence.command(action)(command)

    _status_command("suspend", "Suspend a licence (its QR shows suspended).")
    _status_command("reinstate", "Lift a suspension.")
    _status_command("revoke", "Revoke a licence for good.")

    @licence.command("amend")
    @click.argument("licence_id")
    @click.option(
        "--data",
        "data_file",
        required=True,
        type=_IN_FILE,
    )
    @click.option("--reason", help="Why the data changed.")
    def amend(licence_id: str, data_file: Path, reason: str | None) -> None:
        """Replace a licence's data: a new version with a new QR and PDF."""
        view = open_service().amend(
            licence_id, data=_read_json(data_file), now=_now(), actor=_actor(), reason=reason
        )
        click.echo(f"{view.id} is at version {view.version}.")

    @licence.command("pdf")
    @click.argument("licence_id")
    @click.option("--out", required=True, type=_OUT_FILE)
    def pdf(licence_id: str, out: Path) -> None:
        """Write the sealed licence PDF."""
        data = open_service().pdf(licence_id)
        out.write_bytes(data)
        click.echo(f"Wrote {out} ({len(data)} bytes).")

    @licence.command("trust-list")
    @click.option("--out", type=_OUT_FILE, help="Default: stdout.")
    @click.option(
        "--roots",
        type=_OUT_FILE,
        help="Also write the pinned-roots file.",
    )
    def trust_list(out: Path | None, roots: Path | None) -> None:
        """Write the current signed trust list (and the roots verifiers pin)."""
        service = open_service()
        token = service.trust_list(_now()).token
        if out is None:
            click.echo(token)
        else:
            out.write_text(token + "\n", encoding="ascii")
            click.echo(f"Wrote {out}.")
        if roots is not None:
            document = service.roots_document()
            roots.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
            click.echo(f"Wrote {roots}.")

    @licence.command("status-list")
    @click.option(
        "--out-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(),
        show_default=True,
    )
    def status_list(out_dir: Path) -> None:
        """Write every current signed status list as status-<n>.jwt."""
        service = open_service()
        out_dir.mkdir(parents=True, exist_ok=True)
        ids = service.status_list_ids()
        for list_id in ids:
            path = out_dir / f"status-{list_id}.jwt"
            path.write_text(service.status_list(list_id, _now()).token + "\n", encoding="ascii")
            click.echo(f"Wrote {path}.")
        if not ids:
            click.echo("No status lists yet: none until the first licence is issued.")

    @licence.command("verify")
    @click.argument("qr")
    @click.option(
        "--trust-list",
        "trust_file",
        required=True,
        type=_IN_FILE,
    )
    @click.option(
        "--roots",
        "roots_file",
        required=True,
        type=_IN_FILE,
        help="Pinned trust-list root keys.",
    )
    @click.option(
        "--status-list",
        "status_files",
        multiple=True,
        type=_IN_FILE,
    )
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def verify(
        qr: str,
        trust_file: Path,
        roots_file: Path,
        status_files: tuple[Path, ...],
        as_json: bool,
    ) -> None:
        """Check QR offline: its text, or an image or PDF file showing it.

        Needs no server: only the trust list, the roots and the status lists. Exit code 0
        for a valid licence, 1 for anything else.
        """
        now = _now()
        text = read_qr_from_file(qr) if Path(qr).is_file() else qr
        trust = load_trust_list(trust_file, roots=load_roots(roots_file), now=now)
        tokens: list[StatusListToken] = [
            load_status_list(path, trust_list=trust, now=now) for path in status_files
        ]
        result = OfflineVerifier(trust, tokens).verify(text, now=now)
        body: dict[str, Any] = {"status": str(result.status), "checked_at": now.isoformat()}
        if result.reason:
            body["reason"] = result.reason
        if result.licence is not None:
            claims = result.licence.claims
            body["licence"] = {
                "id": claims.licence_id,
                "holder": {"code": claims.holder_code, "name": claims.holder_name},
                "not_before": claims.not_before.isoformat(),
                "not_after": claims.not_after.isoformat() if claims.not_after else None,
                "issuer": result.licence.issuer_name,
            }
        if result.status_as_of is not None:
            body["status_as_of"] = result.status_as_of.isoformat()
        if as_json:
            click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            click.echo(
                str(result.status).upper() + (f" ({result.reason})" if result.reason else "")
            )
            for key, value in body.get("licence", {}).items():
                click.echo(f"  {key:<10} {value}")
        sys.exit(0 if str(result.status) == "valid" else 1)

    return [licence_type, licence]
