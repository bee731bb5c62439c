"""Domain tables: mentions, cursors, classifications, cases, outbox, broadcasts, users, audit.

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=191), server_default="", nullable=False),
        sa.Column("detail", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"], unique=False)
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("template", sa.String(length=64), server_default="", nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cron", sa.String(length=128), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("approver", sa.String(length=64), server_default="", nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emergency", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index("ix_broadcasts_status", "broadcasts", ["status"], unique=False)
    op.create_table(
        "mentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=191), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.String(length=191), server_default="", nullable=False),
        sa.Column("parent_id", sa.String(length=191), server_default="", nullable=False),
        sa.Column("author_handle", sa.String(length=191), server_default="", nullable=False),
        sa.Column("author_name", sa.Text(), server_default="", nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), server_default="", nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage", sa.String(length=16), server_default="new", nullable=False),
        sa.Column("raw", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentions")),
        sa.UniqueConstraint("platform", "external_id", name=op.f("uq_mentions_platform_external_id")),
    )
    op.create_index("ix_mentions_posted_at", "mentions", ["posted_at"], unique=False)
    op.create_index("ix_mentions_stage_id", "mentions", ["stage", "id"], unique=False)
    op.create_index("ix_mentions_thread", "mentions", ["platform", "thread_id"], unique=False)
    op.create_table(
        "source_cursors",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("position", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_cursors")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.Text(), server_default="", nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("agency", sa.String(length=16), nullable=True),
        sa.Column("can_emergency_post", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_number", sa.String(length=32), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("assignee", sa.String(length=64), server_default="", nullable=False),
        sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mentions.id"], name=op.f("fk_cases_mention_id_mentions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("mention_id", name=op.f("uq_cases_mention_id")),
        sa.UniqueConstraint("tracking_number", name=op.f("uq_cases_tracking_number")),
    )
    op.create_index("ix_cases_agency_status", "cases", ["agency", "status"], unique=False)
    op.create_table(
        "classifications",
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("agency", sa.String(length=16), nullable=True),
        sa.Column("agency_confidence", sa.Float(), server_default="0", nullable=False),
        sa.Column("agency_runner_up", sa.String(length=16), nullable=True),
        sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("urgent_score", sa.Float(), server_default="0", nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("classified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mention_id"], ["mentions.id"], name=op.f("fk_classifications_mention_id_mentions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("mention_id", name=op.f("pk_classifications")),
    )
    op.create_index("ix_classifications_label_agency", "classifications", ["label", "agency"], unique=False)
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("agency", sa.String(length=16), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mention_id"], ["mentions.id"], name=op.f("fk_corrections_mention_id_mentions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    op.create_index("ix_corrections_mention", "corrections", ["mention_id"], unique=False)
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("platform_post_id", sa.String(length=191), server_default="", nullable=False),
        sa.Column("url", sa.Text(), server_default="", nullable=False),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["broadcast_id"], ["broadcasts.id"], name=op.f("fk_deliveries_broadcast_id_broadcasts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "broadcast_id", "channel", "scheduled_for", name=op.f("uq_deliveries_broadcast_id_channel_scheduled_for")
        ),
    )
    op.create_index("ix_deliveries_status_time", "deliveries", ["status", "scheduled_for"], unique=False)
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index("ix_case_events_case", "case_events", ["case_id", "at"], unique=False)
    op.create_table(
        "replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=191), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=191), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("platform_message_id", sa.String(length=191), server_default="", nullable=False),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_replies_case_id_cases")),
        sa.ForeignKeyConstraint(["mention_id"], ["mentions.id"], name=op.f("fk_replies_mention_id_mentions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replies")),
        sa.UniqueConstraint("key", name=op.f("uq_replies_key")),
    )
    op.create_index("ix_replies_mention", "replies", ["mention_id"], unique=False)
    op.create_index("ix_replies_status_next", "replies", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_replies_status_next", table_name="replies")
    op.drop_index("ix_replies_mention", table_name="replies")
    op.drop_table("replies")
    op.drop_index("ix_case_events_case", table_name="case_events")
    op.drop_table("case_events")
    op.drop_index("ix_deliveries_status_time", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_corrections_mention", table_name="corrections")
    op.drop_table("corrections")
    op.drop_index("ix_classifications_label_agency", table_name="classifications")
    op.drop_table("classifications")
    op.drop_index("ix_cases_agency_status", table_name="cases")
    op.drop_table("cases")
    op.drop_table("users")
    op.drop_table("source_cursors")
    op.drop_index("ix_mentions_thread", table_name="mentions")
    op.drop_index("ix_mentions_stage_id", table_name="mentions")
    op.drop_index("ix_mentions_posted_at", table_name="mentions")
    op.drop_table("mentions")
    op.drop_index("ix_broadcasts_status", table_name="broadcasts")
    op.drop_table("broadcasts")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_table("audit_events")
