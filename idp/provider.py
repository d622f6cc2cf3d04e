"""The identity provider's services, built once per process from its dependencies.

The adapters the settings choose are built here too: the SMS gateway (development
outbox or signed HTTP), the real-name registry (local tables or signed HTTP) and the
keys that key one-time-code hashes and throttle counters, derived from ``secret_key``.
Tests replace an adapter by assigning the attribute before first use.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from functools import cached_property
from urllib.parse import urlsplit

from config.settings import Settings
from idp.accounts import Accounts
from idp.authn.otp import OneTimeCodes
from idp.authn.otp import OneTimeCodeSettings
from idp.authn.sms import DevOutboxSMSGateway
from idp.authn.sms import HTTPSMSGateway
from idp.authn.sms import SMSGateway
from idp.authn.throttle import LoginThrottle
from idp.authn.throttle import ThrottleSettings
from idp.authn.totp import TOTPVerifier
from idp.certificates import CertificateLogins
from idp.clients import ClientRegistry
from idp.consent import Consents
from idp.deps import IdpDeps
from idp.entities import Entities
from idp.federation import Federation
from idp.login import Logins
from idp.logout import BACKCHANNEL_KIND
from idp.logout import Logouts
from idp.passkeys import Passkeys
from idp.passwords import Passwords
from idp.realname import RealNames
from idp.registration import Registrations
from idp.registry.http import HTTPRegistry
from idp.registry.local import LocalRegistry
from idp.registry.port import RealNameRegistry
from idp.session_log import SessionLog
from idp.sessions import BrowserSession
from idp.sessions import Sessions
from idp.subjects import Subjects
from keys.keystore import KeyStore
from keys.pii import PersonalDataCipher
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

    @property
    def pii(self) -> PersonalDataCipher:
        return self.deps.pii

    def derived_key(self, purpose: str) -> bytes:
        """A key for ``purpose`` derived from ``secret_key`` (HMAC-SHA256): every worker
        derives the same, and no two purposes share one."""
        return hmac.new(
            self.settings.secret_key.encode("utf-8"),
            f"tongban/idp/{purpose}".encode("ascii"),
            hashlib.sha256,
        ).digest()

    # -- accounts and protocol ------------------------------------------------------------------

    @cached_property
    def passwords(self) -> Passwords:
        idp = self.settings.idp
        return Passwords(
            memory_kib=idp.argon2_memory_kib,
            iterations=idp.argon2_iterations,
            concurrency=idp.argon2_concurrency,
        )

    @cached_property
    def clients(self) -> ClientRegistry:
        return ClientRegistry(self.db, allow_http_loopback=not self.settings.production)

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.db, self.passwords, self.pii)

    @cached_property
    def subjects(self) -> Subjects:
        return Subjects(self.db)

    @cached_property
    def consents(self) -> Consents:
        return Consents(self.db)

    @cached_property
    def sessions(self) -> Sessions:
        return Sessions(self.ephemeral, self.settings.idp)

    # -- adapters chosen by the settings --------------------------------------------------------

    @cached_property
    def sms_gateway(self) -> SMSGateway | None:
        sms = self.settings.sms
        if sms.kind == "off":
            return None
        if sms.kind == "http":
            return HTTPSMSGateway(
                sms.url,
                sms.account,
                sms.secret.encode("utf-8"),
                timeout=sms.timeout,
                retries=sms.retries,
            )
        return DevOutboxSMSGateway(self.ephemeral)

    @cached_property
    def registry(self) -> RealNameRegistry:
        registry = self.settings.registry
        if registry.kind == "http":
            return HTTPRegistry(
                registry.url,
                registry.client_id,
                registry.secret.encode("utf-8"),
                timeout=registry.timeout,
                retries=registry.retries,
            )
        return LocalRegistry(self.db, self.pii)

    # -- authenticators ---------------------------------------------------------------------------

    @cached_property
    def codes(self) -> OneTimeCodes | None:
        gateway = self.sms_gateway
        if gateway is None:
            return None
        authn = self.settings.authn
        return OneTimeCodes(
            self.ephemeral,
            gateway,
            self.derived_key("otp"),
            OneTimeCodeSettings(
                ttl=authn.otp_seconds,
                max_attempts=authn.otp_attempts,
                per_phone_hour=authn.otp_per_phone_hour,
                per_address_hour=authn.otp_per_address_hour,
            ),
        )

    @cached_property
    def throttle(self) -> LoginThrottle:
        authn = self.settings.authn
        return LoginThrottle(
            self.ephemeral,
            self.derived_key("throttle"),
            ThrottleSettings(
                free_failures_pair=authn.free_failures_pair,
                free_failures_login=authn.free_failures_account,
                free_failures_address=authn.free_failures_address,
                max_delay=authn.lockout_max_seconds,
                window=authn.failure_window_seconds,
            ),
        )

    @cached_property
    def totp(self) -> TOTPVerifier:
        return TOTPVerifier(self.ephemeral, self.derived_key("totp"))

    @cached_property
    def logins(self) -> Logins:
        return Logins(self.accounts, self.throttle, self.totp, self.codes)

    @cached_property
    def passkeys(self) -> Passkeys:
        issuer = urlsplit(self.issuer)
        return Passkeys(
            self.db,
            self.ephemeral,
            rp_id=self.settings.authn.webauthn_rp_id or (issuer.hostname or "localhost"),
            rp_name="通办 Tongban",
            origin=f"{issuer.scheme}://{issuer.netloc}",
        )

    @cached_property
    def certificates(self) -> CertificateLogins:
        return CertificateLogins(self.settings, self.ephemeral, self.entities)

    # -- real names and entities ------------------------------------------------------------------

    @cached_property
    def realnames(self) -> RealNames:
        return RealNames(self.db, self.registry, self.accounts)

    @cached_property
    def entities(self) -> Entities:
        return Entities(self.db, self.registry, self.accounts)

    @cached_property
    def registrations(self) -> Registrations | None:
        codes = self.codes
        if codes is None or not self.settings.authn.self_registration:
            return None
        return Registrations(
            self.ephemeral,
            codes,
            self.accounts,
            self.realnames,
            ttl=self.settings.idp.interaction_seconds,
        )

    @cached_property
    def federation(self) -> Federation | None:
        """Login through the upstream provider, when ``federation.issuer`` is set."""
        settings = self.settings.federation
        return Federation(self.db, self.accounts, settings) if settings.issuer else None

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
