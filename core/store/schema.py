"""Table definitions: the single description of the database that migrations must match."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

from core.clock import as_utc

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC in Python; naive UTC on SQLite, timestamptz on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store: pass timezone-aware UTC")
        moment = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


# JSONB on PostgreSQL (indexable, compact); plain JSON text elsewhere.
Json: Any = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

mentions = sa.Table(
    "mentions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("external_id", sa.String(191), nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("thread_id", sa.String(191), nullable=False, server_default=""),
    sa.Column("parent_id", sa.String(191), nullable=False, server_default=""),
    sa.Column("author_handle", sa.String(191), nullable=False, server_default=""),
    sa.Column("author_name", sa.Text, nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False, server_default=""),
    sa.Column("posted_at", UTCDateTime, nullable=False),
    sa.Column("fetched_at", UTCDateTime, nullable=False),
    sa.Column("stage", sa.String(16), nullable=False, server_default="new"),
    sa.Column("raw", Json, nullable=True),
    sa.UniqueConstraint("platform", "external_id"),
    sa.Index("ix_mentions_stage_id", "stage", "id"),
    sa.Index("ix_mentions_posted_at", "posted_at"),
    sa.Index("ix_mentions_thread", "platform", "thread_id"),
    sa.Index("ix_mentions_platform_id", "platform", "id"),  # 0003: the desk's platform filter
)

source_cursors = sa.Table(
    "source_cursors",
    metadata,
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("position", Json, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

classifications = sa.Table(
    "classifications",
    metadata,
    sa.Column("mention_id", sa.Integer, sa.ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("label", sa.String(16), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("agency", sa.String(16), nullable=True),
    sa.Column("agency_confidence", sa.Float, nullable=False, server_default="0"),
    sa.Column("agency_runner_up", sa.String(16), nullable=True),
    sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("urgent_score", sa.Float, nullable=False, server_default="0"),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("classified_at", UTCDateTime, nullable=False),
    sa.Index("ix_classifications_label_agency", "label", "agency"),
    # 0003: the desk's filters, each in mention order so a page of the newest is an index range
    sa.Index("ix_classifications_label_mention", "label", "mention_id"),
    sa.Index("ix_classifications_agency_mention", "agency", "mention_id"),
    sa.Index("ix_classifications_urgent_mention", "urgent", "mention_id"),
)

corrections = sa.Table(
    "corrections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mention_id", sa.Integer, sa.ForeignKey("mentions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("label", sa.String(16), nullable=False),
    sa.Column("agency", sa.String(16), nullable=True),
    sa.Column("urgent", sa.Boolean, nullable=False),
    sa.Column("by", sa.String(64), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_corrections_mention", "mention_id"),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tracking_number", sa.String(32), nullable=False, unique=True),
    sa.Column("mention_id", sa.Integer, sa.ForeignKey("mentions.id"), nullable=False, unique=True),
    sa.Column("agency", sa.String(16), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("summary", sa.Text, nullable=False, server_default=""),
    sa.Column("assignee", sa.String(64), nullable=False, server_default=""),
    sa.Column("sla_due_at", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_cases_agency_status", "agency", "status"),
)

case_events = sa.Table(
    "case_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("by", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),  # status, note, assignment
    sa.Column("status", sa.String(16), nullable=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_case_events_case", "case_id", "at"),
)

replies = sa.Table(
    "replies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(191), nullable=False, unique=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("target", sa.String(191), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("mention_id", sa.Integer, sa.ForeignKey("mentions.id"), nullable=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=True),
    sa.Column("platform_message_id", sa.String(191), nullable=False, server_default=""),
    sa.Column("error", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Index("ix_replies_status_next", "status", "next_attempt_at"),
    sa.Index("ix_replies_mention", "mention_id"),
    sa.Index("ix_replies_sent_at", "sent_at"),  # 0003: response times
)

broadcasts = sa.Table(
    "broadcasts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    sa.Column("template", sa.String(64), nullable=False, server_default=""),
    sa.Column("channels", Json, nullable=False),
    sa.Column("run_at", UTCDateTime, nullable=True),
    sa.Column("cron", sa.String(128), nullable=False, server_default=""),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("author", sa.String(64), nullable=False),
    sa.Column("approver", sa.String(64), nullable=False, server_default=""),
    sa.Column("approved_at", UTCDateTime, nullable=True),
    sa.Column("emergency", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_broadcasts_status", "status"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("broadcast_id", sa.Integer, sa.ForeignKey("broadcasts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("scheduled_for", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    sa.Column("platform_post_id", sa.String(191), nullable=False, server_default=""),
    sa.Column("url", sa.Text, nullable=False, server_default=""),
    sa.Column("error", sa.Text, nullable=False, server_default=""),
    sa.Column("published_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("broadcast_id", "channel", "scheduled_for"),
    sa.Index("ix_deliveries_status_time", "status", "scheduled_for"),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(191), nullable=False, server_default=""),
    sa.Column("detail", Json, nullable=True),
    sa.Index("ix_audit_events_at", "at"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.Text, nullable=False, server_default=""),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("agency", sa.String(16), nullable=True),
    sa.Column("can_emergency_post", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", UTCDateTime, nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# --- revision 0002: connector health, diagnostics of unreadable payloads, leases ---

source_health = sa.Table(
    "source_health",
    metadata,
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("last_success_at", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Column("last_error_at", UTCDateTime, nullable=True),
    sa.Column("next_retry_at", UTCDateTime, nullable=True),
    sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("token_expires_at", UTCDateTime, nullable=True),
    sa.Column("auth_broken", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("mentions_stored", sa.Integer, nullable=False, server_default="0"),
)

payload_errors = sa.Table(
    "payload_errors",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("raw_body", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_payload_errors_source_at", "source", "at"),
)

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(128), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)
