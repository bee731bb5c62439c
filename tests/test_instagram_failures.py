"""Instagram failures: each one made to happen against the sandbox, and the recovery after it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import instaloader
import pytest

from config.settings import load_settings
from config.sources_instagram import instagram_sources
from core.clock import ManualClock
from core.domain import Platform
from core.errors import RateLimited
from core.store import Store
from sandbox.instagram import (
    COMMENTS_PATH,
    PROFILE_QUERY_PATH,
    TAG_INFO_PATH,
    TIMELINE_PATH,
    InstagramSandbox,
)
from scrapers.instagram.context import FailFastRateController
from scrapers.listener import Backoff, Listener


@pytest.fixture
def instagram(clock: ManualClock) -> Iterator[InstagramSandbox]:
    sandbox = InstagramSandbox(clock)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def listening(sandbox: InstagramSandbox, store: Store, clock: ManualClock, **env: str) -> Listener:
    sources = instagram_sources(load_settings(env={**sandbox.env(), **env}), clock)
    return Listener(sources, store.mentions, store.health, clock, Backoff(5, 900), random.Random(3))


def test_429_fails_fast_into_the_listeners_backoff(
    instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock
) -> None:
    instagram.add_comment("สอบถามค่ะ", "asker")
    instagram.rate_limit(COMMENTS_PATH, times=None)
    run = listening(instagram, sqlite_store, clock)

    result = run.poll_all(only="instagram.profile")

    health = sqlite_store.health.get("instagram.profile")
    assert "RateLimited" in health.last_error and result[0].stored == 0
    # instaloader would sleep here for its whole window; it asked once, then handed the wait to us.
    assert len(instagram.requests_to(COMMENTS_PATH)) == 1
    assert health.next_retry_at is not None and health.next_retry_at - clock.now() >= timedelta(minutes=10)
    assert run.poll_all(only="instagram.profile")[0].skipped  # still backing off

    instagram.clear_failures()
    clock.advance(hours=1)
    assert run.poll_all(only="instagram.profile")[0].stored == 1
    assert sqlite_store.health.get("instagram.profile").healthy


def test_a_dead_session_is_auth_expired_until_staff_renew_the_file(
    instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock
) -> None:
    instagram.add_comment("ติดต่อเจ้าหน้าที่ยังไงคะ", "wanna")
    instagram.add_hashtag_post("ไฟไหม้ตลาด #แจ้งเหตุ", "witness")
    run = listening(instagram, sqlite_store, clock)
    instagram.expire_session()

    results = run.poll_all()

    assert [r.stored for r in results] == [0, 0]
    for name in ("instagram.profile", "instagram.hashtag"):
        health = sqlite_store.health.get(name)
        assert health.auth_broken, health.last_error
    # The web API sends a dead session to the login page; the iPhone API answers login_required.
    assert instagram.requests_to(PROFILE_QUERY_PATH) and instagram.requests_to(TAG_INFO_PATH)

    instagram.renew_session()  # staff ran `instaloader -l` again: the new file is picked up without a restart
    results = run.poll_all(force=True)
    assert [r.stored for r in results] == [1, 1]
    assert not sqlite_store.health.get("instagram.profile").auth_broken


def test_a_missing_session_file_is_auth_expired(
    instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    run = listening(instagram, sqlite_store, clock, GCC1111_INSTAGRAM__SESSION_FILE=str(tmp_path / "nope"))
    run.poll_all()
    health = sqlite_store.health.get("instagram.profile")
    assert health.auth_broken and "instaloader -l gcc1111_desk" in health.last_error
    assert instagram.requests == []


def test_a_garbled_session_file_is_auth_expired(
    instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    garbled = tmp_path / "session-gcc1111_desk"
    garbled.write_bytes(b"not a pickle")
    run = listening(instagram, sqlite_store, clock, GCC1111_INSTAGRAM__SESSION_FILE=str(garbled))
    run.poll_all(only="instagram.hashtag")
    assert sqlite_store.health.get("instagram.hashtag").auth_broken


def test_checkpoint_required_is_auth_expired(
    instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock
) -> None:
    instagram.checkpoint(TIMELINE_PATH)
    listening(instagram, sqlite_store, clock).poll_all(only="instagram.profile")
    health = sqlite_store.health.get("instagram.profile")
    assert health.auth_broken and "checkpoint_required" in health.last_error


def test_server_errors_back_off_without_touching_the_cursor_and_recover(
    instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock
) -> None:
    instagram.add_hashtag_post("ท่อแตกน้ำพุ่ง #แจ้งเหตุ", "first")
    run = listening(instagram, sqlite_store, clock)
    run.poll_all(only="instagram.hashtag")
    cursor = sqlite_store.mentions.cursor("instagram.hashtag")
    instagram.add_hashtag_post("ถนนยุบ #แจ้งเหตุ", "second")
    instagram.server_error(TAG_INFO_PATH, status=503)

    failed = run.poll_all(only="instagram.hashtag", force=True)

    health = sqlite_store.health.get("instagram.hashtag")
    assert failed[0].stored == 0 and health.consecutive_failures == 1 and not health.auth_broken
    assert "SourceError" in health.last_error and "503" in health.last_error
    assert sqlite_store.mentions.cursor("instagram.hashtag") == cursor

    instagram.clear_failures()
    assert run.poll_all(only="instagram.hashtag", force=True)[0].stored == 1


def test_a_malformed_comment_page_is_saved_skipped_and_read_after_the_fix(
    instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock
) -> None:
    broken_post, fine_post = instagram.posts[0], instagram.posts[1]
    instagram.add_comment("ความเห็นที่อ่านไม่ได้ชั่วคราว", "later", on=broken_post)
    instagram.add_comment("ความเห็นที่อ่านได้", "now", on=fine_post)
    body = '{"comments": [{"pk": 1, "text": "no user, no created_at"}], "status": "ok"}'
    instagram.answer(rf"/i/api/v1/media/{broken_post.pk}/comments/", body)
    run = listening(instagram, sqlite_store, clock)

    result = run.poll_all(only="instagram.profile")

    assert result[0].stored == 1  # the other post's comment: one bad payload does not stop the source
    saved = sqlite_store.health.unreadable("instagram.profile")
    assert saved and saved[0]["raw_body"] == body and "ParseError" in sqlite_store.health.get(
        "instagram.profile").last_error
    posts_read = sqlite_store.mentions.cursor("instagram.profile")["posts"]
    assert broken_post.code not in posts_read and posts_read[fine_post.code] == 1

    instagram.clear_failures()
    assert run.poll_all(only="instagram.profile", force=True)[0].stored == 1
    assert sqlite_store.mentions.find(Platform.INSTAGRAM, str(broken_post.comments[0].pk)) is not None


def test_html_where_json_was_expected_is_a_parse_error_with_the_page_kept(
    instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock
) -> None:
    page = "<!DOCTYPE html><html><body>Instagram ได้เปลี่ยนหน้าตา</body></html>"
    # instaloader retries an undecodable answer once before giving up on it.
    instagram.answer(TAG_INFO_PATH, page, content_type="text/html; charset=utf-8", times=2)
    listening(instagram, sqlite_store, clock).poll_all(only="instagram.hashtag")
    saved = sqlite_store.health.unreadable("instagram.hashtag")
    assert saved and saved[0]["raw_body"] == page
    assert sqlite_store.mentions.cursor("instagram.hashtag") == {"newest": {"น้ำท่วมเชียงใหม่": 0}}


def test_one_failing_source_never_stops_the_other(
    instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock
) -> None:
    instagram.add_comment("ขอบคุณที่ช่วยประสานค่ะ", "thanks")
    instagram.add_hashtag_post("ไฟจราจรเสีย #แจ้งเหตุ", "driver")
    instagram.server_error(TAG_INFO_PATH, status=500)
    results = listening(instagram, sqlite_store, clock).poll_all()
    assert [(r.source, r.stored, bool(r.error)) for r in results] == [
        ("instagram.profile", 1, False),
        ("instagram.hashtag", 0, True),
    ]


def test_our_request_budget_is_counted_on_the_injected_clock(clock: ManualClock) -> None:
    controller = FailFastRateController(instaloader.InstaloaderContext(sleep=False, quiet=True), clock)
    for _ in range(199):  # instaloader's iPhone budget: 199 requests per 30 minutes
        controller.wait_before_query("iphone")
    with pytest.raises(RateLimited) as limited:
        controller.wait_before_query("iphone")
    assert 1800 <= limited.value.retry_after <= 1800 + 18

    clock.advance(seconds=limited.value.retry_after)
    controller.wait_before_query("iphone")  # the window has moved on: no exception
