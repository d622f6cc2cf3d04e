"""Token revocation (RFC 7009) and introspection (RFC 7662), on Authlib's endpoints."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from idp.clients import Client
from idp.oauth.grants import ALL_CLIENT_AUTH
from idp.oauth.grants import CONFIDENTIAL_AUTH
from idp.oauth.tokens import InvalidToken
from idp.oauth.tokens import RefreshState
from idp.oauth.tokens import TokenIssuer
from idp.oauth.tokens import grant_of
from idp.oauth.tokens import utc


@dataclass
class FoundToken:
    """A token presented for revocation or introspection, whatever its kind."""

    kind: str  # "access_token" or "refresh_token"
    client_id: str
    grant_id: str | None
    claims: dict[str, Any]
    refresh: RefreshState | None
    revoked: bool
    expires_at: int

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def is_expired(self) -> bool:
        return self.expires_at <= int(time.time())

    def is_revoked(self) -> bool:
        return self.revoked


def find_token(issuer: TokenIssuer, token: str, hint: str | None) -> FoundToken | None:
    """Look ``token`` up as a refresh token and as an access token (hint first)."""
    order = (
        ("access_token", "refresh_token")
        if hint == "access_token"
        else ("refresh_token", "access_token")
    )
    for kind in order:
        found = _refresh(issuer, token) if kind == "refresh_token" else _access(issuer, token)
        if found is not None:
            return found
    return None


def _refresh(issuer: TokenIssuer, token: str) -> FoundToken | None:
    if len(token) > 100 or token.count(".") == 2:
        return None
    state = issuer.find_refresh_token(token)
    if state is None:
        return None
    # A rotated refresh token is spent (its grace window is only for racing refreshes).
    revoked = state.rotated_at is not None or issuer.grant_revoked(state.grant_id)
    return FoundToken(
        "refresh_token",
        state.client_id,
        state.grant_id,
        {},
        state,
        revoked,
        int(state.expires_at.timestamp()),
    )


def _access(issuer: TokenIssuer, token: str) -> FoundToken | None:
    try:
        claims = issuer.verify_access_token(token, now=int(time.time()))
        revoked = False
    except InvalidToken:
        # Tell a genuine but expired or revoked token from garbage: only our signature counts.
        parsed = issuer.parse_access_token(token)
        if parsed is None:
            return None
        claims, revoked = parsed, True
    jti = str(claims.get("jti", ""))
    return FoundToken(
        "access_token",
        str(claims["client_id"]),
        grant_of(jti),
        claims,
        None,
        revoked,
        int(claims["exp"]),
    )


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ALL_CLIENT_AUTH

    def query_token(self, token_string: str, token_type_hint: str | None) -> FoundToken | None:
        return find_token(self.server.issuer, token_string, token_type_hint)

    def revoke_token(self, token: FoundToken, request: Any) -> None:
        issuer: TokenIssuer = self.server.issuer
        now = int(time.time())
        actor = f"client:{token.client_id}"
        if token.kind == "refresh_token" and token.grant_id:
            # RFC 7009 §2.1: revoking a refresh token revokes its grant's access tokens too.
            issuer.revoke_grant(
                token.grant_id, reason="revoked_by_client", now=utc(now), actor=actor
            )
        else:
            issuer.revoke_access_token(str(token.claims["jti"]), exp=token.expires_at, now=now)


class Introspection(IntrospectionEndpoint):
    # RFC 7662 §2.1: the endpoint must require authorization, against token scanning; a
    # public client's client_id proves nothing (anyone can read it off an authorization URL).
    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def query_token(self, token_string: str, token_type_hint: str | None) -> FoundToken | None:
        return find_token(self.server.issuer, token_string, token_type_hint)

    def check_permission(self, token: FoundToken, client: Client, request: Any) -> bool:
        """A client may introspect its own tokens and those of its department's clients."""
        if token.client_id == client.client_id:
            return True
        owner = self.server.provider.clients.find(token.client_id)
        return owner is not None and owner.department_id == client.department_id

    def introspect_token(self, token: FoundToken) -> dict[str, Any]:
        if token.kind == "refresh_token" and token.refresh is not None:
            state = token.refresh
            return {
                "active": True,
                "token_type": "refresh_token",
                "client_id": state.client_id,
                "scope": state.scope,
                "sub": state.context.sub,
                "exp": token.expires_at,
                "iss": self.server.provider.issuer,
            }
        claims = token.claims
        payload = {
            "active": True,
            "token_type": "Bearer",
            "iss": claims["iss"],
            "client_id": claims["client_id"],
            "sub": claims["sub"],
            "aud": claims["aud"],
            "scope": claims.get("scope", ""),
            "exp": claims["exp"],
            "iat": claims["iat"],
            "jti": claims["jti"],
        }
        for name in ("auth_time", "acr"):
            if name in claims:
                payload[name] = claims[name]
        return payload
