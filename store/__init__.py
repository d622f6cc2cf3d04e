"""Durable storage (SQLAlchemy) and the ephemeral store (Redis, or SQL without Redis)."""

from store.base import Base
from store.db import Database
from store.ephemeral import EphemeralStore
from store.errors import DatabaseUnavailable
from store.errors import EphemeralUnavailable
from store.errors import SchemaOutOfDate
from store.errors import StoreError

__all__ = [
    "Base",
    "Database",
    "DatabaseUnavailable",
    "EphemeralStore",
    "EphemeralUnavailable",
    "SchemaOutOfDate",
    "StoreError",
]
