"""The error base every Tongban package builds on.

::

    TongbanError                 code, public message, private detail
    └── ConfigError              a setting is missing, unknown or has a bad value
        └── ProductionGuardError production mode found an unsafe setting

Each package defines its own base on top of :class:`TongbanError` (``KeysError``,
``StoreError``, ``AuditError``, ...). The public message may be shown to a person;
``detail`` goes to the log only.
"""

from __future__ import annotations

from typing import ClassVar


class TongbanError(Exception):
    """An expected failure with a stable ``code`` and a message fit to show."""

    code: ClassVar[str] = "error"
    #: HTTP status the web layer answers with.
    http_status: ClassVar[int] = 500
    #: Whether the message may be shown to the client: true only for errors about the
    #: client's own input. Others show a generic, localized title.
    expose: ClassVar[bool] = False

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class ConfigError(TongbanError):
    """A setting is missing, unknown or has a bad value; the message names the key."""

    code = "config_invalid"


class ProductionGuardError(ConfigError):
    """Production mode refuses an unsafe setting (http issuer, default secret, open key file)."""

    code = "config_unsafe_for_production"
