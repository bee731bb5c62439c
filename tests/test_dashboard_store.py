"""The desk's queries in core/store on SQLite and PostgreSQL: keyset pages, the search index, scopes, audit pages."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from dashboard_support import classify, ingest, mention, open_case

from core.clock import ManualClock
from core.domain import Label, Platform
from core.store import Store
from core.store.audit_browse import AuditBrowser
from core.store.board import CaseBoard, CaseNotFound, Scope
from core.store.desk import MentionDesk, MentionFilter
from core.store.schema import mentions


def test_keyset_pages_cover_every_match_once_in_order_for_any_filter(store: Store, clock: ManualClock) -> None:
    rng = random.Random(7)
    platforms = list(Platform)
    ids = ingest(store, [
        mention(f"m{n}", rng.choice(["ถนนพัง", "น้ำท่วมซอย", "สอบถามภาษี"]) + f" {n}",
                clock.now() - timedelta(minutes=rng.randrange(10_000)), platform=rng.choice(platforms))
        for n in range(150)
    ])
    truth: dict[int, tuple[str, str | None]] = {}
    for mention_id in ids:
        if rng.random() < 0.8:
            label, agency = rng.choice(["complaint", "inquiry", "other"]), rng.choice(["MOI", "MOT", None])
            classify(store, mention_id, label, agency, urgent=rng.random() < 0.2)
            truth[mention_id] = (label, agency)
    desk = MentionDesk(store.engine, clock)
    filters = [MentionFilter(), MentionFilter(label="complaint"), MentionFilter(agency="MOI"),
               MentionFilter(label="unclassified"), MentionFilter(platform="pantip"),
               MentionFilter(query="น้ำท่วม"), MentionFilter(query="น้ำท่วม", label="complaint"),
               MentionFilter(since=clock.now() - timedelta(days=4)),
               MentionFilter(since=clock.now() - timedelta(days=5), until=clock.now() - timedelta(days=1),
                             label="complaint", query="ถนน")]

    for flt in filters:
        everything = desk.page(flt, size=1000).rows
        expected = [row.mention.id for row in everything]
        timed = flt.since is not None
        order = [(row.mention.posted_at, row.mention.id) if timed else row.mention.id for row in everything]
        seen, before, pages = [], None, []
        while True:
            page = desk.page(flt, before=before, size=7)
            pages.append(page)
            seen += [row.mention.id for row in page.rows]
            if page.older is None:
                break
            before = page.older
        assert seen == expected and order == sorted(order, reverse=True) and expected, flt
        if len(pages) > 1:  # and the way back reproduces the previous page exactly
            back = desk.page(flt, after=pages[1].newer, size=7)
            assert [r.mention.id for r in back.rows] == [r.mention.id for r in pages[0].rows]
    complaints = desk.page(MentionFilter(label="complaint"), size=1000).rows
    assert {row.mention.id for row in complaints} == {i for i, (label, _) in truth.items() if label == "complaint"}


def test_the_search_index_follows_edits_and_deletions(store: Store, clock: ManualClock) -> None:
    [first, second] = ingest(store, [mention("a", "ไฟดับทั้งซอย", clock.now()),
                                     mention("b", "ถนนพังมาก", clock.now())])
    desk = MentionDesk(store.engine, clock)
    with store.engine.begin() as conn:
        conn.execute(sa.update(mentions).where(mentions.c.id == first).values(text="น้ำประปาไม่ไหล"))
        conn.execute(sa.delete(mentions).where(mentions.c.id == second))

    def found(word: str) -> list[int]:
        return [row.mention.id for row in desk.page(MentionFilter(query=word)).rows]

    assert found("ประปา") == [first]
    assert found("ไฟดับทั้ง") == []
    assert found("ถนนพัง") == []


def test_relabel_of_a_missing_mention_changes_nothing(store: Store, clock: ManualClock) -> None:
    desk = MentionDesk(store.engine, clock)

    assert desk.relabel([424242], Label.OTHER, "analyst") == 0
    assert store.audit.recent() == []


def test_a_scope_limits_every_case_query(store: Store, clock: ManualClock) -> None:
    ids = ingest(store, [mention("a", "ไฟดับ", clock.now()), mention("b", "ยาไม่พอ", clock.now())])
    moi = open_case(store, ids[0], "MOI")
    moph = open_case(store, ids[1], "MOPH")
    board = CaseBoard(store.engine, clock)

    assert board.card(moi, Scope.only("MOI")).case.id == moi
    with pytest.raises(CaseNotFound):
        board.card(moph, Scope.only("MOI"))
    with pytest.raises(CaseNotFound):
        board.add_note(moph, Scope.only("MOI"), "ไม่ควรบันทึกได้", "coord_moi")
    with pytest.raises(CaseNotFound):  # a coordinator with no agency sees nothing, not everything
        board.card(moi, Scope())
    assert board.events(moph, Scope.only("MOI")) == []
    assert sum(total for total, _ in board.counts(Scope.only("MOI")).values()) == 1
    assert sum(total for total, _ in board.counts(Scope.everything()).values()) == 2


def test_the_audit_log_pages_newest_first_and_filters_by_action_prefix(store: Store) -> None:
    for n in range(5):
        store.audit.record("coord_moi", "case.note", f"GCC-{n}")
        store.audit.record("analyst", "mention.relabel", f"mention:{n}")
    browser = AuditBrowser(store.engine)

    first = browser.page(action="case.", size=3)
    rest = browser.page(action="case.", before=first.older, size=3)
    analyst = browser.page(actor="analyst", size=100)
    literal = browser.page(action="case_", size=100)  # "_" is not a wildcard

    assert [e.target for e in first.events + rest.events] == [f"GCC-{n}" for n in range(4, -1, -1)]
    assert rest.older is None
    assert {e.action for e in analyst.events} == {"mention.relabel"} and len(analyst.events) == 5
    assert literal.events == []
