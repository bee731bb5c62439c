"""Mentions: idempotent ingest with the cursor that covers them, and reads for later stages."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from core.clock import Clock
from core.domain import Mention, MentionStage, Platform
from core.store import dialect
from core.store.schema import mentions, source_cursors, source_health


class MentionStore:
    """Where every post the public wrote is kept exactly once."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def ingest(self, source: str, batch: Sequence[Mention], position: dict[str, Any] | None) -> int:
        """Store new mentions and the source's cursor in one transaction; returns how many were new."""
        now = self._clock.now()
        rows = [_row(m, now) for m in batch]
        with self._engine.begin() as conn:
            inserted = 0
            if rows:
                statement = (
                    dialect.insert(conn, mentions)
                    .on_conflict_do_nothing(index_elements=["platform", "external_id"])
                    .returning(mentions.c.id)
                )
                inserted = len(conn.execute(statement, rows).all())
            if position is not None:
                cursor = {"source": source, "position": position, "updated_at": now}
                conn.execute(dialect.upsert(conn, source_cursors, cursor, ["source"]))
            if inserted:
                _count_stored(conn, source, inserted)
        return inserted

    def count(self, stage: MentionStage | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(mentions)
        if stage is not None:
            query = query.where(mentions.c.stage == stage.value)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def get(self, mention_id: int) -> Mention | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(mentions).where(mentions.c.id == mention_id)).mappings().first()
        return None if row is None else to_mention(row)

    def find(self, platform: Platform, external_id: str) -> Mention | None:
        query = sa.select(mentions).where(
            mentions.c.platform == platform.value, mentions.c.external_id == external_id
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else to_mention(row)

    def latest(self, limit: int = 20) -> list[Mention]:
        query = sa.select(mentions).order_by(mentions.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [to_mention(row) for row in conn.execute(query).mappings()]

    def iterate(self, since: datetime | None = None, batch: int = 1000) -> Iterator[Mention]:
        """Every mention in id order, read in batches so an export never loads everything."""
        last_id = 0
        while True:
            query = sa.select(mentions).where(mentions.c.id > last_id).order_by(mentions.c.id).limit(batch)
            if since is not None:
                query = query.where(mentions.c.posted_at >= since)
            with self._engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
            if not rows:
                return
            for row in rows:
                yield to_mention(row)
            last_id = rows[-1]["id"]

    def cursor(self, source: str) -> dict[str, Any]:
        query = sa.select(source_cursors.c.position).where(source_cursors.c.source == source)
        with self._engine.connect() as conn:
            position = conn.execute(query).scalar_one_or_none()
        return dict(position) if position else {}


def storable(value: Any) -> Any:
    """Text as the public wrote it, except NUL, which PostgreSQL cannot hold: it becomes U+FFFD everywhere.

    Doing it on every database keeps SQLite and PostgreSQL deployments identical.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


def _row(mention: Mention, now: datetime) -> dict[str, Any]:
    return {
        "platform": mention.platform.value,
        "external_id": mention.external_id,
        "source": mention.source,
        "thread_id": mention.thread_id,
        "parent_id": mention.parent_id,
        "author_handle": mention.author_handle,
        "author_name": storable(mention.author_name),
        "text": storable(mention.text),
        "url": mention.url,
        "posted_at": mention.posted_at,
        "fetched_at": now,
        "stage": MentionStage.NEW.value,
        "raw": storable(mention.raw) or None,
    }


def _count_stored(conn: sa.Connection, source: str, inserted: int) -> None:
    updated = conn.execute(
        sa.update(source_health)
        .where(source_health.c.source == source)
        .values(mentions_stored=source_health.c.mentions_stored + inserted)
    ).rowcount
    if not updated:
        conn.execute(sa.insert(source_health).values(source=source, mentions_stored=inserted))


def to_mention(row: RowMapping) -> Mention:
    return Mention(
        id=row["id"],
        platform=Platform(row["platform"]),
        external_id=row["external_id"],
        source=row["source"],
        thread_id=row["thread_id"],
        parent_id=row["parent_id"],
        author_handle=row["author_handle"],
        author_name=row["author_name"],
        text=row["text"],
        url=row["url"],
        posted_at=row["posted_at"],
        fetched_at=row["fetched_at"],
        stage=MentionStage(row["stage"]),
        raw=row["raw"] or {},
    )
