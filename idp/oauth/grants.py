"""The grants, on Authlib's (RFC 6749 §4.1, §4.4, §6), closing the traps it leaves open.

* Codes live in the ephemeral store and are redeemed with an atomic ``take``, so two
  concurrent redemptions cannot both succeed; a consumed-code marker makes a second
  redemption revoke every token the first one produced (RFC 6749 §4.1.2).
* PKCE (RFC 7636) accepts only S256, compared in constant time; it is required for
  every client, and only an operator may relax it to "recommended" for a
  confidential client.
* Refresh tokens rotate. A rotated token presented again within
  ``idp.refresh_grace_seconds`` (two refreshes racing) still works; after that, its
  reuse revokes the whole family.
* Client credentials never narrow a scope silently: a scope the client is not allowed
  is an ``invalid_scope`` error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import ClassVar
from typing import Final

from authlib.oauth2.rfc6749 import InvalidGrantError
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import InvalidScopeError
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import OpenIDCode

from idp.accounts import Person
from idp.clients import Client
from idp.errors import PersonNotFound
from idp.oauth.tokens import AuthContext
from idp.oauth.tokens import RefreshState
from idp.oauth.tokens import TokenIssuer
from idp.oauth.tokens import new_grant_id
from idp.oauth.tokens import utc
from idp.provider import Provider

CODE_KEY: Final = "code:"
USED_CODE_KEY: Final = "code-used:"
USER_SCOPES: Final = frozenset(
    {"openid", "profile", "phone", "realname", "idnumber", "entity", "offline_access"}
)
ALL_CLIENT_AUTH: Final = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
CONFIDENTIAL_AUTH: Final = ["client_secret_basic", "client_secret_post", "private_key_jwt"]


def code_key(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True)
class AuthorizationCode:
    """A redeemed code's data (Authlib's ``AuthorizationCodeMixin`` questions)."""

    client_id: str
    redirect_uri: str | None
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    grant_id: str
    context: AuthContext
    code: str

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class GrantBase:
    """What every grant needs, reached through its server (Authlib makes a grant per
    request with ``grant_cls(request, server)``)."""

    server: Any

    @property
    def provider(self) -> Provider:
        provider: Provider = self.server.provider
        return provider

    @property
    def issuer(self) -> TokenIssuer:
        issuer: TokenIssuer = self.server.issuer
        return issuer

    def _person(self, person_id: str) -> Person | None:
        try:
            person = self.provider.accounts.recent(person_id)
        except PersonNotFound:
            return None
        return person if person.active else None


class AuthorizationCodeGrant(GrantBase, grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_CLIENT_AUTH

    def generate_authorization_code(self) -> str:
        import secrets

        return secrets.token_urlsafe(32)

    def save_authorization_code(self, code: str, request: Any) -> None:
        context: AuthContext = request.auth_context
        payload = request.payload.data
        data = {
            "client_id": request.client.client_id,
            "redirect_uri": payload.get("redirect_uri"),
            "scope": request.scope,
            "code_challenge": payload.get("code_challenge"),
            "code_challenge_method": payload.get("code_challenge_method"),
            "grant_id": new_grant_id(),
            "context": context.to_json(),
        }
        self.provider.ephemeral.put(
            CODE_KEY + code_key(code),
            json.dumps(data).encode(),
            ttl=self.provider.settings.idp.code_seconds,
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        key = code_key(code)
        raw = self.provider.ephemeral.take(CODE_KEY + key)
        if raw is None:
            used = self.provider.ephemeral.get(USED_CODE_KEY + key)
            if used is not None:
                # RFC 6749 §4.1.2: a code used twice revokes what the first use produced.
                self.issuer.revoke_grant(
                    used.decode(),
                    reason="authorization_code_reused",
                    now=datetime.now(UTC),
                    actor=f"client:{client.client_id}",
                )
            return None
        data = json.loads(raw)
        idp = self.provider.settings.idp
        self.provider.ephemeral.put(
            USED_CODE_KEY + key,
            data["grant_id"].encode(),
            ttl=idp.code_seconds + idp.access_token_seconds,
        )
        if data["client_id"] != client.client_id:
            return None
        return AuthorizationCode(
            client_id=data["client_id"],
            redirect_uri=data["redirect_uri"],
            scope=data["scope"],
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            grant_id=data["grant_id"],
            context=AuthContext.from_json(data["context"]),
            code=code,
        )

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing to do: :meth:`query_authorization_code` already took the code."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Person | None:
        return self._person(authorization_code.context.person_id)

    def generate_token(
        self,
        user: Any = None,
        scope: str | None = None,
        grant_type: Any = None,
        expires_in: Any = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        code: AuthorizationCode = self.request.authorization_code
        client: Client = self.request.client
        now = int(time.time())
        access, lifetime = self.issuer.access_token(
            client,
            sub=code.context.sub,
            scope=code.scope,
            now=now,
            grant_id=code.grant_id,
            context=code.context,
        )
        token: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": code.scope,
        }
        if include_refresh_token:
            token["refresh_token"] = self.issuer.refresh_token(
                client, grant_id=code.grant_id, context=code.context, scope=code.scope, now=utc(now)
            )
        return token


class RefreshView:
    """A refresh token record as Authlib's refresh grant asks about it."""

    def __init__(self, state: RefreshState) -> None:
        self.state = state

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.state.client_id

    def get_scope(self) -> str:
        return self.state.scope


class RefreshTokenGrant(GrantBase, grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshView | None:
        state = self.issuer.find_refresh_token(refresh_token)
        now = datetime.now(UTC)
        if state is None or state.expires_at <= now or self.issuer.grant_revoked(state.grant_id):
            return None
        grace = timedelta(seconds=self.provider.settings.idp.refresh_grace_seconds)
        if state.rotated_at is not None and now - state.rotated_at > grace:
            self.issuer.revoke_grant(
                state.grant_id,
                reason="refresh_token_reused",
                now=now,
                actor=f"client:{state.client_id}",
            )
            return None
        return RefreshView(state)

    def authenticate_user(self, refresh_token: RefreshView) -> Person | None:
        return self._person(refresh_token.state.person_id)

    def revoke_old_credential(self, refresh_token: RefreshView) -> None:
        self.issuer.mark_rotated(refresh_token.state, datetime.now(UTC))

    def generate_token(
        self,
        user: Any = None,
        scope: str | None = None,
        grant_type: Any = None,
        expires_in: Any = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        state: RefreshState = self.request.refresh_token.state
        client: Client = self.request.client
        scope = scope or state.scope
        now = int(time.time())
        access, lifetime = self.issuer.access_token(
            client,
            sub=state.context.sub,
            scope=scope,
            now=now,
            grant_id=state.grant_id,
            context=state.context,
        )
        token: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": scope,
            "refresh_token": self.issuer.refresh_token(
                client,
                grant_id=state.grant_id,
                context=state.context,
                scope=state.scope,
                now=utc(now),
                family_expires=state.expires_at,
            ),
        }
        if "openid" in scope.split():
            # OpenID Connect Core §12.2: same sub and auth_time as the original, no nonce.
            token["id_token"] = self.issuer.id_token(
                client, context=replace(state.context, nonce=None), now=now, access_token=access
            )
        return token


class ClientCredentialsGrant(GrantBase, grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def validate_requested_scope(self) -> None:
        client: Client = self.request.client
        requested = (self.request.payload.scope or "").split()
        api_scopes = [s for s in client.scopes if s not in USER_SCOPES]
        if not requested:
            self.request.scope = " ".join(api_scopes)
            return
        refused = [s for s in requested if s not in api_scopes]
        if refused:
            raise InvalidScopeError(f"scope not allowed for this client: {' '.join(refused)}")
        self.request.scope = " ".join(dict.fromkeys(requested))

    def generate_token(
        self,
        user: Any = None,
        scope: str | None = None,
        grant_type: Any = None,
        expires_in: Any = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        client: Client = self.request.client
        scope = self.request.scope or ""
        access, lifetime = self.issuer.access_token(
            client, sub=client.client_id, scope=scope, now=int(time.time())
        )
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": scope,
        }


class S256CodeChallenge(CodeChallenge):
    """RFC 7636 with S256 only; required unless an operator relaxed a confidential client."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    CODE_CHALLENGE_METHODS: ClassVar[dict[str, Any]] = {
        "S256": lambda verifier, challenge: hmac.compare_digest(
            create_s256_code_challenge(verifier), challenge
        )
    }

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        client: Client = grant.request.client
        data = grant.request.payload.data
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        if not challenge:
            if client.is_public or client.pkce == "required":
                raise InvalidRequestError("PKCE is required: send code_challenge with S256")
            if method:
                raise InvalidRequestError("code_challenge_method without code_challenge")
            return
        if method != "S256":
            raise InvalidRequestError("code_challenge_method must be S256 (plain is refused)")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        code: AuthorizationCode = grant.request.authorization_code
        if code.code_challenge is None and not grant.request.form.get("code_verifier"):
            return
        super().validate_code_verifier(grant, result)


class OpenIDCodeExtension(OpenIDCode):
    """ID tokens from the code grant, signed through ``keys`` (never a raw private key)."""

    def __init__(self, issuer: TokenIssuer) -> None:
        super().__init__(require_nonce=False)
        self._issuer = issuer

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        # Nonce replay is the client's check (OpenID Connect Core §3.1.3.7 step 11).
        return False

    def encode_id_token(self, token: dict[str, Any], request: Any) -> str:
        code: AuthorizationCode = request.authorization_code
        return self._issuer.id_token(
            request.client,
            context=code.context,
            now=int(time.time()),
            access_token=token.get("access_token"),
            code=code.code,
            extra=self._issuer.requested_id_token_claims(code.context, code.scope),
        )


def invalid_grant(description: str) -> InvalidGrantError:
    return InvalidGrantError(description)
