"""The composition root's side of the licence service: its sealer and its token checks.

* **Sealer.** Until the signing service offers "seal this PDF for department D", licence
  PDFs are sealed by :class:`licences.provisional_sealer.ProvisionalSealer` (real PAdES
  stamps, but with a PKI held in memory). Swap :func:`build_sealer` for the signing
  service's implementation at merge; nothing else changes.
* **Holder tokens.** :class:`IdpHolderAuthenticator` turns a person's access token into the
  :class:`licences.holders.HolderGrant` the consent-sharing endpoint needs, using the
  identity provider (which ``licences`` may not import).
"""

from __future__ import annotations

import time

from idp.oauth.tokens import InvalidToken
from idp.oauth.tokens import TokenIssuer
from idp.provider import Provider
from licences.holders import Holder
from licences.holders import HolderGrant
from licences.provisional_sealer import ProvisionalSealer
from licences.sealing import LicenceSealer
from licences.service import LicenceService
from signing.api_auth import APIAuthError
from tongban.runtime import Runtime


def build_sealer(rt: Runtime, issuer_name: dict[str, str]) -> LicenceSealer:
    """PROVISIONAL: the signing service's sealer replaces this at merge."""
    return ProvisionalSealer(
        lambda department: issuer_name.get(department, department),
        base_url=rt.settings.licence_url,
    )


class _IssuerNames(dict[str, str]):
    """Issuer names read from the licence service when first asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.service: LicenceService | None = None

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        if key not in self and self.service is not None:
            self.update({d: n for d, n, _ in self.service.issuers()})
        return super().get(key, default)


def build_licence_service(rt: Runtime) -> LicenceService:
    names = _IssuerNames()
    service = LicenceService(rt.db, rt.keys, rt.settings, build_sealer(rt, names))
    names.service = service
    return service


class IdpHolderAuthenticator:
    """A person's access token → the licences they let a department read.

    Entities: the identity provider does not model legal entities and agents yet (issue 4);
    until it does, a person holds only their own licences. The lead wires the entities a
    person may act for here (the ``entity`` claim's source).
    """

    def __init__(self, provider: Provider) -> None:
        self._provider = provider
        self._tokens = TokenIssuer(provider)

    def authenticate_holder(self, bearer_token: str | None) -> HolderGrant:
        if not bearer_token:
            raise APIAuthError("an access token is required (Authorization: Bearer ...)")
        try:
            claims = self._tokens.verify_access_token(bearer_token, now=int(time.time()))
        except InvalidToken:
            raise APIAuthError("the access token is invalid, expired or revoked") from None
        client = self._provider.clients.find(str(claims["client_id"]))
        if client is None:
            raise APIAuthError("the client is not active")
        person_id = self._provider.subjects.person_for(client.sector, str(claims.get("sub", "")))
        if person_id is None:
            raise APIAuthError("the access token does not stand for a person")
        return HolderGrant(
            client.client_id,
            client.department_id,
            frozenset(str(claims.get("scope", "")).split()),
            Holder(person_id),
        )
