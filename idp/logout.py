"""Single logout: ending a browser session everywhere it was used.

Ending a session (the person logs out at one client, ends it in the user space, or an
operator ends it) always does the same things in one transaction: the durable session
record is closed, an audit event is written, and for every client that received tokens
in the session a Back-Channel Logout notice (OpenID Connect Back-Channel Logout 1.0) is
put in the outbox, which delivers it with retries, so a client that is down now still
hears of the logout when it comes back. Clients that registered a front-channel logout
URI (Front-Channel Logout 1.0) are returned for the logout page to load.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Final
from urllib.parse import urlencode
from urllib.parse import urlsplit

import httpx

from audit.trail import record as audit_record
from idp.clients import Client
from idp.clients import ClientRegistry
from idp.session_log import SessionLog
from idp.sessions import BrowserSession
from idp.sessions import Sessions
from idp.subjects import Subjects
from keys.jose import sign_jwt
from keys.keystore import KeyStore
from store.db import Database
from store.outbox import DeliveryFailed
from store.outbox import enqueue

BACKCHANNEL_KIND: Final = "backchannel_logout"
LOGOUT_EVENT: Final = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_SECONDS: Final = 120
TIMEOUT: Final = 5.0


@dataclass(frozen=True)
class FrontChannelNotice:
    client_id: str
    url: str


class Logouts:
    def __init__(
        self,
        *,
        db: Database,
        sessions: Sessions,
        session_log: SessionLog,
        clients: ClientRegistry,
        subjects: Subjects,
        keys: KeyStore,
        issuer: str,
        signing_purpose: str,
        http: httpx.Client | None = None,
    ) -> None:
        self._db = db
        self._sessions = sessions
        self._log = session_log
        self._clients = clients
        self._subjects = subjects
        self._keys = keys
        self._issuer = issuer
        self._purpose = signing_purpose
        self._http = http or httpx.Client(timeout=TIMEOUT, follow_redirects=False)

    def end(
        self, session: BrowserSession, *, reason: str, actor: str, now: datetime | None = None
    ) -> list[FrontChannelNotice]:
        """End ``session`` everywhere; return the front-channel URLs to load."""
        now = now or datetime.now(UTC)
        self._sessions.end(session.sid)
        clients = [c for c in (self._clients.find(cid) for cid in session.clients) if c]
        # Subjects first, outside the transaction: looking one up may open a transaction
        # of its own, and on SQLite a second writer in this thread waits for the first.
        subs = {
            c.client_id: self._subjects.sub_for(c.sector, session.person_id, now=now)
            for c in clients
        }
        front: list[FrontChannelNotice] = []
        with self._db.transaction() as tx:
            self._log.close(tx, session.public_id, reason=reason, now=now)
            for client in clients:
                sub = subs[client.client_id]
                if client.backchannel_logout_uri:
                    enqueue(
                        tx,
                        BACKCHANNEL_KIND,
                        client.client_id,
                        {
                            "client_id": client.client_id,
                            "uri": client.backchannel_logout_uri,
                            "sub": sub,
                            "sid": session.public_id,
                        },
                        now=now,
                    )
                if client.frontchannel_logout_uri:
                    front.append(
                        FrontChannelNotice(
                            client.client_id,
                            _frontchannel_url(
                                client.frontchannel_logout_uri, self._issuer, session.public_id
                            ),
                        )
                    )
            audit_record(
                tx,
                actor=actor,
                action="session.end",
                target=f"person:{session.person_id}",
                now=now,
                details={
                    "sid": session.public_id,
                    "reason": reason,
                    "clients": [c.client_id for c in clients],
                },
            )
        return front

    def end_all(self, person_id: str, *, reason: str, actor: str) -> int:
        """End every live session of a person (the user space's "log out everywhere", or an
        operator's decision); return how many ended."""
        ended = 0
        for public_id in self._log.open_sessions(person_id):
            session = self._sessions.by_public_id(public_id, now=int(time.time()))
            if session is None:
                with self._db.transaction() as tx:
                    self._log.close(tx, public_id, reason="expired", now=datetime.now(UTC))
                continue
            self.end(session, reason=reason, actor=actor)
            ended += 1
        return ended

    def deliver_backchannel(self, payload: Mapping[str, Any]) -> None:
        """Outbox handler: POST a freshly signed logout token (§2.5) to the client."""
        client = self._clients.find(str(payload["client_id"]))
        if client is None:
            return  # The client was disabled or deleted since: nobody to tell.
        token = self.logout_token(client, sub=str(payload["sub"]), sid=str(payload["sid"]))
        try:
            response = self._http.post(
                str(payload["uri"]),
                data={"logout_token": token},
                headers={"Cache-Control": "no-cache"},
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__} reaching {_host(payload['uri'])}") from None
        if response.status_code != 200:
            # §2.8: 200 means done; 400 with an error body means the RP refused it.
            raise DeliveryFailed(f"HTTP {response.status_code} from {_host(payload['uri'])}")

    def logout_token(self, client: Client, *, sub: str, sid: str) -> str:
        """A Logout Token (Back-Channel Logout 1.0 §2.4): never a nonce, always events."""
        now = int(time.time())
        claims = {
            "iss": self._issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + LOGOUT_TOKEN_SECONDS,
            "jti": secrets.token_urlsafe(16),
            "sub": sub,
            "sid": sid,
            "events": {LOGOUT_EVENT: {}},
        }
        signer = self._keys.active(self._purpose)
        return sign_jwt(signer, claims, typ="logout+jwt")


def _frontchannel_url(base: str, issuer: str, sid: str) -> str:
    """Front-Channel Logout 1.0 §2: ``iss`` and ``sid`` are added to the registered URI."""
    separator = "&" if urlsplit(base).query else "?"
    return base + separator + urlencode({"iss": issuer, "sid": sid})


def _host(uri: Any) -> str:
    return urlsplit(str(uri)).netloc or "the client"
