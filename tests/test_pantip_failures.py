"""Pantip failures, each made to happen against the sandbox: 429, 5xx, changed pages, timeouts, a killed crawl."""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from config.settings import load_settings
from config.sources_pantip import pantip_sources
from core.clock import ManualClock
from core.domain import Platform
from core.store import Store
from sandbox.pantip import COMMENTS_PATH, PantipSandbox
from sandbox.server import Failure, Request, text_response
from scrapers.listener import Backoff, Listener
from scrapers.pantip.source import PantipSource


@pytest.fixture
def pantip(clock: ManualClock) -> Iterator[PantipSandbox]:
    sandbox = PantipSandbox(clock)
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def source(pantip: PantipSandbox, clock: ManualClock, sqlite_url: str) -> PantipSource:
    [built] = pantip_sources(load_settings(env=pantip.env()), clock, sqlite_url)
    assert isinstance(built, PantipSource)
    return built


def listening(source: PantipSource, store: Store, clock: ManualClock) -> Listener:
    return Listener([source], store.mentions, store.health, clock, Backoff(5, 900), random.Random(5))


def stored_ids(store: Store) -> list[str]:
    return sorted(m.external_id for m in store.mentions.iterate())


def test_failures_are_kept_then_a_429_waits_and_everything_is_read_once_fixed(
    pantip: PantipSandbox, source: PantipSource, sqlite_store: Store, clock: ManualClock
) -> None:
    failing = pantip.add_topic("ไฟฟ้าดับทั้งตำบล", "ดับมาสองวันแล้ว", comments=1)
    slow = pantip.add_topic("เว็บหน่วยงานโหลดช้ามาก", "เปิดไม่ขึ้นเลย", comments=1)
    redesigned = pantip.add_topic("ขยะไม่มีคนเก็บ", "กองสูงมาก", comments=1)
    html_comments = pantip.add_topic("น้ำประปาขุ่น", "สีเหลืองมาก", comments=2)
    fine = pantip.add_topic("ขอบคุณเจ้าหน้าที่", "ช่วยได้เร็วมาก", comments=3)
    pantip.comments_bom = False  # Pantip's byte order mark is not to be relied on either way
    pantip.server_error(rf"/topic/{failing.tid}", status=503)
    pantip.fail(rf"/topic/{slow.tid}", Failure(text_response("late"), times=None, delay_seconds=5))
    changed_page = pantip.redesign(redesigned)
    whole_page = pantip.comments_as_html(html_comments)
    impatient = replace(source, job=replace(source.job, request_timeout=1.0))
    run = listening(impatient, sqlite_store, clock)

    [first] = run.poll_all()

    ids = set(stored_ids(sqlite_store))
    assert {f"topic:{fine.tid}", f"topic:{html_comments.tid}", f"comment:{fine.tid}:3"} <= ids
    assert not ids & {f"topic:{t.tid}" for t in (failing, slow, redesigned)}
    health = sqlite_store.health.get("pantip")
    assert first.error and "ParseError" in health.last_error and "and 3 other failures" in health.last_error
    [saved] = sqlite_store.health.unreadable("pantip")
    assert changed_page in saved["raw_body"] and whole_page in saved["raw_body"]
    assert len(pantip.requests_to(rf"/topic/{failing.tid}")) == len(pantip.requests_to(rf"/topic/{slow.tid}")) == 2
    cursor = sqlite_store.mentions.cursor("pantip")
    assert cursor["listings"].get("tag:ร้องเรียน", 0) == 0  # held back until every topic in it is read
    assert not {str(t.tid) for t in (failing, slow, redesigned)} & set(cursor["topics"])
    assert cursor["topics"][str(html_comments.tid)]["read"] == 0

    pantip.clear_failures()
    pantip.rate_limit(r"/api/forum-service/forum/tag_topic", retry_after=120)
    asked = len(pantip.requests)
    [limited] = run.poll_all(force=True)

    assert "RateLimited" in sqlite_store.health.get("pantip").last_error and limited.error
    assert sqlite_store.health.get("pantip").next_retry_at == clock.now() + timedelta(seconds=120)
    tags_asked = [r.query["tag_name"] for r in pantip.requests[asked:] if r.path.endswith("/tag_topic")]
    assert tags_asked and len(tags_asked) == len(set(tags_asked))  # a 429 is never retried: the listener waits
    assert run.poll_all()[0].skipped

    pantip.clear_failures()
    clock.advance(seconds=121)
    [fixed] = run.poll_all()

    assert fixed.error == ""
    assert len(stored_ids(sqlite_store)) == 5 + 1 + 1 + 1 + 2 + 3
    assert sqlite_store.mentions.cursor("pantip")["listings"]["tag:ร้องเรียน"] == fine.tid
    assert len(pantip.requests_to(rf"/topic/{html_comments.tid}")) == 1  # its type was in the cursor
    assert len(pantip.requests_to(rf"/topic/{fine.tid}")) == 1


def test_a_crawl_that_overruns_is_stopped(source: PantipSource, sqlite_store: Store, clock: ManualClock) -> None:
    hasty = replace(source, timeout_seconds=0)
    [result] = listening(hasty, sqlite_store, clock).poll_all()
    assert "was killed by SIGTERM" in result.error and hasty.pid is None


def test_a_crawl_killed_mid_way_resumes_and_stores_everything_exactly_once(
    pantip: PantipSandbox, source: PantipSource, sqlite_store: Store, clock: ManualClock
) -> None:
    long_thread = pantip.add_topic("รวมปัญหาน้ำท่วมเชียงใหม่", "แจ้งจุดน้ำท่วมในกระทู้นี้", comments=250)
    others = [pantip.add_topic(f"จุดน้ำท่วมที่ {n}", "รถผ่านไม่ได้", comments=5) for n in range(3)]
    expected = 4 + 250 + 3 * 5
    killed: list[int] = []

    def kill_crawler(request: Request) -> None:
        if request.query.get("tid") == str(long_thread.tid) and request.query["param"] == "page2" and not killed:
            assert source.pid is not None
            killed.append(source.pid)
            os.kill(source.pid, signal.SIGKILL)

    pantip.when_requested(COMMENTS_PATH, kill_crawler)
    run = listening(source, sqlite_store, clock)

    [crashed] = run.poll_all()

    assert killed and "SIGKILL" in crashed.error
    partly = sqlite_store.mentions.count()
    assert 0 < partly < expected
    assert sqlite_store.mentions.cursor("pantip")["topics"][str(long_thread.tid)]["read"] == 100

    [resumed] = run.poll_all(force=True)

    assert resumed.error == "" and resumed.stored == expected - partly
    ids = stored_ids(sqlite_store)
    assert len(ids) == len(set(ids)) == expected
    assert {f"comment:{long_thread.tid}:{n}" for n in range(1, 251)} <= set(ids)
    assert {f"topic:{t.tid}" for t in others} <= set(ids)
    pages = [r.query["param"] for r in pantip.requests_to(COMMENTS_PATH) if r.query["tid"] == str(long_thread.tid)]
    assert pages == ["page1", "page2", "page2", "page3"]  # resumed from the cursor, page 1 not read again
    assert sqlite_store.mentions.find(Platform.PANTIP, f"comment:{long_thread.tid}:250") is not None
