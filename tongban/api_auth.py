"""The API authenticator the signing and licence services use, backed by the identity
provider (the composition root is the one place that may join the two)."""

from __future__ import annotations

import time

from idp.oauth.tokens import InvalidToken
from idp.oauth.tokens import TokenIssuer
from idp.provider import Provider
from signing.api_auth import APIAuthError
from signing.api_auth import APIClient


class IdpAPIAuthenticator:
    def __init__(self, provider: Provider) -> None:
        self._provider = provider
        self._tokens = TokenIssuer(provider)

    def authenticate(self, bearer_token: str | None) -> APIClient:
        if not bearer_token:
            raise APIAuthError("an access token is required (Authorization: Bearer ...)")
        try:
            claims = self._tokens.verify_access_token(bearer_token, now=int(time.time()))
        except InvalidToken:
            raise APIAuthError("the access token is invalid, expired or revoked") from None
        client = self._provider.clients.find(str(claims["client_id"]))
        if client is None:
            raise APIAuthError("the client is not active")
        return APIClient(
            client.client_id, client.department_id, frozenset(str(claims.get("scope", "")).split())
        )

    def person_for_subject(self, client: APIClient, sub: str) -> str | None:
        registered = self._provider.clients.find(client.client_id)
        if registered is None:
            return None
        return self._provider.subjects.person_for(registered.sector, sub)
