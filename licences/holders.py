"""The licence library as holders and the departments they consent to see it: query functions.

``licences`` must not import the identity provider, so who a person is and which legal
entities they may act for come in from the composition root, which asks ``idp``:

* :class:`Holder` is "this logged-in person, and the entities (credit codes) they may act
  for now": the person's own id, plus every entity for which they are the legal
  representative or an agent whose grant covers licences and has not expired.
* :class:`HolderAuthenticator` turns a *person's* OAuth access token (from a login whose
  scope included ``licence:<type>``, with the person's consent) into a :class:`HolderGrant`.

The user space ("my licences") calls :func:`licences_for_holder` and, for a download or a
QR picture, :func:`pdf_for_holder` or :func:`qr_svg_for_holder`, which refuse (as "not
found", so nothing leaks) a licence that is not the holder's. A department system calls
``GET /api/licences/shared`` with the person's access token; :func:`shared_licences`
returns only the types the token's scopes name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Protocol

from licences.service import LicenceService
from licences.service import LicenceView
from licences.service_errors import LicenceNotFound

__all__ = [
    "Holder",
    "HolderAuthenticator",
    "HolderGrant",
    "licence_for_holder",
    "licences_for_holder",
    "pdf_for_holder",
    "qr_svg_for_holder",
    "shared_licences",
]

SCOPE_PREFIX = "licence:"


@dataclass(frozen=True)
class Holder:
    """A person and the legal entities they may act for at this moment."""

    person_id: str
    entity_codes: frozenset[str] = frozenset()

    def holds(self, licence: LicenceView) -> bool:
        if licence.holder_kind == "person":
            return licence.holder_code == self.person_id
        return licence.holder_code in self.entity_codes


@dataclass(frozen=True)
class HolderGrant:
    """What a person's access token allows a department system to read."""

    client_id: str
    department_id: str
    scopes: frozenset[str]
    holder: Holder

    @property
    def licence_types(self) -> frozenset[str]:
        """The licence types the person consented to share (scopes ``licence:<type>``)."""
        return frozenset(s[len(SCOPE_PREFIX) :] for s in self.scopes if s.startswith(SCOPE_PREFIX))


class HolderAuthenticator(Protocol):
    """Checks a person's access token (not a client credentials token).

    Raises :class:`signing.api_auth.APIAuthError` for a missing, invalid, expired or revoked
    token, and for a token that does not stand for a person.
    """

    def authenticate_holder(self, bearer_token: str | None) -> HolderGrant:
        """The grant behind the token."""
        ...


def licences_for_holder(
    service: LicenceService, holder: Holder, *, type_id: str | None = None
) -> list[LicenceView]:
    """The holder's licences, their own and their entities', newest first."""
    found = service.licences_of("person", holder.person_id, type_id=type_id)
    for code in sorted(holder.entity_codes):
        found += service.licences_of("entity", code, type_id=type_id)
    return sorted(found, key=lambda view: (view.issued_at, view.id), reverse=True)


def licence_for_holder(service: LicenceService, holder: Holder, licence_id: str) -> LicenceView:
    """The licence, only for its holder.

    :raises LicenceNotFound: if there is no such licence or it is not the holder's (the
        same answer for both, so nothing leaks).
    """
    try:
        licence = service.get(licence_id)
    except LicenceNotFound:
        raise LicenceNotFound("no such licence among yours") from None
    if not holder.holds(licence):
        raise LicenceNotFound("no such licence among yours")
    return licence


def pdf_for_holder(service: LicenceService, holder: Holder, licence_id: str) -> bytes:
    """The sealed PDF, only for its holder (see :func:`licence_for_holder`)."""
    licence_for_holder(service, holder, licence_id)
    return service.pdf(licence_id)


def qr_svg_for_holder(service: LicenceService, holder: Holder, licence_id: str) -> bytes:
    """The QR code as SVG, only for its holder (see :func:`licence_for_holder`)."""
    licence_for_holder(service, holder, licence_id)
    return service.qr_image(licence_id, "svg")


def shared_licences(
    service: LicenceService, grant: HolderGrant, *, now: datetime
) -> list[dict[str, Any]]:
    """The licence data a department may read with the holder's consent: the types named
    by the token's ``licence:<type>`` scopes, currently valid or not (the state says)."""
    types = grant.licence_types
    if not types:
        return []
    return [
        {**view.to_json(now), "record": view.record()}
        for view in licences_for_holder(service, grant.holder)
        if view.type_id in types
    ]
