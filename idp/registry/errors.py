"""Real-name registry errors.

::

    RegistryError
    ├── RegistryUnavailable     the registry did not answer in time or failed (503);
    │                           the person is told to retry after ``retry_after`` seconds
    ├── RegistryRequestRefused  the registry refused our request (4xx): configuration
    └── RegistryImportInvalid   an import file has bad rows; nothing was imported (400)
"""

from __future__ import annotations

from dataclasses import dataclass

from config.errors import TongbanError


class RegistryError(TongbanError):
    code = "registry_error"
    http_status = 503


class RegistryUnavailable(RegistryError):
    """The registry cannot answer now; nothing was decided, so the person may retry."""

    code = "registry_unavailable"
    expose = True

    def __init__(self, message: str, *, retry_after: int = 30, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after


class RegistryRequestRefused(RegistryError):
    """The registry refused the request itself (bad credentials or contract mismatch)."""

    code = "registry_request_refused"


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one row of an import file; ``line`` counts from 1 (the header)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class RegistryImportInvalid(RegistryError):
    """An import file has bad rows, listed in ``problems``; nothing was committed."""

    code = "registry_import_invalid"
    http_status = 400
    expose = True

    def __init__(
        self, message: str, *, problems: tuple[RowProblem, ...] = (), bad_rows: int = 0
    ) -> None:
        super().__init__(message)
        self.problems = problems
        self.bad_rows = bad_rows or len(problems)
