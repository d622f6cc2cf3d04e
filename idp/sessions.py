"""Browser sessions at the provider, in the ephemeral store (Redis in production).

A session records who logged in, when (``auth_time``), how (``acr``, ``amr``), for
which legal entity they act (``acting_for``, chosen after login) and which clients
received tokens in it. It ends after ``idp.session_idle_seconds``
unused or ``idp.session_max_seconds`` after login. Every login makes a new session
id, so an id planted before login is worth nothing (no fixation).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Final

from config.settings import IdpSettings
from store.ephemeral import EphemeralStore

PREFIX: Final = "session:"
#: public id → secret id, so a session can be ended by the id tokens and pages show.
PUBLIC_PREFIX: Final = "session-public:"
#: Refresh the stored copy (and its expiry) at most this often on reads.
TOUCH_EVERY: Final = 60


@dataclass(frozen=True)
class BrowserSession:
    """``sid`` is the secret in the cookie; ``public_id`` is what tokens call ``sid``."""

    sid: str
    public_id: str
    person_id: str
    auth_time: int
    acr: str
    amr: tuple[str, ...]
    created_at: int
    last_seen: int
    clients: tuple[str, ...] = field(default=())
    #: The id of the entity the person chose to act for; None: for themselves.
    acting_for: str | None = None


class Sessions:
    def __init__(self, store: EphemeralStore, settings: IdpSettings) -> None:
        self._store = store
        self._settings = settings

    def create(
        self,
        person_id: str,
        *,
        acr: str,
        amr: tuple[str, ...],
        now: int,
        continuing: BrowserSession | None = None,
    ) -> BrowserSession:
        """A new session with a new secret id. ``continuing`` (the same person logging in
        again, e.g. a step-up) keeps its public id and clients, so single logout still
        reaches every client; its old secret id stops working."""
        session = BrowserSession(
            sid=secrets.token_urlsafe(32),
            public_id=continuing.public_id if continuing else secrets.token_urlsafe(16),
            person_id=person_id,
            auth_time=now,
            acr=acr,
            amr=amr,
            created_at=now,
            last_seen=now,
            clients=continuing.clients if continuing else (),
        )
        if continuing is not None:
            self._store.delete(PREFIX + continuing.sid)
        self._save(session, now)
        self._store.put(
            PUBLIC_PREFIX + session.public_id,
            session.sid.encode(),
            ttl=self._settings.session_max_seconds,
        )
        return session

    def get(self, sid: str | None, *, now: int) -> BrowserSession | None:
        """The live session ``sid``, or None when absent, idle too long or too old."""
        if not sid or len(sid) > 64:
            return None
        raw = self._store.get(PREFIX + sid)
        if raw is None:
            return None
        data = json.loads(raw)
        session = BrowserSession(
            **{**data, "amr": tuple(data["amr"]), "clients": tuple(data["clients"])}
        )
        if (
            now - session.last_seen > self._settings.session_idle_seconds
            or now - session.created_at > self._settings.session_max_seconds
        ):
            self.end(sid)
            return None
        if now - session.last_seen >= TOUCH_EVERY:
            session = replace(session, last_seen=now)
            self._save(session, now)
        return session

    def by_public_id(self, public_id: str, *, now: int) -> BrowserSession | None:
        sid = self._store.get(PUBLIC_PREFIX + public_id) if public_id else None
        return self.get(sid.decode(), now=now) if sid else None

    def add_client(self, session: BrowserSession, client_id: str, *, now: int) -> BrowserSession:
        """Note that ``client_id`` received tokens in this session (for single logout)."""
        if client_id in session.clients:
            return session
        updated = replace(session, clients=(*session.clients, client_id), last_seen=now)
        self._save(updated, now)
        return updated

    def update(
        self,
        session: BrowserSession,
        *,
        now: int,
        acr: str | None = None,
        acting_for: str | bool | None = False,
    ) -> BrowserSession:
        """Change the level (after real-name verification) or the entity acted for
        (``acting_for=None`` means the person themselves; ``False`` leaves it)."""
        changes: dict[str, object] = {"last_seen": now}
        if acr is not None:
            changes["acr"] = acr
        if acting_for is not False:
            changes["acting_for"] = acting_for
        updated = replace(session, **changes)  # type: ignore[arg-type]
        self._save(updated, now)
        return updated

    def end(self, sid: str) -> None:
        raw = self._store.take(PREFIX + sid)
        if raw is not None:
            self._store.delete(PUBLIC_PREFIX + json.loads(raw)["public_id"])

    def _save(self, session: BrowserSession, now: int) -> None:
        remaining = min(
            self._settings.session_idle_seconds,
            session.created_at + self._settings.session_max_seconds - now,
        )
        if remaining <= 0:
            self.end(session.sid)
            return
        body = json.dumps(asdict(session), separators=(",", ":")).encode()
        self._store.put(PREFIX + session.sid, body, ttl=max(1, remaining))
