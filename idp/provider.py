"""The identity provider's services, built once per process from its dependencies."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from functools import cached_property

from config.settings import Settings
from idp.accounts import Accounts
from idp.clients import ClientRegistry
from idp.consent import Consents
from idp.deps import IdpDeps
from idp.logout import BACKCHANNEL_KIND
from idp.logout import Logouts
from idp.passwords import Passwords
from idp.session_log import SessionLog
from idp.sessions import BrowserSession
from idp.sessions import Sessions
from idp.subjects import Subjects
from keys.keystore import KeyStore
from store.db import Database
from store.ephemeral import EphemeralStore
from store.outbox import Outbox

#: The key purpose that signs with each algorithm (see tongban.runtime).
PURPOSE_FOR_ALG = {"ES256": "oidc-es256", "RS256": "oidc-rs256", "EdDSA": "oidc-eddsa"}


@dataclass
class Provider:
    deps: IdpDeps

    @property
    def settings(self) -> Settings:
        return self.deps.settings

    @property
    def issuer(self) -> str:
        return self.deps.settings.issuer

    @property
    def db(self) -> Database:
        return self.deps.db

    @property
    def ephemeral(self) -> EphemeralStore:
        return self.deps.ephemeral

    @property
    def keys(self) -> KeyStore:
        return self.deps.keys

    @cached_property
    def passwords(self) -> Passwords:
        idp = self.settings.idp
        return Passwords(memory_kib=idp.argon2_memory_kib, iterations=idp.argon2_iterations)

    @cached_property
    def clients(self) -> ClientRegistry:
        return ClientRegistry(self.db, allow_http_loopback=not self.settings.production)

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.db, self.passwords)

    @cached_property
    def subjects(self) -> Subjects:
        return Subjects(self.db)

    @cached_property
    def consents(self) -> Consents:
        return Consents(self.db)

    @cached_property
    def sessions(self) -> Sessions:
        return Sessions(self.ephemeral, self.settings.idp)

    @cached_property
    def session_log(self) -> SessionLog:
        return SessionLog(self.db)

    @cached_property
    def outbox(self) -> Outbox:
        outbox = Outbox(self.db)
        outbox.register(BACKCHANNEL_KIND, self.logouts.deliver_backchannel)
        return outbox

    @cached_property
    def logouts(self) -> Logouts:
        return Logouts(
            db=self.db,
            sessions=self.sessions,
            session_log=self.session_log,
            clients=self.clients,
            subjects=self.subjects,
            keys=self.keys,
            issuer=self.issuer,
            signing_purpose=self.signing_purpose(),
        )

    def start_session(
        self,
        person_id: str,
        *,
        acr: str,
        amr: tuple[str, ...],
        address: str | None = None,
        user_agent: str | None = None,
        previous: BrowserSession | None = None,
    ) -> BrowserSession:
        """A new browser session after a login, always with a new secret id (no fixation).

        If the browser already had a session: the same person (logging in again, or
        stepping up) continues it under the new id, keeping its ``sid`` and clients; a
        different person ends it first, with single logout.
        """
        now = int(time.time())
        continuing = previous if previous and previous.person_id == person_id else None
        if previous is not None and continuing is None:
            self.logouts.end(
                previous, reason="switched_account", actor=f"person:{previous.person_id}"
            )
        session = self.sessions.create(person_id, acr=acr, amr=amr, now=now, continuing=continuing)
        if continuing is None:
            self.session_log.opened(
                public_id=session.public_id,
                person_id=person_id,
                acr=acr,
                amr=amr,
                address=address,
                user_agent=user_agent,
                now=datetime.fromtimestamp(now, UTC),
            )
        return session

    def note_client(self, session: BrowserSession, client_id: str) -> BrowserSession:
        """Remember that ``client_id`` received tokens in ``session`` (for single logout)."""
        if client_id in session.clients:
            return session
        self.session_log.client_used(session.public_id, client_id)
        return self.sessions.add_client(session, client_id, now=int(time.time()))

    def signing_purpose(self, alg: str | None = None) -> str:
        """The key purpose that signs with ``alg`` (default: ``keys.algorithm``)."""
        return PURPOSE_FOR_ALG[alg or self.settings.keys.algorithm]

    def signing_purposes(self) -> tuple[str, ...]:
        return tuple(PURPOSE_FOR_ALG.values())
