"""Claim values of a person, read from the account (issue 4 adds phones, ID numbers,
entities)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from idp.accounts import Accounts
from idp.claims import ClaimsRequest
from idp.claims import PersonClaims
from idp.claims import release


def person_claims(accounts: Accounts, person_id: str) -> PersonClaims:
    person = accounts.get(person_id)
    return PersonClaims(
        name=person.name,
        loa=person.loa,
        realname_verified=person.realname_verified_at is not None,
        id_type=person.id_type,
        id_number_masked=None,
    )


def id_token_claims(
    accounts: Accounts, person_id: str, scopes: Iterable[str], request: ClaimsRequest
) -> dict[str, Any]:
    """The claims the ``claims`` parameter asked to have in the ID token (§5.5), limited
    to what the granted scopes release."""
    wanted = [name for name in request.id_token if name not in ("acr", "auth_time", "amr", "sub")]
    if not wanted:
        return {}
    return release(person_claims(accounts, person_id), scopes, only=wanted)
