"""The review queue over HTTP, on SQLite and PostgreSQL: filters, Thai search, paging, relabels, exports."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from dashboard_support import classify, desk_client, ingest, login, mention, post_form

from core.clock import ManualClock
from core.domain import Label, MentionStage, Platform
from core.store import Store
from core.store.schema import corrections


@pytest.fixture
def client(store: Store, clock: ManualClock) -> Iterator[object]:
    """An analyst's browser, on SQLite and on PostgreSQL (for what the database does: filters, paging, writes)."""
    with desk_client(store, clock) as client:
        login(client, "analyst")
        yield client


@pytest.fixture
def sqlite_client(sqlite_store: Store, clock: ManualClock) -> Iterator[object]:
    """An analyst's browser on SQLite only, for what does not depend on the database."""
    with desk_client(sqlite_store, clock) as client:
        login(client, "analyst")
        yield client


def shown_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-mention="(\d+)"', page)]


def seed_queue(store: Store, clock: ManualClock) -> dict[str, int]:
    """A small queue with one mention per filter worth telling apart."""
    now = clock.now()
    ids = ingest(store, [
        mention("flood", "น้ำท่วมหนักมากกก ช่วยด้วยค่ะ", now - timedelta(days=3), platform=Platform.FACEBOOK),
        mention("road", "ถนนพังเป็นหลุมใหญ่ รถตกไปแล้วสองคัน", now - timedelta(days=2)),
        mention("tax", "สอบถามเรื่องยื่นภาษีออนไลน์ครับ", now - timedelta(days=1), platform=Platform.PANTIP),
        mention("fire", "ไฟไหม้ตึกแถว มีคนติดอยู่ข้างใน", now - timedelta(hours=2), platform=Platform.TELEGRAM),
        mention("new", "50% off_sale ลดราคา", now - timedelta(hours=1)),
    ])
    named = dict(zip(["flood", "road", "tax", "fire", "new"], ids, strict=True))
    classify(store, named["flood"], "complaint", "MOI", urgent=True)
    classify(store, named["road"], "complaint", "MOT")
    classify(store, named["tax"], "inquiry", "MOF")
    classify(store, named["fire"], "complaint", "MOI", urgent=True)
    return named


FILTER_CASES = [
    ("", ["new", "fire", "tax", "road", "flood"]),
    ("label=complaint", ["fire", "road", "flood"]),
    ("label=unclassified", ["new"]),
    ("agency=MOI", ["fire", "flood"]),
    ("label=complaint&agency=MOT", ["road"]),
    ("platform=pantip", ["tax"]),
    ("urgent=yes", ["fire", "flood"]),
    ("urgent=no", ["tax", "road"]),
    ("stage=new", ["new"]),
    ("since=2026-11-22&until=2026-11-23", ["tax", "road"]),  # Bangkok calendar days
    ("q=น้ำท่วม", ["flood"]),  # inside unsegmented Thai
    ("q=ไฟ", ["fire"]),  # two characters: shorter than a trigram
    ("q=ไฟไหม้ ข้างใน", ["fire"]),  # every word must match
    ("q=50%25", ["new"]),  # LIKE's wildcards are taken literally
    ("q=o_f", []),  # would match "off" if _ were a wildcard
    ("q=รถตก&label=complaint", ["road"]),
]


def test_filters_and_thai_search_pick_the_right_mentions(client, store: Store, clock: ManualClock) -> None:
    queue = seed_queue(store, clock)
    # One database set-up for every case: each is a query string and the mentions it must show, newest first.
    found = {query: shown_ids(client.get(f"/mentions?{query}").text) for query, _ in FILTER_CASES}

    assert found == {query: [queue[name] for name in expected] for query, expected in FILTER_CASES}


def test_pages_follow_each_other_without_gaps_or_repeats(client, store: Store, clock: ManualClock) -> None:
    ids = ingest(store, [mention(f"m{n}", f"ข้อความที่ {n}", clock.now() - timedelta(minutes=n)) for n in range(120)])

    first = client.get("/mentions")
    older = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = client.get(older)
    newer = re.search(r'href="([^"]+)" rel="prev"', second.text).group(1).replace("&amp;", "&")

    assert shown_ids(first.text) == sorted(ids, reverse=True)[:50]
    assert shown_ids(second.text) == sorted(ids, reverse=True)[50:100]
    assert shown_ids(client.get(newer).text) == shown_ids(first.text)


def test_a_one_click_relabel_is_stored_as_a_correction_and_audited(client, store: Store,
                                                                   clock: ManualClock) -> None:
    queue = seed_queue(store, clock)
    target = queue["tax"]

    response = post_form(client, "/mentions", f"/mentions/{target}/relabel",
                         {"label": "complaint", "agency": "MOF", "urgent_shown": "1", "urgent": "1",
                          "back": "/mentions?label=inquiry"})

    assert response.status_code == 303 and response.headers["location"] == "/mentions?label=inquiry&saved=1"
    with store.engine.connect() as conn:
        saved = conn.execute(sa.select(corrections.c.label, corrections.c.agency, corrections.c.urgent,
                                       corrections.c.by)).all()
    assert [tuple(row) for row in saved] == [("complaint", "MOF", True, "analyst")]
    page = client.get(f"/mentions/{target}")
    assert "แก้ไขโดยเจ้าหน้าที่" in page.text
    [event] = [e for e in store.audit.recent() if e.action == "mention.relabel"]
    assert event.actor == "analyst" and event.target == f"mention:{target}"
    assert event.detail["before"]["label"] == "inquiry" and event.detail["after"]["label"] == "complaint"


def test_relabelling_a_mention_the_classifier_has_not_reached_keeps_the_classifier_off_it(
        client, store: Store, clock: ManualClock) -> None:
    queue = seed_queue(store, clock)
    post_form(client, "/mentions", f"/mentions/{queue['new']}/relabel", {"label": "other"})

    assert store.mentions.get(queue["new"]).stage is MentionStage.CLASSIFIED
    assert shown_ids(client.get("/mentions?label=other").text) == [queue["new"]]


def test_bulk_relabel_changes_only_what_was_asked(client, store: Store, clock: ManualClock) -> None:
    queue = seed_queue(store, clock)
    chosen = [queue["road"], queue["fire"]]

    post_form(client, "/mentions", "/mentions/bulk",
              {"ids": [str(i) for i in chosen], "label": "other", "agency": "__keep__", "urgent": "keep"})

    road = client.get(f"/mentions/{queue['road']}").text
    assert "MOT" in road and "อื่น ๆ" in road
    assert shown_ids(client.get("/mentions?label=other&urgent=yes").text) == [queue["fire"]]
    relabels = [e for e in store.audit.recent() if e.action == "mention.relabel"]
    assert sorted(int(e.target.split(":")[1]) for e in relabels) == sorted(chosen)
    assert all(e.detail["bulk"] for e in relabels)


def test_a_bulk_relabel_with_nothing_selected_says_so(sqlite_client, sqlite_store: Store,
                                                      clock: ManualClock) -> None:
    seed_queue(sqlite_store, clock)
    response = post_form(sqlite_client, "/mentions", "/mentions/bulk", {"label": "other", "back": "/mentions"})

    assert "ยังไม่ได้เลือกรายการ" in sqlite_client.get(response.headers["location"]).text


def test_invalid_relabel_values_are_refused(sqlite_client, sqlite_store: Store, clock: ManualClock) -> None:
    queue = seed_queue(sqlite_store, clock)
    bad_label = post_form(sqlite_client, "/mentions", f"/mentions/{queue['tax']}/relabel", {"label": "spam"})
    bad_agency = post_form(sqlite_client, "/mentions", f"/mentions/{queue['tax']}/relabel",
                           {"label": "inquiry", "agency": "NASA"})

    assert bad_label.status_code == 400 and bad_agency.status_code == 400
    assert not [e for e in sqlite_store.audit.recent(50) if e.action == "mention.relabel"]


def test_a_mention_shows_its_classification_thread_and_original_link(sqlite_client, sqlite_store: Store,
                                                                     clock: ManualClock) -> None:
    now = clock.now()
    ids = ingest(sqlite_store, [
        mention("root", "ประกาศปิดถนนพรุ่งนี้", now - timedelta(hours=3), thread_id="root", url="https://x.com/a/1"),
        mention("c1", "ปิดกี่โมงครับ", now - timedelta(hours=2), thread_id="root"),
        mention("c2", "ทางเลี่ยงไปทางไหน", now - timedelta(hours=1), thread_id="root",
                url="javascript:alert(1)"),
    ])
    classify(sqlite_store, ids[1], "inquiry", "MOT", confidence=0.91)

    page = sqlite_client.get(f"/mentions/{ids[1]}")
    other = sqlite_client.get(f"/mentions/{ids[2]}")

    assert "ประกาศปิดถนนพรุ่งนี้" in page.text and "ทางเลี่ยงไปทางไหน" in page.text  # the thread
    assert "91.0%" in page.text and "test-model-1" in page.text
    assert 'href="https://example.invalid/c1"' in page.text
    assert "javascript:alert" not in other.text  # a link that is not http(s) is not linked at all
    assert sqlite_client.get("/mentions/999999").status_code == 404


def test_csv_export_follows_the_filter_and_redacts_personal_data(sqlite_client, sqlite_store: Store,
                                                                 clock: ManualClock) -> None:
    ingest(sqlite_store, [
        mention("p1", "โทร 081-234-5678 หรือ somchai@example.com บัตร 1101700230708", clock.now(),
                author="สมชาย ใจดี"),
        mention("p2", "=HYPERLINK(\"http://evil\") ร้องเรียน", clock.now()),
        mention("p3", "เรื่องอื่น", clock.now() - timedelta(days=10)),
    ])

    response = sqlite_client.get("/mentions/export.csv?since=2026-11-20")

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == 2
    text = " ".join(row["text"] for row in rows)
    assert "081-234-5678" not in text and "somchai@example.com" not in text and "1101700230708" not in text
    assert "[เบอร์โทร]" in text and "[อีเมล]" in text and "[เลขบัตรประชาชน]" in text
    assert "สมชาย ใจดี" not in response.text and "author" not in rows[0]
    assert any(row["text"].startswith("'=HYPERLINK") for row in rows)  # never a live formula
    assert sqlite_store.audit.recent(1)[0].action == "mention.export"


def test_json_export_is_valid_json_with_classifications(client, store: Store, clock: ManualClock) -> None:
    queue = seed_queue(store, clock)
    response = client.get("/mentions/export.json?label=complaint")

    data = json.loads(response.text)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert [row["id"] for row in data] == [queue["fire"], queue["road"], queue["flood"]]
    assert {row["label"] for row in data} == {Label.COMPLAINT.value}
    assert data[0]["agency"] == "MOI" and data[0]["urgent"] is True
