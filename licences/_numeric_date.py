"""NumericDate (RFC 7519 §2, RFC 8392 §2): whole seconds since the epoch, as aware datetimes."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Final
from typing import TypeGuard

#: Latest NumericDate we accept: 9999-12-31T23:59:59Z, the last second ``datetime`` holds.
MAX_NUMERIC_DATE: Final = 253402300799


def to_numeric_date(moment: datetime, *, name: str = "time") -> int:
    """Whole seconds since the epoch; ``moment`` must be timezone-aware and whole-second.

    :raises ValueError: naming ``name`` otherwise, or outside [0, MAX_NUMERIC_DATE].
    """
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    if moment.microsecond:
        raise ValueError(f"{name} must be a whole second (NumericDate has no fractions here)")
    seconds = moment.timestamp()
    if not 0 <= seconds <= MAX_NUMERIC_DATE:
        raise ValueError(f"{name} is outside the supported NumericDate range")
    return int(seconds)


def from_numeric_date(seconds: int) -> datetime:
    """The UTC datetime of a NumericDate already checked to be an int in range."""
    return datetime.fromtimestamp(seconds, tz=UTC)


def is_numeric_date(value: object) -> TypeGuard[int]:
    """Whether ``value`` is an integer NumericDate within the supported range."""
    return type(value) is int and 0 <= value <= MAX_NUMERIC_DATE
