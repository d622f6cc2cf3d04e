"""Real-name verification against an authoritative registry (local tables or HTTP)."""

from idp.registry.errors import RegistryError
from idp.registry.errors import RegistryImportInvalid
from idp.registry.errors import RegistryRequestRefused
from idp.registry.errors import RegistryUnavailable
from idp.registry.errors import RowProblem
from idp.registry.http import HTTPRegistry
from idp.registry.importer import ImportProgress
from idp.registry.importer import ImportReport
from idp.registry.importer import import_entities
from idp.registry.importer import import_persons
from idp.registry.importer import prune_stale_persons
from idp.registry.local import LocalRegistry
from idp.registry.port import EntityStatus
from idp.registry.port import Outcome
from idp.registry.port import RealNameRegistry
from idp.registry.port import Verdict

__all__ = [
    "EntityStatus",
    "HTTPRegistry",
    "ImportProgress",
    "ImportReport",
    "LocalRegistry",
    "Outcome",
    "RealNameRegistry",
    "RegistryError",
    "RegistryImportInvalid",
    "RegistryRequestRefused",
    "RegistryUnavailable",
    "RowProblem",
    "Verdict",
    "import_entities",
    "import_persons",
    "prune_stale_persons",
]
