"""What the identity provider needs from the process that hosts it.

The composition root's runtime object satisfies this protocol structurally, so
``idp`` never imports ``tongban``.
"""

from __future__ import annotations

from typing import Protocol

from config.settings import Settings
from keys.keystore import KeyStore
from keys.pii import PersonalDataCipher
from store.db import Database
from store.ephemeral import EphemeralStore


class IdpDeps(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def ephemeral(self) -> EphemeralStore: ...

    @property
    def keys(self) -> KeyStore: ...

    @property
    def pii(self) -> PersonalDataCipher: ...
