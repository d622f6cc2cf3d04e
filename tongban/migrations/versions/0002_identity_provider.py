"""Identity provider: departments, clients, persons, subjects, consents, grants.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_type", sa.String(length=16), nullable=True),
        sa.Column("id_number_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_hash", sa.String(length=100), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_hash", sa.String(length=100), nullable=True),
        sa.Column("phone_verified", sa.Boolean(), nullable=False),
        sa.Column("loa", sa.Integer(), nullable=False),
        sa.Column("realname_verified_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("id_number_hash", name=op.f("uq_persons_id_number_hash")),
        sa.UniqueConstraint("phone_hash", name=op.f("uq_persons_phone_hash")),
        sa.UniqueConstraint("username", name=op.f("uq_persons_username")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("grant_id", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("issued_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_refresh_tokens")),
    )
    op.create_index("ix_refresh_tokens_expires_at", "refresh_tokens", ["expires_at"])
    op.create_index(op.f("ix_refresh_tokens_grant_id"), "refresh_tokens", ["grant_id"])
    op.create_index(op.f("ix_refresh_tokens_person_id"), "refresh_tokens", ["person_id"])

    op.create_table(
        "revoked_grants",
        sa.Column("grant_id", sa.String(length=32), nullable=False),
        sa.Column("revoked_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("grant_id", name=op.f("pk_revoked_grants")),
    )
    op.create_table(
        "clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("application_type", sa.String(length=16), nullable=False),
        sa.Column("token_endpoint_auth_method", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=100), nullable=True),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("post_logout_redirect_uris", sa.JSON(), nullable=False),
        sa.Column("grant_types", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("sector_identifier", sa.String(length=255), nullable=True),
        sa.Column("id_token_signed_response_alg", sa.String(length=16), nullable=False),
        sa.Column("userinfo_signed_response_alg", sa.String(length=16), nullable=True),
        sa.Column("jwks", sa.JSON(), nullable=True),
        sa.Column("jwks_uri", sa.String(length=500), nullable=True),
        sa.Column("require_pushed_authorization_requests", sa.Boolean(), nullable=False),
        sa.Column("pkce", sa.String(length=16), nullable=False),
        sa.Column("first_party", sa.Boolean(), nullable=False),
        sa.Column("allow_id_number", sa.Boolean(), nullable=False),
        sa.Column("backchannel_logout_uri", sa.String(length=500), nullable=True),
        sa.Column("frontchannel_logout_uri", sa.String(length=500), nullable=True),
        sa.Column("default_max_age", sa.Integer(), nullable=True),
        sa.Column("require_auth_time", sa.Boolean(), nullable=False),
        sa.Column("default_acr_values", sa.JSON(), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("client_uri", sa.String(length=500), nullable=True),
        sa.Column("logo_uri", sa.String(length=500), nullable=True),
        sa.Column("registration_token_hash", sa.String(length=100), nullable=True),
        sa.Column("registered_by", sa.String(length=16), nullable=False),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_clients_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_clients")),
    )
    op.create_index(op.f("ix_clients_department_id"), "clients", ["department_id"])

    op.create_table(
        "registration_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uses_left", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_registration_tokens_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_registration_tokens")),
    )
    op.create_table(
        "subjects",
        sa.Column("sector", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("sub", sa.String(length=64), nullable=False),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_subjects_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("sector", "person_id", name=op.f("pk_subjects")),
        sa.UniqueConstraint("sector", "sub", name="uq_subjects_sector_sub"),
    )
    op.create_table(
        "consents",
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("granted_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.client_id"], name=op.f("fk_consents_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_consents_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("person_id", "client_id", name=op.f("pk_consents")),
    )


def downgrade() -> None:
    op.drop_table("consents")
    op.drop_table("subjects")
    op.drop_table("registration_tokens")
    op.drop_index(op.f("ix_clients_department_id"), table_name="clients")

    op.drop_table("clients")
    op.drop_table("revoked_grants")
    op.drop_index(op.f("ix_refresh_tokens_person_id"), table_name="refresh_tokens")
    op.drop_index(op.f("ix_refresh_tokens_grant_id"), table_name="refresh_tokens")
    op.drop_index("ix_refresh_tokens_expires_at", table_name="refresh_tokens")

    op.drop_table("refresh_tokens")
    op.drop_table("persons")
    op.drop_table("departments")
