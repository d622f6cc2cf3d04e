"""The identity provider's services, built once per process from its dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from config.settings import Settings
from idp.accounts import Accounts
from idp.clients import ClientRegistry
from idp.consent import Consents
from idp.deps import IdpDeps
from idp.passwords import Passwords
from idp.sessions import Sessions
from idp.subjects import Subjects
from keys.keystore import KeyStore
from store.db import Database
from store.ephemeral import EphemeralStore

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

    def signing_purpose(self, alg: str | None = None) -> str:
        """The key purpose that signs with ``alg`` (default: ``keys.algorithm``)."""
        return PURPOSE_FOR_ALG[alg or self.settings.keys.algorithm]

    def signing_purposes(self) -> tuple[str, ...]:
        return tuple(PURPOSE_FOR_ALG.values())
