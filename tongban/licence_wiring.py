"""The composition root's side of the licence service: its sealer and its token checks.

* **Sealer.** Licence PDFs are sealed by the signing service with the issuing
  department's active seal, centred on the licence's seal anchor
  (:class:`SigningServiceSealer`).
* **Holder tokens.** :class:`IdpHolderAuthenticator` turns a person's access token into the
  :class:`licences.holders.HolderGrant` the consent-sharing endpoint needs, using the
  identity provider (which ``licences`` may not import).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from datetime import UTC
from datetime import datetime

from idp.entities import EntityRole
from idp.oauth.tokens import TokenIssuer
from idp.provider import Provider
from licences.holders import Holder
from licences.holders import HolderGrant
from licences.sealing import SEAL_ANCHOR
from licences.sealing import LicenceSealer
from licences.service import LicenceService
from licences.service_errors import LicenceTypeNotFound
from signing.api_auth import APIAuthError
from signing.pades import AtAnchor
from signing.service import SigningService
from tongban.api_auth import verified_token
from tongban.i18n import translate
from tongban.runtime import Runtime


class SigningServiceSealer:
    """Seals licence PDFs through the signing service: the department's one active seal
    (PAdES B-LT with a timestamp), centred on :data:`licences.sealing.SEAL_ANCHOR`; each use
    is a ``seal.use`` audit event. A department without an active seal gets the signing
    service's error, and no licence is issued."""

    def __init__(self, signing: SigningService) -> None:
        self._signing = signing

    def seal_pdf(self, pdf: bytes, department_id: str) -> bytes:
        return self._signing.stamp_document(
            department_id,
            pdf,
            placement=AtAnchor(SEAL_ANCHOR),
            now=datetime.now(UTC),
            actor="service:licences",
            purpose="licence",
        )


def build_licence_service(rt: Runtime, signing: SigningService) -> LicenceService:
    sealer: LicenceSealer = SigningServiceSealer(signing)
    return LicenceService(rt.db, rt.keys, rt.settings, sealer)


def licence_scope_text(service: LicenceService) -> Callable[[str, str], str | None]:
    """Consent text for ``licence:<type>``: "read your <type name> licences"."""

    def describe(scope: str, locale: str) -> str | None:
        prefix, _, type_id = scope.partition(":")
        if prefix != "licence" or not type_id:
            return None
        try:
            name = service.get_type(type_id).name(locale)
        except LicenceTypeNotFound:
            name = type_id
        return translate("scope.licence_type", locale, name=name)

    return describe


#: An agent's scope that covers the entity's licences (``tongban agent add --scope licences``).
AGENT_LICENCE_SCOPE = "licences"


def holder_for(provider: Provider, person_id: str, *, now: datetime) -> Holder:
    """The person, and the entities whose licences they may see now (:func:`holder_of`)."""
    return holder_of(person_id, provider.entities.roles_of(person_id, now=now))


def holder_of(person_id: str, roles: Iterable[EntityRole]) -> Holder:
    """The person, and of the entities they act for now (``roles``) those whose licences
    they may see: those they are the legal representative of, and those whose agent they
    are with the ``licences`` scope."""
    codes = frozenset(
        role.entity.credit_code
        for role in roles
        if role.role == "legal_representative" or AGENT_LICENCE_SCOPE in role.scopes
    )
    return Holder(person_id, codes)


class IdpHolderAuthenticator:
    """A person's access token → the licences they let a department read: their own and
    those of the entities they may act for (:func:`holder_for`)."""

    def __init__(self, provider: Provider) -> None:
        self._provider = provider
        self._tokens = TokenIssuer(provider)

    def authenticate_holder(self, bearer_token: str | None) -> HolderGrant:
        claims, client = verified_token(self._provider, self._tokens, bearer_token)
        person_id = self._provider.subjects.person_for(client.sector, str(claims.get("sub", "")))
        if person_id is None:
            raise APIAuthError("the access token does not stand for a person")
        return HolderGrant(
            client.client_id,
            client.department_id,
            frozenset(str(claims.get("scope", "")).split()),
            holder_for(self._provider, person_id, now=datetime.now(UTC)),
        )
