"""The ``http`` real-name registry: the national verification service over HTTPS.

The JSON contract, the request signing and the error handling are specified in
``docs/registry-http-contract.md``; this adapter is its client side.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from typing import Final

import httpx

from idp.authn.signed_http import SignedJSONClient
from idp.authn.signed_http import UpstreamError
from idp.identity.documents import Document
from idp.identity.uscc import CreditCode
from idp.registry.errors import RegistryRequestRefused
from idp.registry.errors import RegistryUnavailable
from idp.registry.port import EntityStatus
from idp.registry.port import Outcome
from idp.registry.port import Verdict
from idp.registry.port import normalise_name

PERSON_OUTCOMES: Final = frozenset({Outcome.MATCH, Outcome.NAME_MISMATCH, Outcome.NOT_FOUND})
ENTITY_OUTCOMES: Final = frozenset(Outcome)
UNAVAILABLE: Final = "the real-name registry is not answering; please try again in a minute"


class HTTPRegistry:
    name = "http"

    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: bytes,
        *,
        timeout: float = 3.0,
        retries: int = 1,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = SignedJSONClient(
            base_url,
            client_id,
            secret,
            timeout=timeout,
            retries=retries,
            transport=transport,
            clock=clock,
            sleep=sleep,
        )

    def verify_person(self, name: str, doc: Document) -> Verdict:
        payload = {
            "name": normalise_name(name),
            "document": {"type": doc.type.value, "number": doc.number},
        }
        answer = self._post("/v1/persons/verify", payload)
        outcome = _outcome(answer, PERSON_OUTCOMES)
        return Verdict(outcome, self.name, reference=_reference(answer))

    def verify_entity(self, uscc: CreditCode, name: str, legal_representative_name: str) -> Verdict:
        payload = {
            "uscc": uscc.code,
            "name": normalise_name(name),
            "legal_representative_name": normalise_name(legal_representative_name),
        }
        answer = self._post("/v1/entities/verify", payload)
        outcome = _outcome(answer, ENTITY_OUTCOMES)
        status: EntityStatus | None = None
        if outcome is not Outcome.NOT_FOUND:
            try:
                status = EntityStatus(str(answer.get("status")))
            except ValueError:
                raise _protocol(f"entity status {answer.get('status')!r}") from None
        if (outcome is Outcome.INACTIVE) != (status not in (None, EntityStatus.ACTIVE)):
            raise _protocol(f"result {outcome.value} with status {status}")
        return Verdict(outcome, self.name, reference=_reference(answer), entity_status=status)

    def close(self) -> None:
        self._client.close()

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._client.post(path, payload)
        except UpstreamError as exc:
            detail = f"registry {exc.kind}: {exc.detail}"
            if exc.kind == "refused":
                raise RegistryRequestRefused(
                    "the real-name registry refused Tongban's request; check registry.http "
                    "client_id, secret and base_url",
                    detail=detail,
                ) from None
            raise RegistryUnavailable(
                UNAVAILABLE, retry_after=exc.retry_after, detail=detail
            ) from None


def _outcome(answer: dict[str, Any], allowed: frozenset[Outcome]) -> Outcome:
    try:
        outcome = Outcome(str(answer.get("result")))
    except ValueError:
        raise _protocol(f"result {answer.get('result')!r}") from None
    if outcome not in allowed:
        raise _protocol(f"result {outcome.value} is not defined here")
    return outcome


def _reference(answer: dict[str, Any]) -> str | None:
    reference = answer.get("reference")
    return reference[:100] if isinstance(reference, str) else None


def _protocol(what: str) -> RegistryUnavailable:
    # The registry answered, but not as the contract says: treat it as down (nothing is
    # decided on a malformed answer), and say in the log what was wrong.
    return RegistryUnavailable(UNAVAILABLE, detail=f"registry answer breaks the contract: {what}")
