"""Audit errors.

::

    AuditError
    └── AuditDetailsInvalid   details that cannot be stored canonically (not JSON)
"""

from __future__ import annotations

from config.errors import TongbanError


class AuditError(TongbanError):
    code = "audit_error"


class AuditDetailsInvalid(AuditError):
    code = "audit_details_invalid"
