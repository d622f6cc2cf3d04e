"""Tokens: RFC 9068 JWT access tokens, OpenID Connect ID tokens, rotating refresh tokens.

Every token of one authorization shares a *grant id*. It is the family of the refresh
tokens and the first part of each access token's ``jti`` (``<grant id>.<random>``), so
revoking a grant (a reused code or refresh token, RFC 7009 revocation, withdrawn
consent) reaches every token issued from it: refresh tokens stop working and
introspection and userinfo refuse the access tokens.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import asdict
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Final

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from audit.trail import record as audit_record
from idp.claims import parse_claims_request
from idp.clients import Client
from idp.models import RefreshTokenRecord
from idp.models import RevokedGrant
from idp.person_claims import id_token_claims
from idp.provider import Provider
from keys.algorithms import PublicKey
from keys.errors import KeyNotFound
from keys.jose import JWTError
from keys.jose import sign_jwt
from keys.jose import verify_jwt

AT_TYPE: Final = "at+jwt"
REVOKED_JTI: Final = "revoked-jti:"


class InvalidToken(Exception):
    """The token is not one of ours, has expired, or was revoked."""


@dataclass(frozen=True)
class AuthContext:
    """What a login established; carried from the code to every token of the grant."""

    person_id: str
    sub: str
    sid: str | None
    auth_time: int
    acr: str
    amr: tuple[str, ...]
    claims: dict[str, Any]
    nonce: str | None = None
    #: The legal entity the person acts for in this login (idp.entities), if any.
    entity_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["amr"] = list(self.amr)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuthContext:
        return cls(**{**data, "amr": tuple(data.get("amr", ()))})


@dataclass(frozen=True)
class RefreshState:
    """A refresh token's record, as the refresh grant needs it."""

    token_hash: str
    grant_id: str
    client_id: str
    person_id: str
    scope: str
    context: AuthContext
    expires_at: datetime
    rotated_at: datetime | None


def new_grant_id() -> str:
    return secrets.token_hex(16)


def half_hash(value: str, alg: str) -> str:
    """``at_hash``/``c_hash``: the left half of the hash the signature algorithm uses
    (OpenID Connect Core §3.1.3.6; SHA-512 for Ed25519)."""
    digest = (hashlib.sha512 if alg == "EdDSA" else hashlib.sha256)(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenIssuer:
    def __init__(self, provider: Provider) -> None:
        self._p = provider

    # -- issuing --------------------------------------------------------------------------

    def access_token(
        self,
        client: Client,
        *,
        sub: str,
        scope: str,
        now: int,
        grant_id: str | None = None,
        context: AuthContext | None = None,
    ) -> tuple[str, int]:
        """A signed RFC 9068 access token and its lifetime in seconds."""
        lifetime = self._p.settings.idp.access_token_seconds
        jti = secrets.token_urlsafe(12)
        claims: dict[str, Any] = {
            "iss": self._p.issuer,
            "sub": sub,
            "aud": self._p.issuer,
            "client_id": client.client_id,
            "scope": scope,
            "iat": now,
            "exp": now + lifetime,
            "jti": f"{grant_id}.{jti}" if grant_id else jti,
        }
        if context is not None:
            claims.update(auth_time=context.auth_time, acr=context.acr, amr=list(context.amr))
            if context.entity_id:
                # Private claim: which entity the login acts for, for userinfo (opaque id).
                claims["tb_entity"] = context.entity_id
        signer = self._p.keys.active(self._p.signing_purpose())
        return sign_jwt(signer, claims, typ=AT_TYPE), lifetime

    def id_token(
        self,
        client: Client,
        *,
        context: AuthContext,
        now: int,
        access_token: str | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """An ID token (OpenID Connect Core §2) signed with the client's algorithm."""
        alg = client.id_token_signed_response_alg
        claims: dict[str, Any] = {
            "iss": self._p.issuer,
            "sub": context.sub,
            "aud": client.client_id,
            "iat": now,
            "exp": now + self._p.settings.idp.id_token_seconds,
            "auth_time": context.auth_time,
            "acr": context.acr,
            "amr": list(context.amr),
        }
        if context.sid:
            claims["sid"] = context.sid
        if context.nonce:
            claims["nonce"] = context.nonce
        if access_token:
            claims["at_hash"] = half_hash(access_token, alg)
        if code:
            claims["c_hash"] = half_hash(code, alg)
        for name, value in (extra or {}).items():
            claims.setdefault(name, value)
        return sign_jwt(self._p.keys.active(self._p.signing_purpose(alg)), claims)

    def refresh_token(
        self,
        client: Client,
        *,
        grant_id: str,
        context: AuthContext,
        scope: str,
        now: datetime,
        family_expires: datetime | None = None,
    ) -> str:
        """A new opaque refresh token in ``grant_id``'s family, stored only as a hash."""
        token = secrets.token_urlsafe(32)
        expires = family_expires or now + timedelta(
            seconds=self._p.settings.idp.refresh_token_seconds
        )
        with self._p.db.transaction() as session:
            session.add(
                RefreshTokenRecord(
                    token_hash=token_hash(token),
                    grant_id=grant_id,
                    client_id=client.client_id,
                    person_id=context.person_id,
                    scope=scope,
                    context=context.to_json(),
                    issued_at=now,
                    expires_at=expires,
                    rotated_at=None,
                )
            )
        return token

    def requested_id_token_claims(self, context: AuthContext, scope: str) -> dict[str, Any]:
        """Claims the ``claims`` parameter asked to put in the ID token (§5.5)."""
        request = parse_claims_request(json.dumps(context.claims)) if context.claims else None
        if request is None and context.entity_id is None:
            return {}
        return id_token_claims(
            self._p,
            context.person_id,
            scope.split(),
            request or parse_claims_request(None),
            entity_id=context.entity_id,
        )

    # -- reading ---------------------------------------------------------------------------

    def find_refresh_token(self, token: str) -> RefreshState | None:
        with self._p.db.transaction() as session:
            rec = session.get(RefreshTokenRecord, token_hash(token))
            if rec is None:
                return None
            return RefreshState(
                rec.token_hash,
                rec.grant_id,
                rec.client_id,
                rec.person_id,
                rec.scope,
                AuthContext.from_json(rec.context),
                rec.expires_at,
                rec.rotated_at,
            )

    def mark_rotated(self, state: RefreshState, now: datetime) -> None:
        with self._p.db.transaction() as session:
            session.execute(
                update(RefreshTokenRecord)
                .where(
                    RefreshTokenRecord.token_hash == state.token_hash,
                    RefreshTokenRecord.rotated_at.is_(None),
                )
                .values(rotated_at=now)
            )

    def verify_access_token(self, token: str, *, now: int) -> dict[str, Any]:
        """The claims of a valid, unrevoked access token of ours; :class:`InvalidToken` else."""
        try:
            claims = verify_jwt(
                token,
                self._key_for,
                issuer=self._p.issuer,
                audience=self._p.issuer,
                typ=AT_TYPE,
                require=("exp", "iat", "jti", "sub", "client_id"),
            )
        except (JWTError, KeyNotFound, ValueError) as exc:
            raise InvalidToken(type(exc).__name__) from None
        jti = str(claims["jti"])
        if self._p.ephemeral.get(REVOKED_JTI + jti) is not None:
            raise InvalidToken("revoked")
        grant_id = grant_of(jti)
        if grant_id and self.grant_revoked(grant_id):
            raise InvalidToken("grant revoked")
        return claims

    def parse_access_token(self, token: str) -> dict[str, Any] | None:
        """The claims of an access token we signed, even if expired or revoked; else None."""
        try:
            return verify_jwt(
                token,
                self._key_for,
                issuer=self._p.issuer,
                audience=self._p.issuer,
                typ=AT_TYPE,
                leeway=10**9,
                require=("exp", "iat", "jti", "sub", "client_id"),
            )
        except (JWTError, KeyNotFound, ValueError):
            return None

    def _key_for(self, kid: str | None) -> tuple[PublicKey, str]:
        for purpose in self._p.signing_purposes():
            try:
                return self._p.keys.verification_key(purpose, kid)
            except KeyNotFound:
                continue
        raise KeyNotFound(f"unknown kid {kid!r}")

    # -- revoking ---------------------------------------------------------------------------

    def revoke_grant(self, grant_id: str, *, reason: str, now: datetime, actor: str) -> None:
        """Revoke every token of a grant: its refresh tokens and its access tokens."""
        dialect = postgresql if self._p.db.dialect == "postgresql" else sqlite
        stmt = (
            dialect.insert(RevokedGrant)
            .values(grant_id=grant_id, revoked_at=now, reason=reason)
            .on_conflict_do_nothing(index_elements=["grant_id"])
            .returning(RevokedGrant.grant_id)
        )
        with self._p.db.transaction() as session:
            # Idempotent: concurrent reuses of one code revoke its grant once.
            if session.execute(stmt).first() is not None:
                audit_record(
                    session,
                    actor=actor,
                    action="grant.revoke",
                    target=f"grant:{grant_id}",
                    now=now,
                    details={"reason": reason},
                )

    def grant_revoked(self, grant_id: str) -> bool:
        with self._p.db.transaction() as session:
            return session.get(RevokedGrant, grant_id) is not None

    def revoke_access_token(self, jti: str, *, exp: int, now: int) -> None:
        self._p.ephemeral.put(REVOKED_JTI + jti, b"1", ttl=max(1, exp - now + 60))

    def grants_of_person(self, person_id: str) -> list[str]:
        with self._p.db.transaction() as session:
            return list(
                session.execute(
                    select(RefreshTokenRecord.grant_id)
                    .distinct()
                    .where(RefreshTokenRecord.person_id == person_id)
                ).scalars()
            )


def grant_of(jti: str) -> str | None:
    """The grant id inside an access token's ``jti``, if it came from a user grant."""
    head, dot, _ = jti.partition(".")
    return head if dot and len(head) == 32 else None


def utc(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
