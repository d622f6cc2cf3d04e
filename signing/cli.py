"""Operator commands: seals, the CA's root, stamping and rendering approvals, verifying.

The composition root passes a factory for the :class:`~signing.service.SigningService`
(``commands(service_factory)``), so ``signing`` never imports ``tongban``. Errors are
:class:`~config.errors.TongbanError`\\ s, which the root group prints as one line.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from keys.pki import RevocationReason
from signing.approvals import TEMPLATES
from signing.approvals import ApprovalRequest
from signing.errors import RequestInvalid
from signing.seals import SealInfo
from signing.service import SigningService
from signing.verify import Verdict
from signing.verify import VerificationReport

ServiceFactory = Callable[[], SigningService]


def _actor() -> str:
    return f"operator:{getpass.getuser()}"


def _now() -> datetime:
    return datetime.now(UTC)


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RequestInvalid(f"Cannot read {what} {path}: {exc.strerror}.") from exc


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary file, so a failure never leaves half a PDF behind."""
    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise RequestInvalid(f"Cannot write {path}: {exc.strerror}.") from exc


def _placement(page: int | None, at: str | None) -> dict[str, Any] | None:
    if page is None and at is None:
        return None
    if at is None:
        raise click.UsageError("--page needs --at X,Y (points from the bottom-left corner)")
    try:
        x_text, y_text = at.split(",")
        x, y = float(x_text), float(y_text)
    except ValueError:
        raise click.UsageError("--at takes X,Y in points, e.g. --at 420,160") from None
    return {"page": page or 1, "x": x, "y": y}


def _seal_line(info: SealInfo) -> str:
    return (
        f"{info.id:<20} {info.status:<21} {info.department_id:<10} {info.name}"
        f"  [{info.certified_by}]"
    )


def commands(service: ServiceFactory) -> list[click.Command]:
    @click.group()
    def seal() -> None:
        """Departments' electronic seals (电子印章): key, certificate, picture, status."""

    @seal.command("create")
    @click.option("--department", required=True, help="Department code, e.g. scjgj.")
    @click.option("--id", "seal_id", help="Seal id (default: <department>-<n>).")
    @click.option("--name", help="Certified seal name (default: department name + purpose).")
    @click.option(
        "--department-name", help="Name drawn on the arc and certified (default: registry's)."
    )
    @click.option("--purpose", help="Line under the star, e.g. 行政审批专用章.")
    @click.option("--code", help="Registration code (印章编码) along the lower arc, digits.")
    @click.option("--credit-code", help="Unified social credit code of the department.")
    @click.option(
        "--diameter", default=42.0, show_default=True, type=click.FloatRange(40, 60), help="mm"
    )
    @click.option(
        "--image",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Use this PNG instead of drawing the seal.",
    )
    @click.option(
        "--external", is_flag=True, help="Certificate from an external CA (then csr, import-cert)."
    )
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def seal_create(
        department: str,
        seal_id: str | None,
        name: str | None,
        department_name: str | None,
        purpose: str | None,
        code: str | None,
        credit_code: str | None,
        diameter: float,
        image: Path | None,
        external: bool,
        as_json: bool,
    ) -> None:
        """Create a seal: a key in the key store, its picture, and a certificate."""
        info = service().seals.create(
            department,
            seal_id=seal_id,
            name=name,
            department_name=department_name,
            purpose=purpose,
            code=code,
            credit_code=credit_code,
            diameter_mm=diameter,
            png=_read(image, "image") if image else None,
            external=external,
            now=_now(),
            actor=_actor(),
        )
        if as_json:
            _echo_json(asdict(info))
            return
        click.echo(f"Created seal {info.id}: {info.name} ({info.status})")
        if external:
            click.echo(f"Next: tongban seal csr {info.id} > {info.id}.csr, then import-cert.")

    @seal.command("list")
    @click.option("--department", help="Only this department's seals.")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def seal_list(department: str | None, as_json: bool) -> None:
        """List seals and their status."""
        items = service().seals.for_department(department)
        if as_json:
            _echo_json([asdict(i) for i in items])
            return
        if not items:
            click.echo("No seals. Create one with `tongban seal create`.")
        for info in items:
            click.echo(_seal_line(info))

    @seal.command("show")
    @click.argument("seal_id")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @click.option(
        "--image",
        "image_out",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Also write the seal picture (PDF) here.",
    )
    def seal_show(seal_id: str, as_json: bool, image_out: Path | None) -> None:
        """Show a seal, its certificate and its history."""
        svc = service()
        info = svc.seals.get(seal_id)
        history = svc.seals.history(seal_id)
        if image_out is not None:
            _write(image_out, svc.seals.image(seal_id).pdf)
        if as_json:
            _echo_json({**asdict(info), "history": [asdict(e) for e in history]})
            return
        click.echo(_seal_line(info))
        click.echo(f"department name  {info.department_name}")
        click.echo(f"key              {info.kid}")
        if info.certificate_serial:
            click.echo(f"certificate      serial {info.certificate_serial}")
            click.echo(f"  issuer         {info.certificate_issuer}")
            click.echo(f"  valid          {info.not_before:%Y-%m-%d} .. {info.not_after:%Y-%m-%d}")
        click.echo(f"picture          {info.image_kind}, {info.image_width_mm:g} mm")
        for event in history:
            click.echo(
                f"  {event.at:%Y-%m-%d %H:%M:%S}  {event.action:<20} {event.status:<21} "
                f"{event.actor}" + (f"  {event.reason}" if event.reason else "")
            )

    @seal.command("suspend")
    @click.argument("seal_id")
    @click.option("--reason", required=True, help="Why (kept in the seal's history).")
    def seal_suspend(seal_id: str, reason: str) -> None:
        """Stop a seal from stamping until it is resumed."""
        info = service().seals.suspend(seal_id, reason=reason, now=_now(), actor=_actor())
        click.echo(f"Seal {info.id} is suspended.")

    @seal.command("resume")
    @click.argument("seal_id")
    @click.option("--reason", help="Why (kept in the seal's history).")
    def seal_resume(seal_id: str, reason: str | None) -> None:
        """Let a suspended seal stamp again."""
        info = service().seals.resume(seal_id, reason=reason, now=_now(), actor=_actor())
        click.echo(f"Seal {info.id} is active.")

    @seal.command("revoke")
    @click.argument("seal_id")
    @click.option(
        "--reason",
        type=click.Choice([r.value for r in RevocationReason]),
        default="unspecified",
        show_default=True,
        help="CRL reason code.",
    )
    @click.option("--note", help="Free text for the seal's history.")
    def seal_revoke(seal_id: str, reason: str, note: str | None) -> None:
        """Revoke a seal for good; its certificate goes on the CRL at once."""
        info = service().seals.revoke(
            seal_id, reason=RevocationReason(reason), note=note, now=_now(), actor=_actor()
        )
        suffix = " and its certificate is on the CRL" if info.certified_by == "internal" else ""
        click.echo(f"Seal {info.id} is revoked{suffix}.")

    @seal.command("csr")
    @click.argument("seal_id")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
    def seal_csr(seal_id: str, out: Path | None) -> None:
        """Print a CSR (PEM) for the seal's key, for an external CA to certify."""
        pem = service().seals.csr(seal_id)
        if out is None:
            click.echo(pem.decode(), nl=False)
        else:
            _write(out, pem)
            click.echo(f"Wrote {out}.")

    @seal.command("import-cert")
    @click.argument("seal_id")
    @click.argument("chain", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def seal_import_cert(seal_id: str, chain: Path) -> None:
        """Import the certificate chain (PEM) an external CA issued for the seal's key."""
        info = service().seals.import_certificate(
            seal_id, _read(chain, "chain"), now=_now(), actor=_actor()
        )
        click.echo(
            f"Seal {info.id} has certificate {info.certificate_serial} from "
            f"{info.certificate_issuer}; it is {info.status}."
        )

    @click.group()
    def ca() -> None:
        """Tongban's internal certification authority."""

    @ca.command("root")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
    def ca_root(out: Path | None) -> None:
        """Print the root certificate (PEM) that verifiers trust."""
        pem = service().ca.root_pem()
        if out is None:
            click.echo(pem.decode(), nl=False)
        else:
            _write(out, pem)
            click.echo(f"Wrote {out}.")

    @click.group()
    def approval() -> None:
        """Approvals (批复文件): stamp a PDF, or render one from a template and stamp it."""

    @approval.command("stamp")
    @click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--seal", "seal_id", required=True, help="Seal id.")
    @click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--title", help="Title to record (default: the file name).")
    @click.option("--page", type=click.IntRange(1), help="Page for the seal (from 1).")
    @click.option("--at", help="Centre of the seal: X,Y in points from the bottom left.")
    @click.option("--anchor", help="Named destination to centre the seal on (default seal-1).")
    def approval_stamp(
        pdf: Path,
        seal_id: str,
        out: Path,
        title: str | None,
        page: int | None,
        at: str | None,
        anchor: str | None,
    ) -> None:
        """Stamp IN.pdf with a seal and write OUT.pdf (also kept as an approval)."""
        placement = _placement(page, at) or ({"anchor": anchor} if anchor else None)
        svc = service()
        submitted = svc.approvals.submit(
            ApprovalRequest(
                seal_id=seal_id,
                person_id=None,
                pdf=_read(pdf, "PDF"),
                title=title or pdf.stem,
                placement=placement,
            ),
            department_id=None,
            client_id=None,
            idempotency_key=None,
            now=_now(),
            actor=_actor(),
        )
        _, signed = svc.approvals.document(
            submitted.approval.id, department_id=submitted.approval.department_id
        )
        _write(out, signed)
        click.echo(f"Stamped {out} with {seal_id} (approval {submitted.approval.id}).")

    @approval.command("render")
    @click.option("--template", type=click.Choice(TEMPLATES), default="approval", show_default=True)
    @click.option(
        "--data",
        "data_file",
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="JSON: title, document_number, applicant, body, issuers, issued_on.",
    )
    @click.option("--seal", "seal_id", required=True, help="Seal id.")
    @click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    def approval_render(template: str, data_file: Path, seal_id: str, out: Path) -> None:
        """Render an approval from a template and data, stamp it, write OUT.pdf."""
        try:
            data = json.loads(_read(data_file, "data").decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RequestInvalid(f"{data_file} is not UTF-8 JSON: {exc}") from exc
        svc = service()
        submitted = svc.approvals.submit(
            ApprovalRequest(seal_id=seal_id, person_id=None, template=template, data=data),
            department_id=None,
            client_id=None,
            idempotency_key=None,
            now=_now(),
            actor=_actor(),
        )
        _, signed = svc.approvals.document(
            submitted.approval.id, department_id=submitted.approval.department_id
        )
        _write(out, signed)
        click.echo(f"Rendered and stamped {out} with {seal_id} (approval {submitted.approval.id}).")

    @click.command("verify")
    @click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--json", "as_json", is_flag=True, help="The full report as JSON.")
    def verify(pdf: Path, as_json: bool) -> None:
        """Verify the seals on a PDF. Exit code 0 only when every seal is valid."""
        report = service().verify(_read(pdf, "PDF"), now=_now())
        if as_json:
            _echo_json(report.to_json())
        else:
            _print_report(report)
        sys.exit(0 if report.verdict is Verdict.VALID else 1)

    return [seal, ca, approval, verify]


def _print_report(report: VerificationReport) -> None:
    marks = {
        Verdict.VALID: "VALID",
        Verdict.INVALID: "INVALID",
        Verdict.INDETERMINATE: "NOT VERIFIED",
    }
    click.echo(f"{marks[report.verdict]}: {len(report.signatures)} seal(s)")
    for signature in report.signatures:
        click.echo(f"- {signature.field_name}: {marks[signature.verdict]}")
        click.echo(f"  seal        {signature.seal_name}")
        if signature.department:
            click.echo(f"  department  {signature.department}")
        if signature.timestamp is not None:
            click.echo(
                f"  sealed at   {signature.timestamp.time:%Y-%m-%d %H:%M:%S %Z} "
                f"(timestamp by {signature.timestamp.authority})"
            )
        elif signature.signing_time is not None:
            click.echo(f"  sealed at   {signature.signing_time:%Y-%m-%d %H:%M:%S %Z} (claimed)")
        click.echo(f"  chain       {' <- '.join(signature.chain) or 'not built'}")
        revocation = signature.revocation
        state = (
            "revoked"
            if revocation.revoked
            else "checked, not revoked"
            if revocation.checked
            else "not checked"
        )
        click.echo(f"  revocation  {state}")
        if signature.updated_after_signing:
            click.echo(
                f"  changed     {signature.later_revisions} later revision(s): {signature.modification}"
            )
        for problem in signature.problems:
            click.echo(f"  problem     {problem.value}: {problem.description}")
