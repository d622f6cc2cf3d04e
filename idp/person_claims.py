"""Claim values of a person, wired to their sources: the account, the encrypted phone
and ID numbers, and the entity the person acts for in this login.

Full numbers are decrypted only when a granted scope releases them: ``phone`` (the
number in E.164 form) and ``idnumber`` (only for clients allowed it, after explicit
consent; the authorization endpoint refuses the scope to other clients). ``realname``
carries the masked number. ``entity`` is re-checked at every use, so an agent whose
appointment expired or was revoked stops being named at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from idp.claims import ClaimsRequest
from idp.claims import PersonClaims
from idp.claims import release
from idp.identity.masking import mask_id_number

if TYPE_CHECKING:
    from idp.provider import Provider


def person_claims(
    provider: Provider,
    person_id: str,
    *,
    entity_id: str | None = None,
    allow_id_number: bool = True,
) -> PersonClaims:
    accounts = provider.accounts
    person = accounts.get(person_id)

    def id_number() -> str | None:
        return accounts.id_number_of(person_id) if allow_id_number else None

    def id_number_masked() -> str | None:
        number = accounts.id_number_of(person_id) if person.has_id_number else None
        return mask_id_number(number) if number else None

    def phone_number() -> str | None:
        number = accounts.phone_of(person_id) if person.has_phone else None
        return f"+86{number}" if number else None

    def entity() -> dict[str, Any] | None:
        if entity_id is None:
            return None
        role = provider.entities.role_for(person_id, entity_id, now=datetime.now(UTC))
        return role.claim() if role is not None else None

    return PersonClaims(
        name=person.name,
        loa=person.loa,
        realname_verified=person.realname_verified,
        id_type=person.id_type,
        id_number_masked=id_number_masked,
        id_number=id_number,
        phone_number=phone_number,
        phone_number_verified=person.phone_verified,
        entity=entity,
    )


def id_token_claims(
    provider: Provider,
    person_id: str,
    scopes: Iterable[str],
    request: ClaimsRequest,
    *,
    entity_id: str | None = None,
) -> dict[str, Any]:
    """The claims the ``claims`` parameter asked to have in the ID token (§5.5), limited
    to what the granted scopes release; and, like ``acr``, the entity this login acts
    for when the ``entity`` scope was granted (it describes the login, not the person)."""
    scopes = list(scopes)
    wanted = [name for name in request.id_token if name not in ("acr", "auth_time", "amr", "sub")]
    if entity_id is not None and "entity" in scopes and "entity" not in wanted:
        wanted.append("entity")
    if not wanted:
        return {}
    values = person_claims(provider, person_id, entity_id=entity_id)
    return release(values, scopes, only=wanted)
