"""The real-name registry port: is this name the holder of this ID number, and does
this legal representative head this entity?

Two adapters implement it: :mod:`idp.registry.local` (tables loaded from the
province's shared population and legal-entity data) and :mod:`idp.registry.http`
(the national verification service, per ``docs/registry-http-contract.md``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from typing import Protocol
from typing import runtime_checkable

from idp.identity.documents import Document
from idp.identity.uscc import CreditCode

_BLANKS: Final = re.compile(r"\s+")
#: Middle dots people type inside minority and foreign names (买买提·艾力).
_DOTS: Final = re.compile("[\u00b7\u2022\u2027\u2219\u22c5\u30fb\uff0e.]")


class Outcome(StrEnum):
    MATCH = "match"
    NAME_MISMATCH = "name_mismatch"
    REPRESENTATIVE_MISMATCH = "representative_mismatch"
    NOT_FOUND = "not_found"
    #: The entity exists but is not in business (revoked, cancelled).
    INACTIVE = "inactive"


class EntityStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Verdict:
    """A registry's answer. Only :attr:`matched` verifies anyone; the other outcomes
    are for the audit trail and must not all be told apart to the person."""

    outcome: Outcome
    #: Which adapter answered: ``local`` or ``http``.
    registry: str
    #: The registry's own reference for the check, where it gives one.
    reference: str | None = None
    entity_status: EntityStatus | None = None

    @property
    def matched(self) -> bool:
        return self.outcome is Outcome.MATCH


@runtime_checkable
class RealNameRegistry(Protocol):
    """An authoritative source of who holds which ID number and who heads which entity.

    Both methods answer with a :class:`Verdict` and raise
    :class:`~idp.registry.errors.RegistryUnavailable` when the registry cannot answer
    now: callers must then create nothing and tell the person to retry. Names are
    compared after :func:`normalise_name`.
    """

    name: str

    def verify_person(self, name: str, doc: Document) -> Verdict:
        """Whether ``name`` is the registered holder of ``doc``."""
        ...

    def verify_entity(self, uscc: CreditCode, name: str, legal_representative_name: str) -> Verdict:
        """Whether ``uscc`` is registered, active, under ``name``, headed by
        ``legal_representative_name``."""
        ...


def normalise_name(name: str) -> str:
    """The form names are stored, sent and compared in: NFKC, one space between words,
    one kind of middle dot."""
    text = _BLANKS.sub(" ", unicodedata.normalize("NFKC", name)).strip()
    return _DOTS.sub("\u00b7", text)


def same_name(a: str, b: str) -> bool:
    """Whether two names are the same after :func:`normalise_name` and case folding."""
    return normalise_name(a).casefold() == normalise_name(b).casefold()
