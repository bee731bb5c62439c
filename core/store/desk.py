"""The web desk's mention queue: filtered pages, Thai search, thread context, and analysts' relabels.

Pages are cut by keyset on the mention id (newest first), never by OFFSET, so the hundredth page of a
million mentions costs what the first does. Each filter has an index in mention order
(0003_mention_search), which lets the database walk the newest matches and stop after one page.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from core.clock import Clock
from core.domain import Classification, Correction, Label, Mention, MentionStage, Platform
from core.store import dialect
from core.store.audit import AuditLog
from core.store.classifications import insert_correction, to_correction
from core.store.planner import prefer_index_lookups
from core.store.schema import classifications, corrections, mentions
from core.store.search import fts_phrase, fts_table, fts_terms, search_terms, text_conditions

UNCLASSIFIED = "unclassified"  # the label filter for mentions the classifier has not reached yet
ANALYST_VERSION = "analyst"  # model_version of a classification an analyst set by hand
PAGE_SIZE = 50
THREAD_LIMIT = 50


class Keep(enum.Enum):
    """Leave this field of a classification as it is (bulk relabels that change only the label)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class MentionFilter:
    """What the review queue shows; an empty field means any."""

    label: str = ""  # a Label value or UNCLASSIFIED
    agency: str = ""
    platform: str = ""
    urgent: bool | None = None
    stage: str = ""
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    query: str = ""


@dataclass(frozen=True)
class Labelled:
    """A mention with what the classifier (or an analyst) said about it, if anything yet."""

    mention: Mention
    classification: Classification | None
    classified_at: datetime | None = None

    @property
    def corrected(self) -> bool:
        return self.classification is not None and self.classification.model_version == ANALYST_VERSION


@dataclass(frozen=True)
class MentionPage:
    rows: list[Labelled]
    older: str | None  # a cursor: pass as `before` for the next (older) page
    newer: str | None  # a cursor: pass as `after` for the previous (newer) page


_LIST_COLUMNS = [c for c in mentions.c if c.name != "raw"]  # raw payloads are big and never listed
_CLASS_COLUMNS = [c.label(f"c_{c.name}") for c in classifications.c]


class MentionDesk:
    """Everything the desk reads about mentions, and the one thing it writes: corrections."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._audit = AuditLog(engine, clock)

    def page(self, flt: MentionFilter, *, before: str | None = None, after: str | None = None,
             size: int = PAGE_SIZE) -> MentionPage:
        """One page of the queue, newest first; `before`/`after` are cursors from a neighbouring page."""
        with self._engine.connect() as conn:
            prefer_index_lookups(conn)
            query, keys = self.query_for(conn.dialect.name, flt)
            going_back = after is not None
            cursor = _parse_cursor(after if going_back else before, len(keys))
            if cursor is not None:
                query = query.where(_beyond(keys, cursor, newer=going_back))
            # Choose the page by its keys alone, then fetch what is shown for those rows only: joining
            # every candidate before the LIMIT is what makes a planner read far more than a page.
            chosen = (query.order_by(*[key.asc() if going_back else key.desc() for key in keys])
                      .limit(size + 1).subquery("page"))
            shown = (
                sa.select(*_LIST_COLUMNS, *_CLASS_COLUMNS)
                .select_from(chosen.join(mentions, mentions.c.id == chosen.c.id)
                             .outerjoin(classifications, classifications.c.mention_id == mentions.c.id))
            )
            rows = [_labelled(row) for row in conn.execute(shown).mappings()]
        timed = len(keys) == 2
        rows.sort(key=lambda r: (r.mention.posted_at, r.mention.id or 0) if timed else (r.mention.id or 0),
                  reverse=not going_back)
        more = len(rows) > size
        rows = rows[:size]
        if going_back:
            rows.reverse()
            return MentionPage(rows, older=_cursor(rows[-1], timed) if rows else None,
                               newer=_cursor(rows[0], timed) if rows and more else None)
        return MentionPage(rows, older=_cursor(rows[-1], timed) if rows and more else None,
                           newer=_cursor(rows[0], timed) if rows and cursor is not None else None)

    def iterate(self, flt: MentionFilter, batch: int = 1000) -> Iterator[Labelled]:
        """Every matching mention, newest first, read a batch at a time (exports)."""
        before: str | None = None
        while True:
            page = self.page(flt, before=before, size=batch)
            yield from page.rows
            if page.older is None:
                return
            before = page.older

    def get(self, mention_id: int) -> Labelled | None:
        query = (
            sa.select(*mentions.c, *_CLASS_COLUMNS)
            .select_from(mentions.outerjoin(classifications, classifications.c.mention_id == mentions.c.id))
            .where(mentions.c.id == mention_id)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _labelled(row)

    def thread(self, mention: Mention, limit: int = THREAD_LIMIT) -> list[Labelled]:
        """The other posts of the mention's thread (same platform and thread, or the thread's own post)."""
        if not mention.thread_id:
            return []
        m = mentions.c
        query = (
            sa.select(*_LIST_COLUMNS, *_CLASS_COLUMNS)
            .select_from(mentions.outerjoin(classifications, classifications.c.mention_id == m.id))
            .where(m.platform == mention.platform.value)
            .where(sa.or_(m.thread_id == mention.thread_id, m.external_id == mention.thread_id))
            .where(m.id != mention.id)
            .order_by(m.posted_at, m.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_labelled(row) for row in conn.execute(query).mappings()]

    def corrections(self, mention_id: int) -> list[Correction]:
        query = sa.select(corrections).where(corrections.c.mention_id == mention_id).order_by(corrections.c.id)
        with self._engine.connect() as conn:
            return [to_correction(r) for r in conn.execute(query).mappings()]

    def relabel(self, mention_ids: Sequence[int], label: Label, by: str, *,
                agency: str | Keep | None = KEEP, urgent: bool | Keep = KEEP) -> int:
        """Set the label (and agency, urgency) of mentions as an analyst said; returns how many changed.

        Each change is kept as a correction for retraining, replaces the classification, and is
        audited, all in one transaction. A mention the classifier had not reached yet counts as
        classified from now on, so the classifier will not overwrite the analyst.
        """
        now = self._clock.now()
        ids = sorted(set(mention_ids))
        with self._engine.begin() as conn:
            query = (
                sa.select(mentions.c.id, mentions.c.stage, *_CLASS_COLUMNS)
                .select_from(mentions.outerjoin(classifications, classifications.c.mention_id == mentions.c.id))
                .where(mentions.c.id.in_(ids))
            )
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(of=mentions)
            found = conn.execute(query).mappings().all()
            for row in found:
                self._correct(conn, row, label, agency, urgent, by, now, bulk=len(ids) > 1)
        return len(found)

    def _correct(self, conn: sa.Connection, row: RowMapping, label: Label, agency: str | Keep | None,
                 urgent: bool | Keep, by: str, now: datetime, *, bulk: bool) -> None:
        before = _classification(row)
        new_agency = (before.agency if before else None) if isinstance(agency, Keep) else agency
        new_urgent = (before.urgent if before else False) if isinstance(urgent, Keep) else urgent
        values: dict[str, Any] = {
            "mention_id": row["id"], "label": label.value, "confidence": 1.0, "agency": new_agency,
            "agency_confidence": 1.0, "agency_runner_up": None, "urgent": new_urgent,
            "urgent_score": 1.0 if new_urgent else 0.0, "model_version": ANALYST_VERSION, "classified_at": now,
        }
        conn.execute(dialect.upsert(conn, classifications, values, ["mention_id"]))
        insert_correction(conn, Correction(mention_id=row["id"], label=label, agency=new_agency, urgent=new_urgent,
                                           by=by, at=now))
        if row["stage"] == MentionStage.NEW.value:
            conn.execute(sa.update(mentions).where(mentions.c.id == row["id"])
                         .values(stage=MentionStage.CLASSIFIED.value))
        self._audit.record(
            by, "mention.relabel", f"mention:{row['id']}", conn=conn, bulk=bulk,
            before=None if before is None else {"label": before.label.value, "agency": before.agency,
                                                "urgent": before.urgent, "model": before.model_version},
            after={"label": label.value, "agency": new_agency, "urgent": new_urgent},
        )

    def query_for(self, dialect_name: str, flt: MentionFilter) -> tuple[sa.Select[Any], tuple[Any, ...]]:
        """The SELECT of matching mentions' keys (unordered, unlimited) and the columns pages are cut on.

        The order follows an index, so a page is an index range the database stops reading after
        one page: the mention id (stored order) normally; the classification filter's own index in
        (value, mention_id) order when one is set; the FTS5 rowid when SQLite searches; and, when
        the queue is limited to dates, the posting time, whatever the dates (walking ids would read
        every newer mention first).
        """
        m, c = mentions.c, classifications.c
        needs_class = bool(flt.label and flt.label != UNCLASSIFIED) or bool(flt.agency) or flt.urgent is not None
        joined: sa.FromClause = (
            mentions.join(classifications, c.mention_id == m.id) if needs_class
            else mentions.outerjoin(classifications, c.mention_id == m.id)
        )
        timed = flt.since is not None or flt.until is not None
        keys: tuple[Any, ...] = (m.posted_at, m.id) if timed else (c.mention_id if needs_class else m.id,)
        terms = search_terms(flt.query)
        indexed = fts_terms(dialect_name, terms)
        conditions: list[sa.ColumnElement[bool]] = text_conditions(dialect_name, m.text, terms)
        if indexed:
            match = sa.literal_column(f"{fts_table.name}.{fts_table.name}").op("MATCH")(fts_phrase(indexed))
            if timed:
                conditions.append(m.id.in_(sa.select(fts_table.c.rowid).where(match)))
            else:
                # Drive the query from the FTS5 index in rowid order, so LIMIT stops the search early.
                joined = fts_table.join(joined, m.id == fts_table.c.rowid)
                keys = (fts_table.c.rowid,)
                conditions.append(match)
        if flt.label == UNCLASSIFIED:
            conditions.append(c.mention_id.is_(None))
        elif flt.label:
            conditions.append(c.label == flt.label)
        if flt.agency:
            conditions.append(c.agency == flt.agency)
        if flt.urgent is not None:
            conditions.append(c.urgent == flt.urgent)
        if flt.platform:
            conditions.append(m.platform == flt.platform)
        if flt.stage:
            conditions.append(m.stage == flt.stage)
        if flt.since is not None:
            conditions.append(m.posted_at >= flt.since)
        if flt.until is not None:
            conditions.append(m.posted_at < flt.until)
        columns = [keys[-1].label("id"), *([keys[0].label("posted_at")] if timed else [])]
        return sa.select(*columns).select_from(joined).where(*conditions), keys


def _cursor(row: Labelled, timed: bool) -> str:
    """Where a page ends, as text for a link: the id, or the posting time and the id."""
    if timed:
        return f"{row.mention.posted_at.astimezone(UTC).isoformat()}~{row.mention.id}"
    return str(row.mention.id)


def _parse_cursor(text: str | None, parts: int) -> tuple[Any, ...] | None:
    """A cursor from a link, or None when absent or not one of ours (then the first page is shown)."""
    if not text or len(text) > 64:
        return None
    try:
        if parts == 1:
            return (int(text),)
        moment, _, ident = text.partition("~")
        when = datetime.fromisoformat(moment)
        return (when, int(ident)) if when.tzinfo is not None else None
    except ValueError:
        return None


def _beyond(keys: tuple[Any, ...], cursor: tuple[Any, ...], *, newer: bool) -> sa.ColumnElement[bool]:
    """Rows past the cursor, written so an index on the first key can serve the bound."""
    if len(keys) == 1:
        key: sa.ColumnElement[int] = keys[0]
        bound: sa.ColumnElement[bool] = key > cursor[0] if newer else key < cursor[0]
        return bound
    (moment, ident), (at, key) = keys, cursor
    if newer:
        return sa.and_(moment >= at, sa.or_(moment > at, ident > key))
    return sa.and_(moment <= at, sa.or_(moment < at, ident < key))


def _classification(row: RowMapping) -> Classification | None:
    if row["c_label"] is None:
        return None
    return Classification(
        mention_id=row["c_mention_id"], label=Label(row["c_label"]), confidence=row["c_confidence"],
        agency=row["c_agency"], agency_confidence=row["c_agency_confidence"],
        agency_runner_up=row["c_agency_runner_up"], urgent=row["c_urgent"], urgent_score=row["c_urgent_score"],
        model_version=row["c_model_version"],
    )


def _labelled(row: RowMapping) -> Labelled:
    mention = Mention(
        id=row["id"], platform=Platform(row["platform"]), external_id=row["external_id"], source=row["source"],
        thread_id=row["thread_id"], parent_id=row["parent_id"], author_handle=row["author_handle"],
        author_name=row["author_name"], text=row["text"], url=row["url"], posted_at=row["posted_at"],
        fetched_at=row["fetched_at"], stage=MentionStage(row["stage"]), raw=row.get("raw") or {},
    )
    return Labelled(mention, _classification(row), row["c_classified_at"])
