"""Every Graph failure the Facebook sources handle, made to happen by the stand-in."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest
from facebook_support import FEED, MESSENGER, SEED, Desk, build_desk, started_sandbox

from core.clock import ManualClock
from core.errors import ParseError
from core.store import Store
from sandbox.facebook import FacebookSandbox
from sandbox.server import Failure, json_response
from scrapers.facebook import GraphClient, PageFeedSource
from scrapers.listener import Backoff, Listener

FEED_PATH = r"/v25\.0/\d+/feed"
COMMENTS = r"/v25\.0/\w+/comments"


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[FacebookSandbox]:
    with started_sandbox(clock) as started:
        yield started


@pytest.fixture
def desk(sandbox: FacebookSandbox, sqlite_store: Store, clock: ManualClock) -> Desk:
    for n in range(3):
        clock.advance(60)
        post = sandbox.visitor_post(f"ร้องเรียนเรื่องที่ {n}", handle=f"c{n}")
        sandbox.comment(post.id, f"เห็นด้วยค่ะ {n}", handle=f"d{n}")
        sandbox.comment(post.id, f"แชร์แล้ว {n}", handle=f"e{n}")
    return build_desk(sandbox, sqlite_store, clock)


EXPECTED = 9  # three visitor posts, two comments each


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001, 80006])
def test_rate_limit_codes_wait_as_long_as_meta_says(desk: Desk, clock: ManualClock, code: int) -> None:
    desk.sandbox.rate_limit(code=code, regain_minutes=7)

    result = desk.poll()

    health = desk.store.health.get(FEED)
    assert result.error.startswith(f"Graph error {code}")
    assert health.next_retry_at == clock.now() + timedelta(minutes=7)
    assert health.consecutive_failures == 1 and not health.auth_broken
    assert desk.store.mentions.count() == 0
    clock.advance(minutes=7)
    assert desk.poll().stored == EXPECTED


def test_rate_limit_without_an_estimate_waits_the_default(desk: Desk, clock: ManualClock) -> None:
    desk.sandbox.rate_limit(code=4, regain_minutes=0)

    desk.poll()

    assert desk.store.health.get(FEED).next_retry_at == clock.now() + timedelta(seconds=900)


def test_high_usage_pauses_before_meta_refuses_keeping_what_was_read(desk: Desk, clock: ManualClock) -> None:
    desk.sandbox.set_usage(96, regain_minutes=3)

    result = desk.poll()

    health = desk.store.health.get(FEED)
    assert "usage near its limit" in result.error
    assert health.next_retry_at == clock.now() + timedelta(minutes=3)
    assert len(desk.sandbox.requests) == 1  # the first answer said 96 %: no second call
    assert desk.store.mentions.count() == 0
    desk.sandbox.set_usage(None)
    clock.advance(minutes=3)
    assert desk.poll().stored == EXPECTED


def test_high_usage_without_an_estimate_cools_down_and_pauses_the_other_source_too(desk: Desk,
                                                                                 clock: ManualClock) -> None:
    desk.sandbox.set_usage(97)
    desk.sandbox.message("สอบถามเรื่องบัตรสวัสดิการค่ะ")

    results = desk.listener.poll_all(force=True)

    assert [r.source for r in results if r.error] == [FEED, MESSENGER]  # one token, one budget
    assert desk.store.health.get(FEED).next_retry_at == clock.now() + timedelta(seconds=300)
    assert desk.store.health.get(MESSENGER).next_retry_at == clock.now() + timedelta(seconds=300)


@pytest.mark.parametrize(("code", "subcode"), [(190, 463), (190, 460), (190, None), (102, None)])
def test_expired_token_marks_auth_broken_and_is_not_retried_busily(desk: Desk, clock: ManualClock, code: int,
                                                                   subcode: int | None) -> None:
    if code == 190 and subcode == 463:
        desk.sandbox.expire_token()
    else:
        desk.sandbox.error(code, "Error validating access token", subcode=subcode, times=None)

    desk.poll()
    mark = desk.mark()
    skipped = desk.listener.poll_all(only=FEED)

    health = desk.store.health.get(FEED)
    assert health.auth_broken and not health.healthy
    assert health.next_retry_at == clock.now() + timedelta(hours=1)
    assert skipped[0].skipped and desk.mark() == mark  # no request until the hourly re-check


def test_wrong_token_is_an_auth_failure(sandbox: FacebookSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    client = GraphClient(sandbox.url + "/", "v25.0", "EAAwrongtoken", clock=clock)
    listener = Listener([PageFeedSource(client, sandbox.page_id, clock)], sqlite_store.mentions,
                        sqlite_store.health, clock)

    result = listener.poll_all(force=True)[0]

    assert "190" in result.error and sqlite_store.health.get(FEED).auth_broken


def test_missing_permission_needs_staff_not_retries(desk: Desk) -> None:
    desk.sandbox.error(10, "(#10) Requires pages_read_engagement permission", times=None)

    result = desk.poll()

    assert "permission missing" in result.error and desk.store.health.get(FEED).auth_broken


@pytest.mark.parametrize(("code", "status"), [(1, 500), (2, 500), (1, 503)])
def test_transient_graph_errors_back_off_exponentially_then_recover(desk: Desk, clock: ManualClock, code: int,
                                                                   status: int) -> None:
    desk.sandbox.server_error(code=code, status=status, times=2)
    rng = random.Random(SEED)
    first_delay, second_delay = Backoff().delay(1, rng), Backoff().delay(2, rng)

    desk.poll()
    first = desk.store.health.get(FEED)
    clock.advance(first_delay)
    desk.poll()
    second = desk.store.health.get(FEED)

    assert first.next_retry_at == first.last_error_at + timedelta(seconds=first_delay)  # type: ignore[operator]
    assert second.next_retry_at == clock.now() + timedelta(seconds=second_delay)
    assert second.consecutive_failures == 2 and not second.auth_broken
    assert 2.5 <= first_delay <= 5 and 5 <= second_delay <= 10  # capped exponential, full jitter above half
    clock.advance(second_delay)
    assert desk.listener.poll_all(only=FEED)[0].stored == EXPECTED
    assert desk.store.health.get(FEED).healthy


def test_html_bad_gateway_is_a_server_error_not_an_unreadable_payload(desk: Desk) -> None:
    desk.sandbox.server_error(html=True)

    result = desk.poll()

    assert "HTTP 502" in result.error
    assert desk.store.health.unreadable(FEED) == []


def test_timeout_is_a_source_error(sandbox: FacebookSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    desk = build_desk(sandbox, sqlite_store, clock, timeout=0.2)
    sandbox.fail(FEED_PATH, Failure(json_response({"data": []}), delay_seconds=0.6))

    result = desk.poll()

    assert "timed out" in result.error and desk.store.health.get(FEED).consecutive_failures == 1


def test_unreachable_graph_keeps_the_token_out_of_health(sqlite_store: Store, clock: ManualClock) -> None:
    with started_sandbox(clock) as gone:
        url, page, token = gone.url, gone.page_id, gone.access_token
    client = GraphClient(url + "/", "v25.0", token, clock=clock, timeout=1)
    listener = Listener([PageFeedSource(client, page, clock)], sqlite_store.mentions, sqlite_store.health, clock)

    result = listener.poll_all(force=True)[0]

    health = sqlite_store.health.get(FEED)
    assert "unreachable" in result.error and health.consecutive_failures == 1
    assert token not in health.last_error and token not in result.error


@pytest.mark.parametrize(("kind", "evidence"), [
    ("html", "<!DOCTYPE html>"),
    ("missing_fields", "ข้อความที่ไม่มี id"),
    ("no_content_type", '{"data": []}'),
    ("truncated", '{"data": [{"id": "1'),
])
def test_unreadable_feed_is_saved_and_the_cursor_stays(desk: Desk, clock: ManualClock, kind: str,
                                                       evidence: str) -> None:
    desk.sandbox.malformed(kind, path=FEED_PATH)

    result = desk.poll()

    saved = desk.store.health.unreadable(FEED)
    assert result.error and len(saved) == 1 and evidence in str(saved[0]["raw_body"])
    assert desk.sandbox.access_token not in str(saved[0]["raw_body"])
    assert desk.store.mentions.cursor(FEED) == {} and desk.store.mentions.count() == 0
    clock.advance(hours=1)
    assert desk.poll().stored == EXPECTED


def test_unreadable_comments_mid_poll_keep_earlier_threads_and_never_skip_the_bad_one(desk: Desk,
                                                                                     clock: ManualClock) -> None:
    newer, _, oldest = desk.sandbox.state.feed()[:3]  # the three visitor posts, newest first
    desk.sandbox.malformed("missing_fields", path=rf"/v25\.0/{oldest.id}/comments", times=2)

    first = desk.poll()
    cursor = desk.store.mentions.cursor(FEED)

    assert first.error and desk.store.mentions.count() == 6
    assert newer.id in cursor["done"] and oldest.id not in cursor["done"]
    second = desk.poll()
    assert second.error and desk.store.mentions.count() == 6  # still broken: still not skipped
    third = desk.poll()
    assert third.error == "" and desk.store.mentions.count() == EXPECTED


def test_a_changed_item_in_an_otherwise_good_page_is_unreadable(desk: Desk) -> None:
    desk.sandbox.fail(COMMENTS, Failure(json_response({"data": [{"id": "1_2", "message": "no time"}]})))

    result = desk.poll()

    [saved] = desk.store.health.unreadable(FEED)
    assert "created_time" in result.error and "no time" in str(saved["raw_body"])


def test_a_refused_saved_cursor_restarts_the_sweep(desk: Desk, clock: ManualClock) -> None:
    stale = {"complete_upto": None, "done": {}, "sweep": {"started": clock.now().isoformat(), "after": "bm90LW91cnM"}}
    desk.store.mentions.ingest(FEED, [], stale)

    result = desk.poll()

    assert result.error == "" and result.stored == EXPECTED
    assert [r.query.get("after") for r in desk.sandbox.requests_to(FEED_PATH)][:2] == ["bm90LW91cnM", None]


def test_one_failing_source_never_stops_the_others(desk: Desk) -> None:
    desk.sandbox.server_error(path=FEED_PATH, times=None)
    desk.sandbox.message("ขอเบอร์ติดต่อสำนักงานเขตค่ะ")

    results = {r.source: r for r in desk.listener.poll_all(force=True)}

    assert results[FEED].error and results[MESSENGER].stored == 1
    assert desk.store.health.get(MESSENGER).healthy and not desk.store.health.get(FEED).healthy


def test_a_next_link_without_cursors_still_pages_but_one_without_any_cursor_is_unreadable(desk: Desk) -> None:
    page = desk.sandbox.page_id
    link = f"https://graph.facebook.com/v25.0/{page}/feed?access_token=x&limit=2&after=QVFIabc"
    desk.sandbox.fail(FEED_PATH, Failure(json_response({"data": [], "paging": {"next": link}})))
    desk.sandbox.fail(FEED_PATH, Failure(json_response({"data": [], "paging": {"next": link[:-13]}})))

    assert desk.client.page(f"{page}/feed").after == "QVFIabc"
    with pytest.raises(ParseError, match="without an after cursor"):
        desk.client.page(f"{page}/feed")
