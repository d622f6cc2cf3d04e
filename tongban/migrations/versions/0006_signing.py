"""Signing service: the internal CA, seals and their history, approvals and batches.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pki_authorities",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("key_purpose", sa.String(length=64), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=False),
        sa.Column("crl_number", sa.Integer(), nullable=False),
        sa.Column("crl_der", sa.LargeBinary(), nullable=True),
        sa.Column("crl_this_update", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("crl_next_update", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pki_authorities")),
    )
    op.create_table(
        "pki_certificates",
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("issuer", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("seal_id", sa.String(length=48), nullable=True),
        sa.Column("not_before", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_after", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_pki_certificates")),
    )
    op.create_index(
        "ix_pki_certificates_issuer_revoked", "pki_certificates", ["issuer", "revoked_at"]
    )

    op.create_table(
        "seals",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("department_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("department_name", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=12), nullable=True),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("key_purpose", sa.String(length=64), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("certified_by", sa.String(length=16), nullable=False),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=True),
        sa.Column("chain_pem", sa.Text(), nullable=True),
        sa.Column("certificate_serial", sa.String(length=40), nullable=True),
        sa.Column("image_kind", sa.String(length=8), nullable=False),
        sa.Column("image_pdf", sa.LargeBinary(), nullable=False),
        sa.Column("image_width_mm", sa.Float(), nullable=False),
        sa.Column("image_height_mm", sa.Float(), nullable=False),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_seals_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seals")),
    )
    op.create_index(op.f("ix_seals_certificate_serial"), "seals", ["certificate_serial"])
    op.create_index(op.f("ix_seals_department_id"), "seals", ["department_id"])

    op.create_table(
        "approval_batches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("department_id", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("seal_id", sa.String(length=48), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["seal_id"], ["seals.id"], name=op.f("fk_approval_batches_seal_id_seals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_batches")),
        sa.UniqueConstraint(
            "client_id", "idempotency_key", name=op.f("uq_approval_batches_client_id")
        ),
    )
    op.create_table(
        "seal_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seal_id", sa.String(length=48), nullable=False),
        sa.Column("at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["seal_id"], ["seals.id"], name=op.f("fk_seal_history_seal_id_seals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seal_history")),
    )
    op.create_index("ix_seal_history_seal", "seal_history", ["seal_id", "id"])

    op.create_table(
        "approvals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("department_id", sa.String(length=32), nullable=False),
        sa.Column("seal_id", sa.String(length=48), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("document_number", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("placement", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.String(length=500), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("batch_id", sa.String(length=32), nullable=True),
        sa.Column("batch_index", sa.Integer(), nullable=True),
        sa.Column("claimed_until", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.String(length=32), nullable=True),
        sa.Column("department_name", sa.String(length=64), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("created_at", store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signed_at", store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["approval_batches.id"],
            name=op.f("fk_approvals_batch_id_approval_batches"),
        ),
        sa.ForeignKeyConstraint(["seal_id"], ["seals.id"], name=op.f("fk_approvals_seal_id_seals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
        sa.UniqueConstraint("client_id", "idempotency_key", name=op.f("uq_approvals_client_id")),
    )
    op.create_index("ix_approvals_batch", "approvals", ["batch_id", "batch_index"])
    op.create_index("ix_approvals_person", "approvals", ["person_id", "signed_at"])
    op.create_index("ix_approvals_status", "approvals", ["status", "claimed_until"])

    op.create_table(
        "approval_documents",
        sa.Column("approval_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["approvals.id"],
            name=op.f("fk_approval_documents_approval_id_approvals"),
        ),
        sa.PrimaryKeyConstraint("approval_id", "kind", name=op.f("pk_approval_documents")),
    )


def downgrade() -> None:
    op.drop_table("approval_documents")
    op.drop_index("ix_approvals_status", table_name="approvals")
    op.drop_index("ix_approvals_person", table_name="approvals")
    op.drop_index("ix_approvals_batch", table_name="approvals")

    op.drop_table("approvals")
    op.drop_index("ix_seal_history_seal", table_name="seal_history")

    op.drop_table("seal_history")
    op.drop_table("approval_batches")
    op.drop_index(op.f("ix_seals_department_id"), table_name="seals")
    op.drop_index(op.f("ix_seals_certificate_serial"), table_name="seals")

    op.drop_table("seals")
    op.drop_index("ix_pki_certificates_issuer_revoked", table_name="pki_certificates")

    op.drop_table("pki_certificates")
    op.drop_table("pki_authorities")
