"""The ``tongban`` command line.

Every failure Tongban expects (a bad setting, an unreachable database, a missing or
wrong key) is one line on stderr and a non-zero exit code, never a traceback.
``TONGBAN_DEBUG=1`` shows the traceback of an unexpected error.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import sys
from dataclasses import asdict
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from audit.trail import recent_events
from audit.trail import verify_chain
from config.errors import TongbanError
from config.load import load
from config.reference import settings_reference
from idp import cli as idp_cli
from idp import session_cli as idp_session_cli
from keys.algorithms import ALGORITHMS
from licences import cli as licence_cli
from licences.service import LicenceService
from signing import cli as signing_cli
from signing.service import SigningService
from store.migrate import current_revision
from store.migrate import head_revision
from store.migrate import upgrade
from tongban.bootstrap import initialise
from tongban.checks import run_checks
from tongban.runtime import MIGRATIONS
from tongban.runtime import Runtime
from tongban.runtime import build_runtime
from tongban.services import build_signing


class TongbanGroup(click.Group):
    """A click group that turns Tongban's errors into one line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TongbanError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("TONGBAN_DEBUG"):
                raise
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            click.echo(
                f"Error: unexpected {type(exc).__name__}: {first_line} "
                "(set TONGBAN_DEBUG=1 to see the traceback)",
                err=True,
            )
            sys.exit(1)


#: Key purposes whose keys are certified (seals, the internal CA): never rotated here.
CERTIFIED_KEY_PREFIXES = ("seal:", "ca:")


def actor() -> str:
    return f"operator:{getpass.getuser()}"


def now() -> datetime:
    return datetime.now(UTC)


def open_runtime() -> Runtime:
    return build_runtime(load())


@click.group(cls=TongbanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tongban")
def main() -> None:
    """Tongban (通办): unified identity, electronic seals and e-licences.

    Settings come from $TONGBAN_DATA_DIR/tongban.toml (default ./var) and TONGBAN_*
    environment variables; see `tongban config reference`.
    """


def open_signing() -> SigningService:
    return build_signing(open_runtime())


def open_licence_service() -> LicenceService:
    from tongban.licence_wiring import build_licence_service

    rt = open_runtime()
    return build_licence_service(rt, build_signing(rt))


for _command in [
    *idp_cli.commands(open_runtime),
    *idp_session_cli.commands(open_runtime),
    *signing_cli.commands(open_signing),
    *licence_cli.commands(open_licence_service),
]:
    main.add_command(_command)


@main.command()
def init() -> None:
    """Create or complete the data directory: config, master key, database, keys.

    Safe to run again: whatever exists is kept.
    """
    report = initialise(say=lambda line: click.echo(f"  {line}"))
    for item in report.created:
        click.echo(f"created  {item}")
    for item in report.kept:
        click.echo(f"kept     {item}")
    click.echo(f"Ready in {report.data_dir}. Start with: tongban serve")


@main.command()
@click.option("--host", help="Address to bind (default: server.host).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: server.port).")
@click.option("--workers", type=click.IntRange(1, 256), help="Worker processes.")
@click.option("--threads", type=click.IntRange(1, 256), help="Request threads per worker.")
def serve(host: str | None, port: int | None, workers: int | None, threads: int | None) -> None:
    """Serve HTTP after checking settings, database, schema and keys."""
    # Workers rebuild settings from the environment, so the flags travel that way.
    flags = (("HOST", host), ("PORT", port), ("WORKERS", workers), ("THREADS", threads))
    for name, value in flags:
        if value is not None:
            os.environ[f"TONGBAN_SERVER__{name}"] = str(value)
    report = run_checks()
    failed = [r for r in report.results if not r.ok]
    if failed:
        for result in failed:
            click.echo(f"Error: {result.name}: {result.message}", err=True)
        sys.exit(1)
    from tongban.serve import serve as run_server

    settings = load()
    click.echo(
        f"Tongban serving {settings.issuer} on http://{settings.server.host}:"
        f"{settings.server.port} with {settings.server.workers} worker(s)"
    )
    run_server(settings)


@main.command()
def check() -> None:
    """Check settings, master key, database, schema, ephemeral store and keys.

    Exit code 0 when everything is usable, 1 otherwise.
    """
    report = run_checks()
    for result in report.results:
        mark = "ok  " if result.ok else "FAIL"
        click.echo(f"{mark} {result.name:<16} {result.message}")
    sys.exit(0 if report.ok and len(report.results) >= 6 else 1)


@main.command()
def worker() -> None:
    """Run the outbox worker in the foreground (set worker.embedded = false for serve)."""
    import signal
    import threading

    from tongban.worker import start_worker

    rt = open_runtime()
    running = start_worker(rt)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"Outbox worker running every {rt.settings.worker.interval:g} s; Ctrl-C stops it.")
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    running.stop()


@main.group()
def outbox() -> None:
    """Work that must not be lost: back-channel logout notices and more."""


@outbox.command("list")
@click.option("--status", type=click.Choice(["pending", "delivered", "failed"]))
@click.option("-n", "--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True)
def outbox_list(status: str | None, limit: int, as_json: bool) -> None:
    """Show messages and the outcome of their deliveries."""
    from tongban.worker import build_outbox

    box = build_outbox(open_runtime())
    items = box.list(status=status, limit=limit)
    if as_json:
        click.echo(json.dumps([asdict(i) for i in items], default=str, indent=2))
        return
    counts = box.counts()
    click.echo("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "empty")
    for m in items:
        when = m.delivered_at or m.next_attempt_at
        click.echo(
            f"{m.id}  {m.kind:<20} {m.target:<24} {m.status:<9} tries {m.attempts:<3} "
            f"{when:%Y-%m-%d %H:%M:%S}  {m.last_error or ''}"
        )


@outbox.command("retry")
@click.argument("message_id")
def outbox_retry(message_id: str) -> None:
    """Make a failed or waiting message due now."""
    from tongban.worker import build_outbox

    build_outbox(open_runtime()).retry(message_id, now())
    click.echo(f"{message_id} is due now.")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (a no-op when the schema is current)."""
    settings = load()
    from store.connect import open_database

    database = open_database(settings)
    before = current_revision(database)
    upgrade(database, MIGRATIONS)
    after = current_revision(database)
    if before == after:
        click.echo(f"Schema already at {after}.")
    else:
        click.echo(f"Schema upgraded from {before or 'empty'} to {after}.")


@db.command("current")
def db_current() -> None:
    """Show the schema revision and the newest one the code knows."""
    from store.connect import open_database

    database = open_database(load())
    click.echo(
        f"current {current_revision(database) or 'empty'}, newest {head_revision(MIGRATIONS)}"
    )


@main.group()
def keys() -> None:
    """Signing keys: list, rotate, prune, rewrap."""


@keys.command("list")
@click.option("--purpose", help="Only keys of this purpose.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def keys_list(purpose: str | None, as_json: bool) -> None:
    """List keys and their lifecycle state (never their private halves)."""
    infos = open_runtime().keys.list_keys(purpose)
    if as_json:
        click.echo(json.dumps([asdict(i) for i in infos], default=str, indent=2))
        return
    if not infos:
        click.echo("No keys. Run `tongban init`.")
        return
    click.echo(f"{'purpose':<10} {'kid':<23} {'alg':<6} {'state':<8} {'since':<20} until")
    for info in infos:
        since = info.removed_at or info.retired_at or info.activated_at or info.created_at
        until = (
            info.publish_until.strftime("%Y-%m-%d %H:%M")
            if info.state == "retired" and info.publish_until
            else ""
        )
        click.echo(
            f"{info.purpose:<10} {info.kid:<23} {info.alg:<6} {info.state:<8} "
            f"{since:%Y-%m-%d %H:%M}     {until}"
        )


@keys.command("rotate")
@click.option("--purpose", help="Which keys to rotate (default: every purpose).")
@click.option("--alg", type=click.Choice(ALGORITHMS), help="Algorithm of the new keys.")
@click.option(
    "--if-due", is_flag=True, help="Only if the active key is older than keys.rotate_after_days."
)
def keys_rotate(purpose: str | None, alg: str | None, if_due: bool) -> None:
    """Promote the next key to active, retire the active one, generate a new next key."""
    if alg and not purpose:
        raise click.UsageError("--alg needs --purpose: each purpose keeps one algorithm")
    if purpose and purpose.startswith(CERTIFIED_KEY_PREFIXES):
        raise click.UsageError(
            f"{purpose} keys are bound to certificates; replace a seal with a new one instead"
        )
    rt = open_runtime()
    purposes = [purpose] if purpose else rt.keys.purposes()
    # Seal and CA keys are certified: rotating one would part it from its certificate.
    purposes = [p for p in purposes if not p.startswith(CERTIFIED_KEY_PREFIXES)]
    if not purposes:
        click.echo("No keys. Run `tongban init`.")
        return
    for name in purposes:
        if if_due and not rt.keys.rotation_due(name, now()):
            click.echo(f"{name}: rotation not due yet.")
            continue
        rotation = rt.keys.rotate(name, now(), alg=alg, actor=actor())
        click.echo(
            f"{name}: active {rotation.activated}, next {rotation.next}"
            + (f", retired {rotation.retired}" if rotation.retired else "")
            + (f", removed {', '.join(rotation.removed)}" if rotation.removed else "")
        )


@keys.command("prune")
def keys_prune() -> None:
    """Remove retired keys whose publication period has ended."""
    removed = open_runtime().keys.prune(now(), actor=actor())
    click.echo(f"Removed {', '.join(removed)}." if removed else "Nothing to remove.")


@keys.command("rewrap")
def keys_rewrap() -> None:
    """Re-encrypt every private key under the first (primary) master key."""
    count = open_runtime().keys.rewrap(now(), actor=actor())
    click.echo(f"Re-encrypted {count} key(s) under the primary master key.")


@main.group()
def audit() -> None:
    """The hash-chained audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Check every event's hash and link; name each one that was changed or removed."""
    rt = open_runtime()
    with rt.db.transaction() as session:
        report = verify_chain(session)
    for problem in report.problems:
        click.echo(f"BROKEN {problem.message}", err=True)
    if report.intact:
        click.echo(
            f"Audit trail intact: {report.events} events, head #{report.head_seq} "
            f"{report.head_hash}"
        )
    else:
        click.echo(
            f"Audit trail BROKEN: {len(report.problems)} problem(s) in {report.events} events",
            err=True,
        )
        sys.exit(1)


@audit.command("tail")
@click.option("-n", "--lines", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--target", help="Only events about this target.")
def audit_tail(lines: int, target: str | None) -> None:
    """Show the newest events."""
    rt = open_runtime()
    with rt.db.transaction() as session:
        events = recent_events(session, lines, target)
    for e in reversed(events):
        click.echo(
            f"#{e.seq:<6} {e.at:%Y-%m-%d %H:%M:%S} {e.outcome:<8} {e.actor:<24} "
            f"{e.action:<20} {e.target} {json.dumps(e.details, ensure_ascii=False)}"
        )


@main.group("config")
def config_group() -> None:
    """Settings."""


@config_group.command("show")
def config_show() -> None:
    """Print the effective settings (secrets hidden)."""
    settings = load()
    click.echo(repr(settings))


@config_group.command("reference")
@click.option(
    "--write",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of printing.",
)
def config_reference(path: Path | None) -> None:
    """Print the settings reference in Markdown (docs/settings.md)."""
    text = settings_reference()
    if path is None:
        click.echo(text, nl=False)
    else:
        path.write_text(text, encoding="utf-8")
