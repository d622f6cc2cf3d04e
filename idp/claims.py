"""Which claims a scope releases, the ``claims`` request parameter, and the claim values.

Standard scopes follow OpenID Connect Core §5.4. Tongban adds:

| scope | claims |
| --- | --- |
| ``realname`` | ``realname_verified``, ``legal_name``, ``id_type``, ``id_number_masked``, ``loa`` |
| ``idnumber`` | ``id_number`` (only for clients allowed it, with explicit consent) |
| ``entity`` | ``entity``: the legal entity or organization the person acts for |

``profile`` releases ``name`` only: a username shared across departments would undo
pairwise subject identifiers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Final

SCOPE_CLAIMS: Final[dict[str, tuple[str, ...]]] = {
    "profile": ("name",),
    "phone": ("phone_number", "phone_number_verified"),
    "realname": ("realname_verified", "legal_name", "id_type", "id_number_masked", "loa"),
    "idnumber": ("id_number",),
    "entity": ("entity",),
}
CLAIM_SCOPE: Final = {claim: scope for scope, claims in SCOPE_CLAIMS.items() for claim in claims}
#: Claims about the authentication itself, which may be asked for in the claims parameter.
AUTH_CLAIMS: Final = ("acr", "amr", "auth_time", "sub")
SUPPORTED_CLAIMS: Final = tuple(
    sorted(
        {
            *CLAIM_SCOPE,
            *AUTH_CLAIMS,
            "iss",
            "aud",
            "exp",
            "iat",
            "nonce",
            "sid",
            "at_hash",
            "c_hash",
            "azp",
        }
    )
)


class ClaimsRequestError(ValueError):
    """The ``claims`` parameter is not valid JSON of the shape §5.5 describes."""


@dataclass(frozen=True)
class ClaimsRequest:
    """The parsed ``claims`` request parameter (OpenID Connect Core §5.5)."""

    id_token: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    userinfo: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    @property
    def scopes_needed(self) -> set[str]:
        """Scopes whose consent the requested claims need."""
        names = {*self.id_token, *self.userinfo}
        return {CLAIM_SCOPE[n] for n in names if n in CLAIM_SCOPE}

    def essential_acr_values(self) -> tuple[str, ...]:
        """``values``/``value`` of an essential ``acr`` request for the ID token."""
        spec = self.id_token.get("acr")
        if not spec or not spec.get("essential"):
            return ()
        if isinstance(spec.get("values"), list):
            return tuple(str(v) for v in spec["values"])
        return (str(spec["value"]),) if "value" in spec else ()

    def as_json(self) -> dict[str, Any]:
        return {"id_token": self.id_token, "userinfo": self.userinfo}


def parse_claims_request(raw: str | None) -> ClaimsRequest:
    if not raw:
        return ClaimsRequest()
    try:
        data = json.loads(raw)
    except ValueError:
        raise ClaimsRequestError("claims is not valid JSON") from None
    if not isinstance(data, dict) or set(data) - {"id_token", "userinfo"}:
        raise ClaimsRequestError("claims must be an object with id_token and/or userinfo")
    parts: dict[str, dict[str, dict[str, Any] | None]] = {}
    for member in ("id_token", "userinfo"):
        value = data.get(member, {})
        if not isinstance(value, dict):
            raise ClaimsRequestError(f"claims.{member} must be an object")
        for name, spec in value.items():
            if spec is not None and not isinstance(spec, dict):
                raise ClaimsRequestError(f"claims.{member}.{name} must be null or an object")
        parts[member] = value
    return ClaimsRequest(id_token=parts["id_token"], userinfo=parts["userinfo"])


@dataclass(frozen=True)
class PersonClaims:
    """Claim values of one person. Values that cost a decryption or a query are given as
    callables, resolved only when a granted scope releases them."""

    name: str
    loa: int
    realname_verified: bool
    id_type: str | None
    id_number_masked: str | Callable[[], str | None] | None = None
    id_number: Callable[[], str | None] = field(default=lambda: None)
    phone_number: Callable[[], str | None] = field(default=lambda: None)
    phone_number_verified: bool = False
    entity: dict[str, Any] | Callable[[], dict[str, Any] | None] | None = None


def release(
    person: PersonClaims, scopes: Iterable[str], only: Iterable[str] | None = None
) -> dict[str, Any]:
    """The claims ``scopes`` release for ``person``, optionally limited to ``only``."""
    wanted = set(only) if only is not None else None
    claims: dict[str, Any] = {}
    for scope in scopes:
        for name in SCOPE_CLAIMS.get(scope, ()):
            if wanted is not None and name not in wanted:
                continue
            value = _value(person, name)
            if value is not None:
                claims[name] = value
    return claims


def _value(person: PersonClaims, name: str) -> Any:
    if name == "legal_name":
        return person.name if person.realname_verified else None
    value = getattr(person, name)
    return value() if callable(value) else value
