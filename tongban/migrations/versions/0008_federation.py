"""Federation: links from accounts at an upstream OpenID Connect provider to persons.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.base import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federation_links",
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("linked_by", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_login_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_federation_links_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("issuer", "subject", name=op.f("pk_federation_links")),
        sa.UniqueConstraint("issuer", "person_id", name="uq_federation_links_issuer_person"),
    )
    op.create_index(op.f("ix_federation_links_person_id"), "federation_links", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_federation_links_person_id"), table_name="federation_links")
    op.drop_table("federation_links")
