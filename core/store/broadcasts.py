"""Broadcasts and their per-channel deliveries; the scheduler's lease."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from core.clock import Clock
from core.domain import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, Platform
from core.errors import DeskError
from core.store import dialect
from core.store.schema import broadcasts, deliveries, leases


class BroadcastRuleError(DeskError):
    """A workflow rule was broken: self-approval, approving a cancelled post, and the like."""


class BroadcastStore:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    # --- the broadcast itself -------------------------------------------------------------------------------
    def create(self, broadcast: Broadcast) -> Broadcast:
        values = {
            "title": broadcast.title,
            "text": broadcast.text,
            "template": broadcast.template,
            "channels": [c.value for c in broadcast.channels],
            "run_at": broadcast.run_at,
            "cron": broadcast.cron,
            "status": broadcast.status.value,
            "author": broadcast.author,
            "emergency": broadcast.emergency,
            "created_at": broadcast.created_at,
        }
        with self._engine.begin() as conn:
            new_id = conn.execute(sa.insert(broadcasts).values(**values).returning(broadcasts.c.id)).scalar_one()
        found = self.get(new_id)
        assert found is not None
        return found

    def approve(self, broadcast_id: int, by: str) -> Broadcast:
        """Four eyes: only a draft, only by someone other than its author (checked in one UPDATE)."""
        now = self._clock.now()
        with self._engine.begin() as conn:
            changed = conn.execute(
                sa.update(broadcasts)
                .where(broadcasts.c.id == broadcast_id, broadcasts.c.status == BroadcastStatus.DRAFT.value,
                       broadcasts.c.author != by)
                .values(status=BroadcastStatus.APPROVED.value, approver=by, approved_at=now)
            ).rowcount
            if not changed:
                row = conn.execute(sa.select(broadcasts).where(broadcasts.c.id == broadcast_id)).mappings().first()
                raise BroadcastRuleError(_why_not_approved(row, by))
        return self._must(broadcast_id)

    def approve_emergency(self, broadcast_id: int, by: str) -> Broadcast:
        """An emergency post skips the second pair of eyes; the caller checks the user may do this."""
        now = self._clock.now()
        with self._engine.begin() as conn:
            changed = conn.execute(
                sa.update(broadcasts)
                .where(broadcasts.c.id == broadcast_id, broadcasts.c.status == BroadcastStatus.DRAFT.value)
                .values(status=BroadcastStatus.APPROVED.value, approver=by, approved_at=now, emergency=True)
            ).rowcount
        if not changed:
            raise BroadcastRuleError("only a draft can be approved")
        return self._must(broadcast_id)

    def set_status(self, broadcast_id: int, status: BroadcastStatus,
                   only_from: Sequence[BroadcastStatus] | None = None) -> bool:
        """Change status (optionally only from the given ones); True when it changed."""
        query = sa.update(broadcasts).where(broadcasts.c.id == broadcast_id).values(status=status.value)
        if only_from is not None:
            query = query.where(broadcasts.c.status.in_([s.value for s in only_from]))
        with self._engine.begin() as conn:
            return bool(conn.execute(query).rowcount)

    def update_draft(self, broadcast_id: int, **changes: object) -> Broadcast:
        """Edit a draft (text, template, title, channels, run_at, cron); anything else is refused."""
        allowed = {"title", "text", "template", "channels", "run_at", "cron"}
        unknown = set(changes) - allowed
        if unknown:
            raise BroadcastRuleError(f"cannot edit {', '.join(sorted(unknown))}")
        if "channels" in changes:
            changes["channels"] = [Platform(c).value for c in changes["channels"]]  # type: ignore[attr-defined]
        with self._engine.begin() as conn:
            changed = conn.execute(
                sa.update(broadcasts)
                .where(broadcasts.c.id == broadcast_id, broadcasts.c.status == BroadcastStatus.DRAFT.value)
                .values(**changes)
            ).rowcount
        if not changed:
            raise BroadcastRuleError("only a draft can be edited")
        return self._must(broadcast_id)

    def get(self, broadcast_id: int) -> Broadcast | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(broadcasts).where(broadcasts.c.id == broadcast_id)).mappings().first()
        return None if row is None else to_broadcast(row)

    def with_status(self, *statuses: BroadcastStatus, limit: int = 500) -> list[Broadcast]:
        query = sa.select(broadcasts).order_by(broadcasts.c.id.desc()).limit(limit)
        if statuses:
            query = query.where(broadcasts.c.status.in_([s.value for s in statuses]))
        with self._engine.connect() as conn:
            return [to_broadcast(row) for row in conn.execute(query).mappings()]

    def _must(self, broadcast_id: int) -> Broadcast:
        found = self.get(broadcast_id)
        assert found is not None
        return found

    # --- deliveries: one per (broadcast, channel, occurrence) -----------------------------------------------
    def plan(self, broadcast_id: int, channel: Platform, scheduled_for: datetime, text: str = "",
             status: DeliveryStatus = DeliveryStatus.PENDING) -> bool:
        """Record an occurrence on a channel; a second plan of the same occurrence changes nothing."""
        values = {"broadcast_id": broadcast_id, "channel": channel.value, "scheduled_for": scheduled_for,
                  "status": status.value, "text": text}
        with self._engine.begin() as conn:
            statement = (
                dialect.insert(conn, deliveries)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["broadcast_id", "channel", "scheduled_for"])
                .returning(deliveries.c.id)
            )
            return conn.execute(statement).first() is not None

    def claim_delivery(self, delivery_id: int, text: str) -> bool:
        """Record the intent to publish (pending → sending) with the exact text; False if someone else has it."""
        with self._engine.begin() as conn:
            return bool(conn.execute(
                sa.update(deliveries)
                .where(deliveries.c.id == delivery_id, deliveries.c.status == DeliveryStatus.PENDING.value)
                .values(status=DeliveryStatus.SENDING.value, text=text, attempts=deliveries.c.attempts + 1)
            ).rowcount)

    def finish_delivery(self, delivery_id: int, status: DeliveryStatus, *, platform_post_id: str = "",
                        url: str = "", error: str = "") -> None:
        values: dict[str, object] = {"status": status.value, "error": error[:2000]}
        if status is DeliveryStatus.PUBLISHED:
            values.update(platform_post_id=platform_post_id, url=url, published_at=self._clock.now())
        with self._engine.begin() as conn:
            conn.execute(sa.update(deliveries).where(deliveries.c.id == delivery_id).values(**values))

    def deliveries(self, broadcast_id: int | None = None, *statuses: DeliveryStatus,
                   due_by: datetime | None = None) -> list[Delivery]:
        query = sa.select(deliveries).order_by(deliveries.c.scheduled_for, deliveries.c.id)
        if broadcast_id is not None:
            query = query.where(deliveries.c.broadcast_id == broadcast_id)
        if statuses:
            query = query.where(deliveries.c.status.in_([s.value for s in statuses]))
        if due_by is not None:
            query = query.where(deliveries.c.scheduled_for <= due_by)
        with self._engine.connect() as conn:
            return [to_delivery(row) for row in conn.execute(query).mappings()]

    # --- the scheduler's lease ------------------------------------------------------------------------------
    def acquire_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        """Take or renew the named lease; True while `holder` owns it. Only one holder at a time."""
        now = self._clock.now()
        expires = now + timedelta(seconds=ttl_seconds)
        with self._engine.begin() as conn:
            statement = dialect.insert(conn, leases).values(name=name, holder=holder, expires_at=expires)
            statement = statement.on_conflict_do_update(
                index_elements=["name"],
                set_={"holder": holder, "expires_at": expires},
                where=sa.or_(leases.c.holder == holder, leases.c.expires_at < now),
            )
            conn.execute(statement)
            owner = conn.execute(sa.select(leases.c.holder).where(leases.c.name == name)).scalar_one()
        return bool(owner == holder)

    def release_lease(self, name: str, holder: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(sa.delete(leases).where(leases.c.name == name, leases.c.holder == holder))


def _why_not_approved(row: RowMapping | None, by: str) -> str:
    if row is None:
        return "no such broadcast"
    if row["author"] == by:
        return "the author cannot approve their own broadcast: a second person must"
    return f"only a draft can be approved (this one is {row['status']})"


def to_broadcast(row: RowMapping) -> Broadcast:
    return Broadcast(
        id=row["id"],
        title=row["title"],
        text=row["text"],
        template=row["template"],
        channels=tuple(Platform(c) for c in row["channels"]),
        run_at=row["run_at"],
        cron=row["cron"],
        status=BroadcastStatus(row["status"]),
        author=row["author"],
        approver=row["approver"],
        approved_at=row["approved_at"],
        emergency=row["emergency"],
        created_at=row["created_at"],
    )


def to_delivery(row: RowMapping) -> Delivery:
    return Delivery(
        id=row["id"],
        broadcast_id=row["broadcast_id"],
        channel=Platform(row["channel"]),
        scheduled_for=row["scheduled_for"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        text=row["text"],
        platform_post_id=row["platform_post_id"],
        url=row["url"],
        error=row["error"],
        published_at=row["published_at"],
    )
