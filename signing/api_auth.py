"""Who is calling a department API, as the signing and licence services see it.

Department systems call with an OAuth access token from the client credentials grant
(RFC 6749 §4.4, an RFC 9068 JWT). Checking it is the identity provider's business, and
``signing`` must not import ``idp``: the composition root supplies an
:class:`APIAuthenticator` that does (``tongban.api_auth``), and the services only see
the resulting :class:`APIClient`. ``licences`` uses the same port.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from config.errors import TongbanError


class APIAuthError(TongbanError):
    """The bearer token is missing, invalid, expired or revoked (RFC 6750 §3.1)."""

    code = "invalid_token"
    http_status = 401
    expose = True


class APIScopeError(TongbanError):
    """The token lacks the scope this operation needs (RFC 6750 §3.1 insufficient_scope)."""

    code = "insufficient_scope"
    http_status = 403
    expose = True


@dataclass(frozen=True)
class APIClient:
    """An authenticated department system."""

    client_id: str
    department_id: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise APIScopeError(f"this operation needs the {scope} scope")


class APIAuthenticator(Protocol):
    def authenticate(self, bearer_token: str | None) -> APIClient:
        """The client behind a bearer token; raise :class:`APIAuthError` otherwise."""
        ...

    def person_for_subject(self, client: APIClient, sub: str) -> str | None:
        """The person id behind the ``sub`` this client knows (pairwise subjects), or None."""
        ...
