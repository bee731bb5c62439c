"""Domain types shared by every stage: mentions, classifications, cases, replies, broadcasts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Platform(enum.StrEnum):
    """Where a member of the public wrote, or where we publish."""

    FACEBOOK = "facebook"
    TWITTER = "twitter"
    INSTAGRAM = "instagram"
    PANTIP = "pantip"
    TELEGRAM = "telegram"


class Label(enum.StrEnum):
    """What a post wants from the government."""

    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    OTHER = "other"


class MentionStage(enum.StrEnum):
    """How far a mention has travelled down the one-way pipeline."""

    NEW = "new"  # stored, waiting for the classifier
    CLASSIFIED = "classified"  # labelled, waiting for the responder
    TRIAGED = "triaged"  # the responder has decided what to do with it


class CaseStatus(enum.StrEnum):
    NEW = "new"
    ROUTED = "routed"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


class ReplyKind(enum.StrEnum):
    """Why an outbound message exists."""

    ANSWER = "answer"  # knowledge-base answer to an inquiry
    ACKNOWLEDGEMENT = "acknowledgement"  # case number for a complaint
    ALERT = "alert"  # duty officers' group, for urgent posts
    NOTICE = "notice"  # coordinator notification or case update to the citizen
    MANUAL = "manual"  # ready text that staff post by hand (Instagram, Pantip)


class ReplyStatus(enum.StrEnum):
    PENDING = "pending"  # written, not yet tried
    SENDING = "sending"  # intent recorded; a crash here is reconciled, never blindly re-sent
    SENT = "sent"
    REVIEW = "review"  # held for a human
    FAILED = "failed"  # refused by the platform for good (deleted comment, closed window)
    DEAD = "dead"  # retries exhausted: the dead-letter list


class BroadcastStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    PUBLISHED = "published"
    HELD = "held"  # stale feed data or late by hours: waiting for a human
    FAILED = "failed"


class Role(enum.StrEnum):
    ADMIN = "admin"
    PR = "pr"
    APPROVER = "approver"
    ANALYST = "analyst"
    COORDINATOR = "coordinator"


@dataclass(frozen=True, slots=True)
class Mention:
    """One post, comment, reply or message written by the public on a platform."""

    platform: Platform
    external_id: str
    text: str
    posted_at: datetime
    source: str  # the configured source that found it, e.g. "facebook.feed"
    author_handle: str = ""
    author_name: str = ""
    url: str = ""
    thread_id: str = ""  # the post, tweet conversation or topic it belongs to
    parent_id: str = ""  # the comment it answers, when nested
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    id: int | None = field(default=None, compare=False)
    stage: MentionStage = field(default=MentionStage.NEW, compare=False)
    fetched_at: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Classification:
    """What the classifier (or an analyst) said about one mention."""

    label: Label
    confidence: float
    agency: str | None
    agency_confidence: float
    urgent: bool
    urgent_score: float
    model_version: str
    agency_runner_up: str | None = None
    mention_id: int | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    """An analyst's relabel of a mention, kept for retraining."""

    mention_id: int
    label: Label
    agency: str | None
    urgent: bool
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Case:
    """A complaint turned into tracked work for an agency's coordinators."""

    tracking_number: str
    mention_id: int
    agency: str | None
    status: CaseStatus
    sla_due_at: datetime
    created_at: datetime
    updated_at: datetime
    assignee: str = ""
    summary: str = ""
    urgent: bool = False
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """An outbound message in the outbox: written first, sent later, exactly once."""

    key: str  # natural idempotency key, e.g. "answer:mention:42"
    kind: ReplyKind
    platform: Platform
    target: str  # what we answer: comment id, tweet id, chat id
    text: str
    status: ReplyStatus
    created_at: datetime
    mention_id: int | None = None
    case_id: int | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    platform_message_id: str = ""
    error: str = ""
    sent_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A planned public post: once at a time, or on a recurrence."""

    title: str
    channels: tuple[Platform, ...]
    status: BroadcastStatus
    author: str
    created_at: datetime
    text: str = ""
    template: str = ""
    run_at: datetime | None = None
    cron: str = ""
    approver: str = ""
    approved_at: datetime | None = None
    emergency: bool = False
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One occurrence of a broadcast on one channel."""

    broadcast_id: int
    channel: Platform
    scheduled_for: datetime
    status: DeliveryStatus
    attempts: int = 0
    text: str = ""
    platform_post_id: str = ""
    url: str = ""
    error: str = ""
    published_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class SourceCursor:
    """Where a source stopped reading, saved with the mentions it covers."""

    source: str
    position: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What staff see about a connector."""

    source: str
    last_success_at: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    next_retry_at: datetime | None = None
    consecutive_failures: int = 0
    token_expires_at: datetime | None = None
    auth_broken: bool = False
    mentions_stored: int = 0

    @property
    def healthy(self) -> bool:
        return not self.auth_broken and self.consecutive_failures == 0


@dataclass(frozen=True, slots=True)
class AuditEvent:
    at: datetime
    actor: str
    action: str
    target: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: Role
    display_name: str = ""
    agency: str | None = None  # coordinators see only their own agency's cases
    can_emergency_post: bool = False
    active: bool = True
    id: int | None = None
