"""Open the stores the settings describe."""

from __future__ import annotations

from config.settings import Settings
from store.db import Database
from store.ephemeral import EphemeralStore
from store.redis_ephemeral import RedisEphemeralStore
from store.sql_ephemeral import SQLEphemeralStore


def open_database(settings: Settings) -> Database:
    return Database(
        settings.database_url,
        pool_size=settings.database.pool_size,
        connect_timeout=settings.database.connect_timeout,
    )


def open_ephemeral(settings: Settings, db: Database) -> EphemeralStore:
    """Redis when ``redis.url`` is set, else the ``ephemeral`` table in ``db``."""
    if settings.redis.url:
        return RedisEphemeralStore(
            settings.redis.url, prefix=settings.redis.prefix, timeout=settings.redis.timeout
        )
    return SQLEphemeralStore(db)
