"""Operator commands for browser sessions: see them, and end them everywhere."""

from __future__ import annotations

import getpass
from collections.abc import Callable

import click

from idp.deps import IdpDeps
from idp.provider import Provider


def commands(deps: Callable[[], IdpDeps]) -> list[click.Command]:
    @click.group()
    def session() -> None:
        """Browser sessions: login history, and ending sessions everywhere."""

    @session.command("list")
    @click.option("--username", required=True)
    @click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
    def session_list(username: str, limit: int) -> None:
        """A person's sessions, newest first (live ones have no end time)."""
        p = Provider(deps())
        person = p.accounts.by_username(username)
        for entry in p.session_log.history(person.id, limit):
            ended = (
                f"ended {entry.ended_at:%Y-%m-%d %H:%M} ({entry.end_reason})"
                if entry.ended_at
                else "live"
            )
            click.echo(
                f"{entry.public_id}  {entry.started_at:%Y-%m-%d %H:%M}  {entry.acr}  "
                f"{','.join(entry.amr)}  {entry.network or '-'}  {ended}  "
                f"clients: {', '.join(entry.clients) or '-'}"
            )

    @session.command("end")
    @click.option("--username", required=True)
    def session_end(username: str) -> None:
        """End all of a person's sessions; every client that received tokens is told."""
        p = Provider(deps())
        person = p.accounts.by_username(username)
        ended = p.logouts.end_all(
            person.id, reason="operator", actor=f"operator:{getpass.getuser()}"
        )
        click.echo(f"Ended {ended} session(s) of {person.username}; clients are being notified.")

    return [session]
