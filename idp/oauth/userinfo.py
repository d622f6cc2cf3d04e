"""The UserInfo endpoint (OpenID Connect Core §5.3) with RFC 6750 bearer errors."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from idp.claims import release
from idp.errors import PersonNotFound
from idp.oauth.server import OAuthServer
from idp.oauth.tokens import InvalidToken
from idp.person_claims import person_claims
from keys.jose import sign_jwt


@dataclass(frozen=True)
class UserinfoResponse:
    status: int
    body: bytes
    content_type: str
    www_authenticate: str | None = None


def bearer_error(status: int, error: str | None, description: str = "") -> UserinfoResponse:
    """RFC 6750 §3: the error goes in ``WWW-Authenticate``; no error code when no token."""
    challenge = 'Bearer realm="tongban"'
    if error:
        challenge += f', error="{error}"'
        if description:
            challenge += f', error_description="{description}"'
    body = json.dumps({"error": error, "error_description": description} if error else {})
    return UserinfoResponse(status, body.encode(), "application/json", challenge)


def userinfo(server: OAuthServer, token: str | None) -> UserinfoResponse:
    provider = server.provider
    if not token:
        return bearer_error(401, None)
    now = int(time.time())
    try:
        claims = server.issuer.verify_access_token(token, now=now)
    except InvalidToken:
        return bearer_error(401, "invalid_token", "the access token is invalid, expired or revoked")
    scopes = str(claims.get("scope", "")).split()
    if "openid" not in scopes:
        return bearer_error(403, "insufficient_scope", "the token lacks the openid scope")
    client = provider.clients.find(str(claims["client_id"]))
    if client is None:
        return bearer_error(401, "invalid_token", "the client is no longer active")
    person_id = provider.subjects.person_for(client.sector, str(claims["sub"]))
    if person_id is None:
        return bearer_error(401, "invalid_token", "unknown subject")
    entity_id = claims.get("tb_entity")
    try:
        values = person_claims(
            provider,
            person_id,
            entity_id=entity_id if isinstance(entity_id, str) else None,
            allow_id_number=client.allow_id_number,
        )
        if provider.accounts.get(person_id).status != "active":
            return bearer_error(401, "invalid_token", "the account is disabled")
    except PersonNotFound:
        return bearer_error(401, "invalid_token", "unknown subject")
    body = {"sub": claims["sub"], **release(values, scopes)}
    alg = client.userinfo_signed_response_alg
    if alg:
        # §5.3.2: a signed response carries iss and aud.
        signed = sign_jwt(
            provider.keys.active(provider.signing_purpose(alg)),
            {**body, "iss": provider.issuer, "aud": client.client_id},
        )
        return UserinfoResponse(200, signed.encode(), "application/jwt")
    return UserinfoResponse(200, json.dumps(body, ensure_ascii=False).encode(), "application/json")
