"""Connector health, unreadable-payload diagnostics and scheduler leases.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "payload_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("raw_body", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payload_errors")),
    )
    op.create_index("ix_payload_errors_source_at", "payload_errors", ["source", "at"], unique=False)
    op.create_table(
        "source_health",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auth_broken", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("mentions_stored", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_health")),
    )


def downgrade() -> None:
    op.drop_table("source_health")
    op.drop_index("ix_payload_errors_source_at", table_name="payload_errors")
    op.drop_table("payload_errors")
    op.drop_table("leases")
