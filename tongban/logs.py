"""Logging: one JSON object a line (or plain text), each carrying the request id.

A redaction filter masks anything shaped like a resident ID number or a mainland
mobile number before a record is written: personal data must not reach the log even
when a message was careless.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Final

from config.settings import LogSettings

request_id_var: ContextVar[str | None] = ContextVar("tongban_request_id", default=None)

_ID_NUMBER: Final = re.compile(r"(?<![0-9])([1-9][0-9]{3})[0-9]{10}([0-9]{3}[0-9Xx])(?![0-9])")
_MOBILE: Final = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
_STANDARD_ATTRS: Final = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    """Mask ID-number-shaped and mobile-number-shaped digit runs."""
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), text)
    return _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key != "request_id":
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        # Redact the finished line, so extra fields and tracebacks are covered too.
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(settings: LogSettings) -> None:
    """Send Tongban's logs to stderr in the configured format (idempotent)."""
    root = logging.getLogger("tongban")
    handler = next((h for h in root.handlers if getattr(h, "_tongban", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._tongban = True  # type: ignore[attr-defined]
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(JSONFormatter() if settings.format == "json" else TextFormatter())
    root.setLevel(settings.level)
    root.propagate = False


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"tongban.{name}")
