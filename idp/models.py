"""The identity provider's tables: departments, clients, persons and their passkeys,
legal entities and their agents, links to upstream accounts (federation), subjects,
consents, refresh tokens, revoked grants and registration tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from store.base import Base


class Department(Base):
    """A department (部门): owns clients, and later seals and licence types."""

    __tablename__ = "departments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(nullable=False)


class ClientRecord(Base):
    """A relying party (department system). Secrets are stored only as hashes."""

    __tablename__ = "clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    department_id: Mapped[str] = mapped_column(
        ForeignKey("departments.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    application_type: Mapped[str] = mapped_column(String(16), nullable=False, default="web")
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32), nullable=False)
    secret_hash: Mapped[str | None] = mapped_column(String(100))
    redirect_uris: Mapped[list[str]] = mapped_column(nullable=False)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(nullable=False)
    grant_types: Mapped[list[str]] = mapped_column(nullable=False)
    scopes: Mapped[list[str]] = mapped_column(nullable=False)
    subject_type: Mapped[str] = mapped_column(String(16), nullable=False, default="pairwise")
    sector_identifier: Mapped[str | None] = mapped_column(String(255))
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(16), nullable=False)
    userinfo_signed_response_alg: Mapped[str | None] = mapped_column(String(16))
    jwks: Mapped[dict[str, Any] | None]
    jwks_uri: Mapped[str | None] = mapped_column(String(500))
    require_pushed_authorization_requests: Mapped[bool] = mapped_column(Boolean, default=False)
    pkce: Mapped[str] = mapped_column(String(16), nullable=False, default="required")
    first_party: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    allow_id_number: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))
    frontchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))
    default_max_age: Mapped[int | None] = mapped_column(Integer)
    require_auth_time: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    default_acr_values: Mapped[list[str]] = mapped_column(nullable=False)
    contacts: Mapped[list[str]] = mapped_column(nullable=False)
    client_uri: Mapped[str | None] = mapped_column(String(500))
    logo_uri: Mapped[str | None] = mapped_column(String(500))
    registration_token_hash: Mapped[str | None] = mapped_column(String(100))
    registered_by: Mapped[str] = mapped_column(String(16), nullable=False, default="operator")
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)


class PersonRecord(Base):
    """A natural person's account (自然人). ID and phone numbers are encrypted at rest
    and found by keyed hash; the columns stay empty until they are given."""

    __tablename__ = "persons"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    id_type: Mapped[str | None] = mapped_column(String(32))
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_hash: Mapped[str | None] = mapped_column(String(100), unique=True)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_hash: Mapped[str | None] = mapped_column(String(100), unique=True)
    phone_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: Level of assurance of the account: 1 self-asserted, 2 real name verified.
    loa: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    realname_verified_at: Mapped[datetime | None]
    #: The TOTP shared secret (second factor), encrypted like the numbers above.
    totp_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)


class PasskeyRecord(Base):
    """A WebAuthn credential (passkey) of a person: its public key and signature counter."""

    __tablename__ = "passkeys"

    #: The credential id, base64url (at most 1023 bytes, WebAuthn §5.1).
    credential_id: Mapped[str] = mapped_column(String(1400), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), nullable=False, index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    sign_count: Mapped[int] = mapped_column(Integer, nullable=False)
    #: Whether the credential may be synced to other devices (the BE flag): ``swk``, else ``hwk``.
    backup_eligible: Mapped[bool] = mapped_column(Boolean, nullable=False)
    transports: Mapped[list[str]] = mapped_column(nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    last_used_at: Mapped[datetime | None]


class EntityRecord(Base):
    """A legal entity or other organization (法人 / 其他组织), registered by its legal
    representative after the entity registry confirmed them."""

    __tablename__ = "entities"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    legal_representative_id: Mapped[str] = mapped_column(
        ForeignKey("persons.id"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    #: Which registry confirmed the entity and its representative, and when.
    verified_by: Mapped[str] = mapped_column(String(16), nullable=False)
    verified_at: Mapped[datetime] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)


class AgentRecord(Base):
    """An agent (经办人) appointed to act for an entity within scopes until an expiry."""

    __tablename__ = "entity_agents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("entities.id"), nullable=False, index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), nullable=False, index=True)
    scopes: Mapped[list[str]] = mapped_column(nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    appointed_by: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    revoked_at: Mapped[datetime | None]


class FederationLink(Base):
    """An account at an upstream OpenID Connect provider (issuer + ``sub``) that logs in
    as a local person. A person has at most one link per upstream."""

    __tablename__ = "federation_links"

    issuer: Mapped[str] = mapped_column(String(255), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), nullable=False, index=True)
    #: How the link was made: ``created`` (a new account) or ``id_number`` (matched).
    linked_by: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    last_login_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (
        UniqueConstraint("issuer", "person_id", name="uq_federation_links_issuer_person"),
    )


class SubjectRecord(Base):
    """The ``sub`` a person has in one sector: pairwise per department by default
    (OpenID Connect Core §8.1), or the public one (sector ``public``)."""

    __tablename__ = "subjects"

    sector: Mapped[str] = mapped_column(String(255), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    sub: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (UniqueConstraint("sector", "sub", name="uq_subjects_sector_sub"),)


class ConsentRecord(Base):
    """What a person allowed a client, remembered until revoked."""

    __tablename__ = "consents"

    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"), primary_key=True)
    scopes: Mapped[list[str]] = mapped_column(nullable=False)
    granted_at: Mapped[datetime] = mapped_column(nullable=False)


class RefreshTokenRecord(Base):
    """One refresh token of a family. The family id is the grant id that every token of
    one authorization shares, so reuse can revoke them all together."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    person_id: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    scope: Mapped[str] = mapped_column(String(1000), nullable=False)
    #: auth_time, acr, amr, sid and the claims request of the original login.
    context: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    issued_at: Mapped[datetime] = mapped_column(nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    rotated_at: Mapped[datetime | None]


class RevokedGrant(Base):
    """A grant whose tokens must no longer be honoured (reused code or refresh token,
    revocation, consent withdrawn, logout)."""

    __tablename__ = "revoked_grants"

    grant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(String(64), nullable=False)


class RegistrationToken(Base):
    """An initial access token for Dynamic Client Registration (RFC 7591 §3)."""

    __tablename__ = "registration_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    uses_left: Mapped[int] = mapped_column(Integer, nullable=False)


Index("ix_refresh_tokens_expires_at", RefreshTokenRecord.expires_at)
