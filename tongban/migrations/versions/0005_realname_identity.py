"""Real-name identity: TOTP secrets, passkeys, legal entities and their agents; wider
document type column (``foreign_permanent_resident_id`` has 29 characters).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.base import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("totp_secret_enc", sa.LargeBinary(), nullable=True))
        batch.alter_column(
            "id_type", existing_type=sa.String(length=16), type_=sa.String(length=32)
        )
    op.create_table(
        "passkeys",
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("backup_eligible", sa.Boolean(), nullable=False),
        sa.Column("transports", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_passkeys_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_passkeys")),
    )
    op.create_index(op.f("ix_passkeys_person_id"), "passkeys", ["person_id"])
    op.create_table(
        "entities",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("legal_representative_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verified_by", sa.String(length=16), nullable=False),
        sa.Column("verified_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["legal_representative_id"],
            ["persons.id"],
            name=op.f("fk_entities_legal_representative_id_persons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_entities_credit_code")),
    )
    op.create_index(
        op.f("ix_entities_legal_representative_id"), "entities", ["legal_representative_id"]
    )
    op.create_table(
        "entity_agents",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("appointed_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_entity_agents_entity_id_entities")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_entity_agents_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_agents")),
    )
    op.create_index(op.f("ix_entity_agents_entity_id"), "entity_agents", ["entity_id"])
    op.create_index(op.f("ix_entity_agents_person_id"), "entity_agents", ["person_id"])


def downgrade() -> None:
    op.drop_table("entity_agents")
    op.drop_table("entities")
    op.drop_table("passkeys")
    with op.batch_alter_table("persons") as batch:
        batch.alter_column(
            "id_type", existing_type=sa.String(length=32), type_=sa.String(length=16)
        )
        batch.drop_column("totp_secret_enc")
