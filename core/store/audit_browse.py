"""Browsing the audit log page by page, newest first, filtered by who and what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.domain import AuditEvent
from core.store.schema import audit_events

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    older: int | None  # pass as `before` for the next page


class AuditBrowser:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def page(self, *, actor: str = "", action: str = "", since: datetime | None = None,
             until: datetime | None = None, before: int | None = None, size: int = PAGE_SIZE) -> AuditPage:
        """One page of events; `action` matches a prefix ("case." finds every case action)."""
        query = sa.select(audit_events).order_by(audit_events.c.id.desc()).limit(size + 1)
        if actor:
            query = query.where(audit_events.c.actor == actor)
        if action:
            escaped = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(audit_events.c.action.like(f"{escaped}%", escape="\\"))
        if since is not None:
            query = query.where(audit_events.c.at >= since)
        if until is not None:
            query = query.where(audit_events.c.at < until)
        if before is not None:
            query = query.where(audit_events.c.id < before)
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        events = [
            AuditEvent(id=r["id"], at=r["at"], actor=r["actor"], action=r["action"], target=r["target"],
                       detail=r["detail"] or {})
            for r in rows[:size]
        ]
        return AuditPage(events, older=events[-1].id if len(rows) > size and events else None)
