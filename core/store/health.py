"""Connector health and the raw bodies of payloads we could not read."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.clock import Clock
from core.domain import SourceHealth
from core.store import dialect
from core.store.schema import payload_errors, source_health

MAX_SAVED_BODY = 200_000  # characters: enough to diagnose a changed page, not a way to fill the disk


class HealthStore:
    """What the listener learned about each source, for `sources status` and the dashboard."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def get(self, source: str) -> SourceHealth:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(source_health).where(source_health.c.source == source)).mappings().first()
        return SourceHealth(source=source) if row is None else SourceHealth(**dict(row))

    def all(self) -> list[SourceHealth]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(source_health).order_by(source_health.c.source)).mappings().all()
        return [SourceHealth(**dict(row)) for row in rows]

    def succeeded(self, source: str, token_expires_at: datetime | None = None) -> None:
        values: dict[str, object] = {
            "source": source,
            "last_success_at": self._clock.now(),
            "consecutive_failures": 0,
            "next_retry_at": None,
            "auth_broken": False,
        }
        if token_expires_at is not None:
            values["token_expires_at"] = token_expires_at
        self._save(values)

    def failed(self, source: str, error: str, retry_at: datetime | None, *, auth_broken: bool = False) -> int:
        """Record a failure; returns how many in a row there have been."""
        failures = self.get(source).consecutive_failures + 1
        self._save(
            {
                "source": source,
                "last_error": error[:2000],
                "last_error_at": self._clock.now(),
                "next_retry_at": retry_at,
                "consecutive_failures": failures,
                "auth_broken": auth_broken,
            }
        )
        return failures

    def save_unreadable(self, source: str, error: str, raw_body: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                sa.insert(payload_errors).values(
                    source=source, at=self._clock.now(), error=error[:2000], raw_body=raw_body[:MAX_SAVED_BODY]
                )
            )

    def unreadable(self, source: str | None = None, limit: int = 50) -> list[dict[str, object]]:
        query = sa.select(payload_errors).order_by(payload_errors.c.id.desc()).limit(limit)
        if source is not None:
            query = query.where(payload_errors.c.source == source)
        with self._engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def _save(self, values: dict[str, object]) -> None:
        with self._engine.begin() as conn:
            conn.execute(dialect.upsert(conn, source_health, values, ["source"]))
