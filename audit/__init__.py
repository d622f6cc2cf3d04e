"""The append-only, hash-chained audit trail (电子监察)."""

from audit.trail import AuditEvent
from audit.trail import ChainProblem
from audit.trail import ChainReport
from audit.trail import recent_events
from audit.trail import record
from audit.trail import verify_chain

__all__ = ["AuditEvent", "ChainProblem", "ChainReport", "recent_events", "record", "verify_chain"]
