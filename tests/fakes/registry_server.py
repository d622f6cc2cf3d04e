"""A fake national real-name registry over HTTP, per docs/registry-http-contract.md:
signature checks, persons and entities, and failure knobs from SignedService."""

from __future__ import annotations

from typing import Any

from tests.fakes.signed_service import SignedService

CLIENT = "tongban-province"
SECRET = b"registry-test-secret-0123456789ab"


class FakeRegistry(SignedService):
    def __init__(self) -> None:
        super().__init__({CLIENT: SECRET})
        self.persons: dict[tuple[str, str], str] = {}
        self.entities: dict[str, dict[str, str]] = {}
        #: When set, every verified request is answered with this instead.
        self.override: dict[str, Any] | None = None
        self._counter = 0

    def handle(self, path: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.override is not None:
            return 200, self.override
        self._counter += 1
        reference = f"RNV-{self._counter:06d}"
        if path.endswith("/v1/persons/verify"):
            doc = payload["document"]
            holder = self.persons.get((doc["type"], doc["number"]))
            if holder is None:
                return 200, {"result": "not_found", "reference": reference}
            result = "match" if holder == payload["name"] else "name_mismatch"
            return 200, {"result": result, "reference": reference}
        if path.endswith("/v1/entities/verify"):
            entity = self.entities.get(payload["uscc"])
            if entity is None:
                return 200, {"result": "not_found", "reference": reference}
            if entity["status"] != "active":
                result = "inactive"
            elif entity["name"] != payload["name"]:
                result = "name_mismatch"
            elif entity["legal_representative"] != payload["legal_representative_name"]:
                result = "representative_mismatch"
            else:
                result = "match"
            return 200, {"result": result, "status": entity["status"], "reference": reference}
        return 404, {"error": "not found"}
