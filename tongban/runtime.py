"""The typed runtime: settings plus the adapters built once per process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from flask import current_app

from config.settings import Settings
from keys.keystore import KeyStore
from keys.master import load_master_keys
from keys.pii import PersonalDataCipher
from store.connect import open_database
from store.connect import open_ephemeral
from store.db import Database
from store.ephemeral import EphemeralStore

MIGRATIONS: Final = Path(__file__).parent / "migrations"
#: Key purposes `tongban init` creates and `/readyz` expects, with their algorithms:
#: one OpenID Connect signing key per algorithm a client may choose for its ID tokens.
REQUIRED_KEY_PURPOSES: Final = {"oidc-es256": "ES256", "oidc-rs256": "RS256", "oidc-eddsa": "EdDSA"}
EXTENSION: Final = "tongban"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: Database
    ephemeral: EphemeralStore
    keys: KeyStore
    #: Encrypts ID and phone numbers at rest and makes their lookup hashes.
    pii: PersonalDataCipher


def build_runtime(settings: Settings, environ: Mapping[str, str] | None = None) -> Runtime:
    """Open the database, the ephemeral store and the key store the settings describe.

    Nothing here talks to the network yet: connections open on first use, so a
    worker starts even while the database is down, and ``/readyz`` says so.
    """
    env = os.environ if environ is None else environ
    db = open_database(settings)
    master = load_master_keys(env, settings.master_key_path)
    return Runtime(
        settings=settings,
        db=db,
        ephemeral=open_ephemeral(settings, db),
        keys=KeyStore(db, master, settings.keys),
        pii=PersonalDataCipher(master),
    )


def runtime() -> Runtime:
    """The runtime of the current Flask app."""
    rt: Runtime = current_app.extensions[EXTENSION]
    return rt
