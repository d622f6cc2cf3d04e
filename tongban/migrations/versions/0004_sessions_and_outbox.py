"""Durable session records (login history, single logout) and the outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("started_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acr", sa.String(length=40), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("network", sa.String(length=50), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.Column("clients", sa.JSON(), nullable=False),
        sa.Column("ended_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("public_id", name=op.f("pk_login_sessions")),
    )
    op.create_index("ix_login_sessions_person", "login_sessions", ["person_id", "started_at"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_status_next", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_next", table_name="outbox")

    op.drop_table("outbox")
    op.drop_index("ix_login_sessions_person", table_name="login_sessions")

    op.drop_table("login_sessions")
