"""Aggregates for the desk's charts: volume per Bangkok day, complaints per agency, response times, text samples.

Days are Bangkok calendar days (UTC+7 all year: Thailand keeps no daylight saving time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.clock import Clock
from core.domain import Label, Platform, ReplyKind, ReplyStatus
from core.store.planner import prefer_index_lookups
from core.store.schema import classifications, mentions, replies

UNCLASSIFIED = "unclassified"
FIRST_RESPONSES = (ReplyKind.ANSWER, ReplyKind.ACKNOWLEDGEMENT, ReplyKind.MANUAL)


@dataclass(frozen=True)
class DayCount:
    day: date
    key: str  # the label or platform counted
    count: int


@dataclass(frozen=True)
class ResponseTime:
    """How long a member of the public waited for the first answer to one mention."""

    platform: Platform
    seconds: float


class InsightQueries:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def volume(self, since: datetime, until: datetime, by: Literal["label", "platform"]) -> list[DayCount]:
        """Mentions posted per Bangkok day in [since, until), split by label or by platform."""
        with self._engine.connect() as conn:
            prefer_index_lookups(conn)
            day = _bangkok_day(conn, mentions.c.posted_at)
            if by == "platform":
                key: sa.ColumnElement[Any] = mentions.c.platform
                source: sa.FromClause = mentions
            else:
                key = sa.func.coalesce(classifications.c.label, UNCLASSIFIED)
                source = mentions.outerjoin(classifications, classifications.c.mention_id == mentions.c.id)
            query = (
                sa.select(day.label("day"), key.label("key"), sa.func.count().label("n"))
                .select_from(source)
                .where(mentions.c.posted_at >= since, mentions.c.posted_at < until)
                .group_by(day, key)
            )
            return sorted(
                (DayCount(_as_date(r.day), str(r.key), int(r.n)) for r in conn.execute(query)),
                key=lambda d: (d.day, d.key),
            )

    def daily_totals(self, since: datetime, until: datetime) -> dict[date, int]:
        """Mentions posted per Bangkok day in [since, until) (days with none are absent)."""
        with self._engine.connect() as conn:
            prefer_index_lookups(conn)
            day = _bangkok_day(conn, mentions.c.posted_at)
            query = (
                sa.select(day.label("day"), sa.func.count().label("n"))
                .where(mentions.c.posted_at >= since, mentions.c.posted_at < until)
                .group_by(day)
            )
            return {_as_date(r.day): int(r.n) for r in conn.execute(query)}

    def complaints_by_agency(self, since: datetime, until: datetime) -> list[tuple[str | None, int]]:
        """Complaints posted in [since, until) per agency (None: not routed), most first."""
        count = sa.func.count().label("n")
        query = (
            sa.select(classifications.c.agency, count)
            .select_from(mentions.join(classifications, classifications.c.mention_id == mentions.c.id))
            .where(classifications.c.label == Label.COMPLAINT.value)
            .where(mentions.c.posted_at >= since, mentions.c.posted_at < until)
            .group_by(classifications.c.agency)
            .order_by(count.desc(), classifications.c.agency)
        )
        with self._engine.connect() as conn:
            prefer_index_lookups(conn)
            return [(r.agency, int(r.n)) for r in conn.execute(query)]

    def response_times(self, since: datetime, until: datetime, limit: int = 50_000) -> list[ResponseTime]:
        """First-response time of each mention first answered in [since, until) (at most `limit` of them).

        The waits are computed by the database, so no timestamp is parsed in Python.
        """
        with self._engine.connect() as conn:
            prefer_index_lookups(conn)
            wait = _seconds_between(conn, mentions.c.posted_at, replies.c.sent_at)
            query = (
                sa.select(mentions.c.platform, sa.func.min(wait).label("seconds"))
                .select_from(replies.join(mentions, mentions.c.id == replies.c.mention_id))
                .where(replies.c.status == ReplyStatus.SENT.value)
                .where(replies.c.kind.in_([k.value for k in FIRST_RESPONSES]))
                .where(replies.c.sent_at >= since, replies.c.sent_at < until)
                .group_by(replies.c.mention_id, mentions.c.platform)
                .limit(limit)
            )
            # Whole seconds: julianday() arithmetic is a few microseconds off.
            return [ResponseTime(Platform(r.platform), max(0.0, float(round(r.seconds)))) for r in conn.execute(query)]

    def texts(self, since: datetime, until: datetime, limit: int) -> list[str]:
        """The texts of the latest `limit` mentions posted in [since, until): a sample for term counts."""
        query = (
            sa.select(mentions.c.text)
            .where(mentions.c.posted_at >= since, mentions.c.posted_at < until)
            .order_by(mentions.c.posted_at.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            prefer_index_lookups(conn)
            return list(conn.execute(query).scalars())


def _bangkok_day(conn: sa.Connection, column: sa.ColumnElement[datetime]) -> sa.ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.timezone("Asia/Bangkok", column), sa.Date)
    return sa.func.date(column, "+7 hours")


def _seconds_between(conn: sa.Connection, start: sa.ColumnElement[datetime], end: sa.ColumnElement[datetime],
                     ) -> sa.ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return sa.func.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
