"""Storage errors.

::

    StoreError
    ├── DatabaseUnavailable    the durable database cannot be reached
    ├── SchemaOutOfDate        tables are missing or older than the code: run `tongban db upgrade`
    └── EphemeralUnavailable   Redis (or the ephemeral table) cannot be reached
"""

from __future__ import annotations

from config.errors import TongbanError


class StoreError(TongbanError):
    code = "store_error"
    http_status = 503


class DatabaseUnavailable(StoreError):
    code = "database_unavailable"


class SchemaOutOfDate(StoreError):
    code = "schema_out_of_date"


class EphemeralUnavailable(StoreError):
    code = "ephemeral_store_unavailable"
