"""Classifications and analysts' corrections: the classifier's work queue and what it learns from."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from core.clock import Clock
from core.domain import Classification, Correction, Label, Mention, MentionStage
from core.store import dialect
from core.store.mentions import to_mention
from core.store.schema import classifications, corrections, mentions


@dataclass
class Claim:
    """A batch of NEW mentions held in one open transaction until `save` (or the end of the block)."""

    mentions: list[Mention]
    _conn: sa.Connection
    _clock: Clock
    saved: int = field(default=0)

    def save(self, results: Sequence[Classification]) -> int:
        """Store one classification per claimed mention (same order) and move them to CLASSIFIED."""
        if len(results) != len(self.mentions):
            raise ValueError(f"{len(results)} classifications for {len(self.mentions)} claimed mentions")
        if not self.mentions:
            return 0
        now = self._clock.now()
        rows = [_row(m.id, c, now) for m, c in zip(self.mentions, results, strict=True) if m.id is not None]
        # An existing row (an analyst's relabel) wins over the model: never overwrite it.
        statement = dialect.insert(self._conn, classifications).on_conflict_do_nothing(index_elements=["mention_id"])
        self._conn.execute(statement, rows)
        ids = [row["mention_id"] for row in rows]
        self._conn.execute(
            sa.update(mentions)
            .where(mentions.c.id.in_(ids), mentions.c.stage == MentionStage.NEW.value)
            .values(stage=MentionStage.CLASSIFIED.value)
        )
        self.saved = len(rows)
        return self.saved


class ClassificationStore:
    """Claims NEW mentions for the classifier, saves its results, and keeps analysts' corrections."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    @contextmanager
    def claim(self, limit: int = 500) -> Iterator[Claim]:
        """Hold up to `limit` NEW mentions (oldest first) in one transaction.

        Whatever the block saves commits together with the stage change; if the block raises, the
        transaction rolls back and the mentions stay NEW for the next attempt. On PostgreSQL the rows
        are locked FOR UPDATE SKIP LOCKED, so several classifier processes share the queue.
        """
        query = (
            sa.select(mentions)
            .where(mentions.c.stage == MentionStage.NEW.value)
            .order_by(mentions.c.id)
            .limit(limit)
        )
        with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            claimed = [to_mention(row) for row in conn.execute(query).mappings()]
            yield Claim(mentions=claimed, _conn=conn, _clock=self._clock)

    def pending(self) -> int:
        """How many mentions wait for the classifier."""
        query = sa.select(sa.func.count()).select_from(mentions).where(mentions.c.stage == MentionStage.NEW.value)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def get(self, mention_id: int) -> Classification | None:
        """The stored classification of a mention, or None if it has none yet."""
        query = sa.select(classifications).where(classifications.c.mention_id == mention_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _classification(row)

    def record_correction(self, correction: Correction) -> int:
        """Keep an analyst's relabel for retraining; returns its id.

        The dashboard's relabel (core.store.desk) also replaces the classification and audits;
        this is the bare record, for imports and tools.
        """
        with self._engine.begin() as conn:
            return insert_correction(conn, correction)

    def corrections(self) -> list[Correction]:
        """Every correction, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(corrections).order_by(corrections.c.id)).mappings().all()
        return [to_correction(row) for row in rows]

    def corrected_texts(self) -> list[tuple[str, Correction]]:
        """The latest correction of each corrected mention with the mention's text, in mention order."""
        query = (
            sa.select(corrections, mentions.c.text)
            .join(mentions, mentions.c.id == corrections.c.mention_id)
            .order_by(corrections.c.id)
        )
        latest: dict[int, tuple[str, Correction]] = {}
        with self._engine.connect() as conn:
            for row in conn.execute(query).mappings():
                latest[row["mention_id"]] = (row["text"], to_correction(row))
        return [latest[mention_id] for mention_id in sorted(latest)]


def _row(mention_id: int | None, result: Classification, now: object) -> dict[str, object]:
    return {
        "mention_id": mention_id,
        "label": result.label.value,
        "confidence": float(result.confidence),
        "agency": result.agency,
        "agency_confidence": float(result.agency_confidence),
        "agency_runner_up": result.agency_runner_up,
        "urgent": bool(result.urgent),
        "urgent_score": float(result.urgent_score),
        "model_version": result.model_version[:64],
        "classified_at": now,
    }


def _classification(row: RowMapping) -> Classification:
    return Classification(
        mention_id=row["mention_id"],
        label=Label(row["label"]),
        confidence=row["confidence"],
        agency=row["agency"],
        agency_confidence=row["agency_confidence"],
        agency_runner_up=row["agency_runner_up"],
        urgent=row["urgent"],
        urgent_score=row["urgent_score"],
        model_version=row["model_version"],
    )


def insert_correction(conn: sa.Connection, correction: Correction) -> int:
    """Keep one correction inside the caller's transaction; returns its id."""
    values = {
        "mention_id": correction.mention_id, "label": correction.label.value, "agency": correction.agency,
        "urgent": correction.urgent, "by": correction.by, "at": correction.at,
    }
    return int(conn.execute(sa.insert(corrections).values(**values).returning(corrections.c.id)).scalar_one())


def to_correction(row: RowMapping) -> Correction:
    return Correction(
        mention_id=row["mention_id"], label=Label(row["label"]), agency=row["agency"], urgent=row["urgent"],
        by=row["by"], at=row["at"],
    )
