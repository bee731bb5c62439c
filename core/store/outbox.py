"""The outbox: replies and alerts are written first, then sent by a worker, exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from core.clock import Clock
from core.domain import Platform, Reply, ReplyKind, ReplyStatus
from core.store import dialect
from core.store.schema import replies


class Outbox:
    """Every outbound message's life: pending → sending → sent, or review / failed / dead."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def enqueue(self, reply: Reply, conn: sa.Connection | None = None) -> bool:
        """Write a reply unless one with the same key exists; True when it is new.

        Pass `conn` to make the write part of the caller's transaction (triage writes the case,
        the acknowledgement and the mention's new stage together).
        """
        if conn is not None:
            return _insert_new(conn, _values(reply))
        with self._engine.begin() as own:
            return _insert_new(own, _values(reply))

    def claim_due(self, limit: int = 50, platforms: Sequence[Platform] | None = None) -> list[Reply]:
        """Take pending replies whose time has come and record the intent to send them (status sending).

        A crash after this leaves them in `sending`: `in_doubt()` finds them, and the worker asks the
        platform whether they went out before it ever tries again.
        """
        now = self._clock.now()
        query = (
            sa.select(replies)
            .where(replies.c.status == ReplyStatus.PENDING.value)
            .where(sa.or_(replies.c.next_attempt_at.is_(None), replies.c.next_attempt_at <= now))
            .order_by(replies.c.id)
            .limit(limit)
        )
        if platforms:
            query = query.where(replies.c.platform.in_([p.value for p in platforms]))
        with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = conn.execute(query).mappings().all()
            if not rows:
                return []
            ids = [row["id"] for row in rows]
            # next_attempt_at doubles as "claimed at" while sending: how long a reply has been in flight.
            conn.execute(
                sa.update(replies)
                .where(replies.c.id.in_(ids))
                .values(status=ReplyStatus.SENDING.value, attempts=replies.c.attempts + 1, next_attempt_at=now)
            )
            claimed = conn.execute(sa.select(replies).where(replies.c.id.in_(ids)).order_by(replies.c.id))
            return [to_reply(row) for row in claimed.mappings()]

    def in_doubt(self, claimed_before: datetime | None = None, platforms: Sequence[Platform] | None = None
                 ) -> list[Reply]:
        """Replies left in `sending` (by a crash, when claimed before `claimed_before`): sent or not, unknown."""
        query = sa.select(replies).where(replies.c.status == ReplyStatus.SENDING.value).order_by(replies.c.id)
        if claimed_before is not None:
            query = query.where(replies.c.next_attempt_at < claimed_before)
        if platforms:
            query = query.where(replies.c.platform.in_([p.value for p in platforms]))
        with self._engine.connect() as conn:
            return [to_reply(row) for row in conn.execute(query).mappings()]

    def mark_sent(self, reply_id: int, platform_message_id: str) -> None:
        self._set(
            reply_id,
            status=ReplyStatus.SENT,
            platform_message_id=platform_message_id,
            sent_at=self._clock.now(),
            error="",
            next_attempt_at=None,
        )

    def retry_later(self, reply_id: int, error: str, at: datetime) -> None:
        self._set(reply_id, status=ReplyStatus.PENDING, error=error[:2000], next_attempt_at=at)

    def mark_failed(self, reply_id: int, error: str) -> None:
        """The platform refused for good (deleted comment, closed window, blocked bot)."""
        self._set(reply_id, status=ReplyStatus.FAILED, error=error[:2000], next_attempt_at=None)

    def mark_dead(self, reply_id: int, error: str) -> None:
        """Retries exhausted: onto the dead-letter list staff see, never silently dropped."""
        self._set(reply_id, status=ReplyStatus.DEAD, error=error[:2000], next_attempt_at=None)

    def hold_for_review(self, reply_id: int, reason: str) -> None:
        self._set(reply_id, status=ReplyStatus.REVIEW, error=reason[:2000], next_attempt_at=None)

    def release(self, reply_id: int, text: str | None = None) -> None:
        """A reviewer approved a held reply (optionally edited): it goes out with the next worker run."""
        changes: dict[str, object] = {"status": ReplyStatus.PENDING, "error": "", "next_attempt_at": None}
        if text is not None:
            changes["text"] = text
        self._set(reply_id, **changes)

    def get(self, reply_id: int) -> Reply | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(replies).where(replies.c.id == reply_id)).mappings().first()
        return None if row is None else to_reply(row)

    def by_key(self, key: str) -> Reply | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(replies).where(replies.c.key == key)).mappings().first()
        return None if row is None else to_reply(row)

    def with_status(self, *statuses: ReplyStatus, limit: int = 200) -> list[Reply]:
        query = (
            sa.select(replies)
            .where(replies.c.status.in_([s.value for s in statuses]))
            .order_by(replies.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [to_reply(row) for row in conn.execute(query).mappings()]

    def for_mention(self, mention_id: int) -> list[Reply]:
        query = sa.select(replies).where(replies.c.mention_id == mention_id).order_by(replies.c.id)
        with self._engine.connect() as conn:
            return [to_reply(row) for row in conn.execute(query).mappings()]

    def for_case(self, case_id: int) -> list[Reply]:
        query = sa.select(replies).where(replies.c.case_id == case_id).order_by(replies.c.id)
        with self._engine.connect() as conn:
            return [to_reply(row) for row in conn.execute(query).mappings()]

    def _set(self, reply_id: int, **changes: object) -> None:
        values = {k: (v.value if isinstance(v, ReplyStatus) else v) for k, v in changes.items()}
        with self._engine.begin() as conn:
            conn.execute(sa.update(replies).where(replies.c.id == reply_id).values(**values))


def _insert_new(conn: sa.Connection, values: dict[str, object]) -> bool:
    statement = (
        dialect.insert(conn, replies)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(replies.c.id)
    )
    return conn.execute(statement).first() is not None


def _values(reply: Reply) -> dict[str, object]:
    return {
        "key": reply.key,
        "kind": reply.kind.value,
        "platform": reply.platform.value,
        "target": reply.target,
        "text": reply.text,
        "status": reply.status.value,
        "mention_id": reply.mention_id,
        "case_id": reply.case_id,
        "attempts": reply.attempts,
        "next_attempt_at": reply.next_attempt_at,
        "error": reply.error,
        "created_at": reply.created_at,
    }


def to_reply(row: RowMapping) -> Reply:
    return Reply(
        id=row["id"],
        key=row["key"],
        kind=ReplyKind(row["kind"]),
        platform=Platform(row["platform"]),
        target=row["target"],
        text=row["text"],
        status=ReplyStatus(row["status"]),
        mention_id=row["mention_id"],
        case_id=row["case_id"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        platform_message_id=row["platform_message_id"],
        error=row["error"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
    )
