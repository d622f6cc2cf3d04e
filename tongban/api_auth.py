"""The API authenticator the signing and licence services use, backed by the identity
provider (the composition root is the one place that may join the two)."""

from __future__ import annotations

import time
from typing import Any

from idp.clients import Client
from idp.oauth.tokens import InvalidToken
from idp.oauth.tokens import TokenIssuer
from idp.provider import Provider
from signing.api_auth import APIAuthError
from signing.api_auth import APIClient


def verified_token(
    provider: Provider, tokens: TokenIssuer, bearer_token: str | None
) -> tuple[dict[str, Any], Client]:
    """The claims of a valid, unrevoked access token and its still-active client."""
    if not bearer_token:
        raise APIAuthError("an access token is required (Authorization: Bearer ...)")
    try:
        claims = tokens.verify_access_token(bearer_token, now=int(time.time()))
    except InvalidToken:
        raise APIAuthError("the access token is invalid, expired or revoked") from None
    client = provider.clients.find(str(claims["client_id"]))
    if client is None:
        raise APIAuthError("the client is not active")
    return claims, client


class IdpAPIAuthenticator:
    def __init__(self, provider: Provider) -> None:
        self._provider = provider
        self._tokens = TokenIssuer(provider)

    def authenticate(self, bearer_token: str | None) -> APIClient:
        claims, client = verified_token(self._provider, self._tokens, bearer_token)
        return APIClient(
            client.client_id, client.department_id, frozenset(str(claims.get("scope", "")).split())
        )

    def person_for_subject(self, client: APIClient, sub: str) -> str | None:
        registered = self._provider.clients.find(client.client_id)
        if registered is None:
            return None
        return self._provider.subjects.person_for(registered.sector, sub)
