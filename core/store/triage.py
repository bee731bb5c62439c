"""The responder's work queue: classified mentions, handed out in batches, each finished in one transaction."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from core.clock import Clock
from core.domain import Classification, Label, Mention, MentionStage
from core.store.mentions import to_mention
from core.store.schema import classifications, mentions

Handler = Callable[[sa.Connection, Mention, Classification], None]


class TriageQueue:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def work(self, handle: Handler, limit: int = 100) -> int:
        """Give up to `limit` classified mentions to `handle` and mark them triaged, all in one transaction.

        If `handle` raises, nothing of the batch is kept and the mentions stay queued. On PostgreSQL
        the rows are locked with SKIP LOCKED, so several responders can share the queue.
        """
        query = (
            sa.select(mentions, *[c.label(f"c_{c.name}") for c in classifications.c])
            .join(classifications, classifications.c.mention_id == mentions.c.id)
            .where(mentions.c.stage == MentionStage.CLASSIFIED.value)
            .order_by(mentions.c.id)
            .limit(limit)
        )
        with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(of=mentions, skip_locked=True)
            rows = conn.execute(query).mappings().all()
            for row in rows:
                handle(conn, to_mention(row), _classification(row))
            if rows:
                conn.execute(
                    sa.update(mentions)
                    .where(mentions.c.id.in_([row["id"] for row in rows]))
                    .values(stage=MentionStage.TRIAGED.value)
                )
            return len(rows)


def _classification(row: RowMapping) -> Classification:
    return Classification(
        mention_id=row["id"],
        label=Label(row["c_label"]),
        confidence=row["c_confidence"],
        agency=row["c_agency"],
        agency_confidence=row["c_agency_confidence"],
        agency_runner_up=row["c_agency_runner_up"],
        urgent=row["c_urgent"],
        urgent_score=row["c_urgent_score"],
        model_version=row["c_model_version"],
    )
