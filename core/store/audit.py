"""The audit log: every staff action, append-only."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.clock import Clock
from core.domain import AuditEvent
from core.store.schema import audit_events


class AuditLog:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def record(self, actor: str, action: str, target: str = "", conn: sa.Connection | None = None,
               **detail: Any) -> None:
        """Append one event; pass `conn` to make it part of the caller's transaction."""
        values = {"at": self._clock.now(), "actor": actor, "action": action, "target": target,
                  "detail": detail or None}
        if conn is not None:
            conn.execute(sa.insert(audit_events).values(**values))
            return
        with self._engine.begin() as own:
            own.execute(sa.insert(audit_events).values(**values))

    def recent(self, limit: int = 100, actor: str | None = None) -> list[AuditEvent]:
        query = sa.select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
        if actor:
            query = query.where(audit_events.c.actor == actor)
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            AuditEvent(id=r["id"], at=r["at"], actor=r["actor"], action=r["action"], target=r["target"],
                       detail=r["detail"] or {})
            for r in rows
        ]
