"""X listening end to end: tweepy over real HTTP to the X stand-in, through the Listener into the store."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import tweepy

from config.settings import load_settings
from config.sources_twitter import twitter_sources
from core.clock import ManualClock
from core.domain import Platform
from core.store import Store
from sandbox.seed import SeedPost
from sandbox.twitter import X_EPOCH_MS, TwitterSandbox
from scrapers.listener import Backoff, Listener
from scrapers.twitter import TwitterMentions, TwitterSearch, build_client

MENTIONS = r"/2/users/\d+/mentions"
SEARCH = r"/2/tweets/search/recent"


@pytest.fixture
def x(clock: ManualClock) -> Iterator[TwitterSandbox]:
    sandbox = TwitterSandbox(clock)
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def client(x: TwitterSandbox) -> tweepy.Client:
    return build_client(x.url, x.bearer_token, timeout=(2.0, 2.0))


@pytest.fixture
def mentions(x: TwitterSandbox, client: tweepy.Client, clock: ManualClock) -> TwitterMentions:
    return TwitterMentions(client, x.account.user_id, clock, max_results=5)


@pytest.fixture
def search(x: TwitterSandbox, client: tweepy.Client, clock: ManualClock) -> TwitterSearch:
    return TwitterSearch(client, x.query, clock, max_results=10)


def listener(store: Store, clock: ManualClock, *sources: TwitterMentions | TwitterSearch) -> Listener:
    return Listener(list(sources), store.mentions, store.health, clock, Backoff(5, 900), random.Random(7))


def seed(x: TwitterSandbox, clock: ManualClock, count: int, kind: str = "mention", start: int = 0) -> list[str]:
    """`count` complaints, 20 s apart; returns their ids newest first."""
    made = []
    for n in range(start, start + count):
        x.publish(SeedPost("twitter", kind, f"ประชาชน {n}", f"citizen{n}", f"ร้องเรียน ถนนชำรุด จุดที่ {n}"))
        made.append(list(x.tweets)[-1])
        clock.advance(seconds=20)
    return sorted(made, key=int, reverse=True)


def asked(x: TwitterSandbox, path: str) -> list[dict[str, str]]:
    return [r.query for r in x.requests_to(path)]


def stored_ids(store: Store) -> list[str]:
    return sorted((m.external_id for m in store.mentions.iterate()), key=int, reverse=True)


def test_mentions_are_read_across_pages_and_mapped(x: TwitterSandbox, mentions: TwitterMentions,
                                                   sqlite_store: Store, clock: ManualClock) -> None:
    ids = seed(x, clock, 12)

    result = listener(sqlite_store, clock, mentions).poll_all()[0]

    assert (result.stored, result.pages, result.error) == (12, 3, "")
    assert stored_ids(sqlite_store) == ids
    assert sqlite_store.mentions.cursor("twitter.mentions") == {"since_id": ids[0]}
    queries = asked(x, MENTIONS)
    assert [q.get("pagination_token") is None for q in queries] == [True, False, False]
    assert queries[0]["expansions"] == "author_id" and queries[0]["user.fields"] == "username,name"
    assert set(queries[0]["tweet.fields"].split(",")) >= {"created_at", "author_id", "conversation_id",
                                                         "referenced_tweets", "in_reply_to_user_id", "lang"}
    newest = sqlite_store.mentions.find(Platform.TWITTER, ids[0])
    assert newest is not None
    assert (newest.author_handle, newest.author_name) == ("citizen11", "ประชาชน 11")
    assert newest.url == f"https://x.com/citizen11/status/{ids[0]}"
    assert newest.text == "@GCC1111 ร้องเรียน ถนนชำรุด จุดที่ 11" and newest.thread_id == ids[0]
    assert newest.posted_at == datetime(2026, 11, 24, 2, 3, 40, tzinfo=UTC)
    assert newest.raw["author"]["username"] == "citizen11" and newest.raw["id"] == ids[0]


def test_a_second_poll_asks_since_the_newest_and_stores_nothing(x: TwitterSandbox, mentions: TwitterMentions,
                                                                sqlite_store: Store, clock: ManualClock) -> None:
    ids = seed(x, clock, 7)
    run = listener(sqlite_store, clock, mentions)
    run.poll_all()
    before = len(x.requests)

    again = run.poll_all()[0]
    later = seed(x, clock, 1, start=7)
    third = run.poll_all()[0]

    assert (again.stored, again.pages) == (0, 1)
    assert asked(x, MENTIONS)[-2]["since_id"] == ids[0] and len(x.requests) == before + 2
    assert third.stored == 1 and sqlite_store.mentions.cursor("twitter.mentions") == {"since_id": later[0]}
    assert sqlite_store.mentions.count() == 8


def test_replies_keep_their_thread_and_parent(x: TwitterSandbox, mentions: TwitterMentions,
                                              sqlite_store: Store, clock: ManualClock) -> None:
    x.publish(SeedPost("twitter", "mention", "สมชาย", "somchai", "ไฟดับทั้งซอย", replies=("บ้านผมก็ดับครับ",)))
    original, reply = list(x.tweets)

    listener(sqlite_store, clock, mentions).poll_all()

    stored = sqlite_store.mentions.find(Platform.TWITTER, reply)
    assert stored is not None and (stored.thread_id, stored.parent_id) == (original, original)
    assert stored.text == "@somchai @GCC1111 บ้านผมก็ดับครับ"


def test_a_tweet_found_by_mentions_and_search_is_stored_once(x: TwitterSandbox, mentions: TwitterMentions,
                                                             search: TwitterSearch, sqlite_store: Store,
                                                             clock: ManualClock) -> None:
    seed(x, clock, 1)  # "@GCC1111 ร้องเรียน ...": both sources see it

    results = listener(sqlite_store, clock, mentions, search).poll_all()

    assert [(r.source, r.stored, r.pages) for r in results] == [("twitter.mentions", 1, 1), ("twitter.search", 0, 1)]
    assert sqlite_store.mentions.count() == 1
    assert sqlite_store.mentions.cursor("twitter.search") == sqlite_store.mentions.cursor("twitter.mentions")


def test_429_waits_until_x_rate_limit_reset_while_other_sources_carry_on(
        x: TwitterSandbox, mentions: TwitterMentions, search: TwitterSearch, sqlite_store: Store,
        clock: ManualClock) -> None:
    seed(x, clock, 3)
    x.rate_limit(reset_in=600, path=SEARCH)
    reset = datetime.fromtimestamp(int(clock.now().timestamp()) + 600, UTC)
    run = listener(sqlite_store, clock, mentions, search)

    results = run.poll_all()
    health = sqlite_store.health.get("twitter.search")
    skipped = run.poll_all()
    clock.set(reset)
    retried = run.poll_all()

    assert [r.stored for r in results] == [3, 0] and "rate limit" in results[1].error
    assert health.next_retry_at == reset and health.consecutive_failures == 1
    assert [(r.skipped, r.error) for r in skipped] == [(False, ""), (True, "")]  # mentions carried on
    assert len(x.requests_to(SEARCH)) == 2  # one refused, one after the reset: no busy loop
    assert retried[1].error == "" and sqlite_store.health.get("twitter.search").healthy


def test_429_without_reset_header_waits_a_whole_window(x: TwitterSandbox, mentions: TwitterMentions,
                                                       sqlite_store: Store, clock: ManualClock) -> None:
    x.rate_limit(with_header=False)

    result = listener(sqlite_store, clock, mentions).poll_all()[0]

    assert result.error and len(x.requests_to(MENTIONS)) == 1
    assert sqlite_store.health.get("twitter.mentions").next_retry_at == clock.now() + timedelta(minutes=15)


def test_an_exhausted_window_mid_poll_resumes_only_the_unread_gap(x: TwitterSandbox, mentions: TwitterMentions,
                                                                 sqlite_store: Store, clock: ManualClock) -> None:
    ids = seed(x, clock, 14)
    x.set_limit("mentions", 2)
    run = listener(sqlite_store, clock, mentions)

    first = run.poll_all()[0]
    cursor = sqlite_store.mentions.cursor("twitter.mentions")
    retry_at = sqlite_store.health.get("twitter.mentions").next_retry_at
    assert retry_at is not None
    clock.set(retry_at)
    second = run.poll_all()[0]

    assert (first.stored, first.pages) == (10, 2) and first.error
    assert cursor == {"newest_id": ids[0], "until_id": ids[9]}  # since_id must not move past unread tweets
    assert second.stored == 4 and stored_ids(sqlite_store) == ids
    assert asked(x, MENTIONS)[-1]["until_id"] == ids[9]
    assert sqlite_store.mentions.cursor("twitter.mentions") == {"since_id": ids[0]}


@pytest.mark.parametrize("reason", ["revoked", "client-not-enrolled"])
def test_a_revoked_or_unenrolled_token_marks_auth_broken(x: TwitterSandbox, mentions: TwitterMentions,
                                                         sqlite_store: Store, clock: ManualClock, reason: str) -> None:
    x.revoke_token(reason)

    result = listener(sqlite_store, clock, mentions).poll_all()[0]

    health = sqlite_store.health.get("twitter.mentions")
    assert health.auth_broken and not health.healthy
    assert ("401" if reason == "revoked" else "client-not-enrolled") in result.error
    assert x.bearer_token not in health.last_error


def test_a_server_error_backs_off_with_jitter_then_recovers(x: TwitterSandbox, mentions: TwitterMentions,
                                                            sqlite_store: Store, clock: ManualClock) -> None:
    seed(x, clock, 2)
    x.server_error(503)
    run = listener(sqlite_store, clock, mentions)

    failed = run.poll_all()[0]
    health = sqlite_store.health.get("twitter.mentions")
    assert health.next_retry_at is not None
    wait = health.next_retry_at - clock.now()
    skipped = run.poll_all()[0]
    clock.advance(wait.total_seconds())
    recovered = run.poll_all()[0]

    assert "503" in failed.error and health.consecutive_failures == 1 and not health.auth_broken
    assert timedelta(seconds=2.5) <= wait <= timedelta(seconds=5)
    assert skipped.skipped and recovered.stored == 2


def test_a_timeout_is_a_source_error(x: TwitterSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    impatient = TwitterMentions(build_client(x.url, x.bearer_token, timeout=0.2), x.account.user_id, clock)
    x.slow(delay_seconds=2)

    result = listener(sqlite_store, clock, impatient).poll_all()[0]

    assert "timed out" in result.error and sqlite_store.health.get("twitter.mentions").consecutive_failures == 1


def test_an_unreachable_api_is_a_source_error(sqlite_store: Store, clock: ManualClock) -> None:
    gone = TwitterSandbox(clock)
    url = gone.start()
    gone.stop()
    source = TwitterMentions(build_client(url, gone.bearer_token, timeout=1), gone.account.user_id, clock)

    result = listener(sqlite_store, clock, source).poll_all()[0]

    assert "unreachable" in result.error and not sqlite_store.health.get("twitter.mentions").auth_broken


def test_an_errors_only_answer_is_a_source_error_not_unreadable(x: TwitterSandbox, client: tweepy.Client,
                                                               sqlite_store: Store, clock: ManualClock) -> None:
    wrong_user = TwitterMentions(client, "999", clock)

    result = listener(sqlite_store, clock, wrong_user).poll_all()[0]

    assert "Could not find user with id: [999]" in result.error
    assert sqlite_store.health.unreadable("twitter.mentions") == []


def test_a_page_budget_leaves_the_rest_for_the_next_poll(x: TwitterSandbox, client: tweepy.Client,
                                                         sqlite_store: Store, clock: ManualClock) -> None:
    ids = seed(x, clock, 12)
    budgeted = TwitterMentions(client, x.account.user_id, clock, max_results=5, max_pages=2)
    run = listener(sqlite_store, clock, budgeted)

    first = run.poll_all()[0]
    cursor = sqlite_store.mentions.cursor("twitter.mentions")
    second = run.poll_all()[0]

    assert (first.stored, first.pages, first.error) == (10, 2, "")
    assert cursor == {"newest_id": ids[0], "until_id": ids[9]}
    assert (second.stored, second.pages) == (2, 1) and stored_ids(sqlite_store) == ids
    assert sqlite_store.mentions.cursor("twitter.mentions") == {"since_id": ids[0]}


@pytest.mark.parametrize(("kind", "snippet"), [
    ("html", "<!DOCTYPE html>"), ("invalid_json", '"text": "ไฟดับ'), ("not_utf8", '"result_count": 0'),
    ("missing_fields", '"lang": "th"'), ("no_meta", "ไม่มี meta"),
])
def test_a_malformed_body_is_kept_and_the_cursor_stays(x: TwitterSandbox, mentions: TwitterMentions,
                                                       sqlite_store: Store, clock: ManualClock, kind: str,
                                                       snippet: str) -> None:
    ids = seed(x, clock, 3)
    x.malformed(kind)
    run = listener(sqlite_store, clock, mentions)

    failed = run.poll_all(force=True)[0]
    unreadable = sqlite_store.health.unreadable("twitter.mentions")
    cursor = sqlite_store.mentions.cursor("twitter.mentions")
    recovered = run.poll_all(force=True)[0]

    assert failed.error and failed.stored == 0 and cursor == {}
    assert len(unreadable) == 1 and snippet in str(unreadable[0]["raw_body"])
    assert recovered.stored == 3 and stored_ids(sqlite_store) == ids


def test_a_malformed_later_page_keeps_earlier_pages_and_rereads_only_the_rest(
        x: TwitterSandbox, mentions: TwitterMentions, sqlite_store: Store, clock: ManualClock) -> None:
    ids = seed(x, clock, 12)
    x.malformed("html", after_pages=1)
    run = listener(sqlite_store, clock, mentions)

    failed = run.poll_all(force=True)[0]
    cursor = sqlite_store.mentions.cursor("twitter.mentions")
    recovered = run.poll_all(force=True)[0]

    assert (failed.stored, failed.pages) == (5, 1)
    assert cursor == {"newest_id": ids[0], "until_id": ids[4]}
    assert recovered.stored == 7 and stored_ids(sqlite_store) == ids
    assert asked(x, MENTIONS)[-2]["until_id"] == ids[4]
    assert sqlite_store.mentions.cursor("twitter.mentions") == {"since_id": ids[0]}


def test_partial_errors_are_logged_and_the_tweets_still_stored(x: TwitterSandbox, mentions: TwitterMentions,
                                                               sqlite_store: Store, clock: ManualClock,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    ids = seed(x, clock, 2)
    x.suspend_user("citizen1")

    with caplog.at_level(logging.WARNING, logger="gcc1111.twitter"):
        result = listener(sqlite_store, clock, mentions).poll_all()[0]

    suspended = sqlite_store.mentions.find(Platform.TWITTER, ids[0])
    assert result.stored == 2 and result.error == ""
    assert suspended is not None and suspended.author_handle == "" and "/i/web/status/" in suspended.url
    assert "Could not find user" in caplog.text


HOSTILE = [
    "<script>alert('xss')</script> @GCC1111",
    "@GCC1111 '); DROP TABLE mentions; --",
    "@GCC1111 \u202egnp.exe ‮ {{7*7}} ${jndi:ldap://x}",
    "@GCC1111 z\u0351\u0360a\u0489lgo ช่\u0e48\u0e48วยด้วยยยยย 🔥🔥 \u200b\u200d",
    "@GCC1111 line one\r\nline two\ttab \\ \" backslash",
    "@GCC1111 " + "ก" * 270,
]


def test_hostile_text_is_stored_verbatim(x: TwitterSandbox, mentions: TwitterMentions, sqlite_store: Store,
                                         clock: ManualClock) -> None:
    for n, text in enumerate(HOSTILE):
        x.add_tweet(text, f"troll{n}")

    listener(sqlite_store, clock, mentions).poll_all()

    assert sorted(m.text for m in sqlite_store.mentions.iterate()) == sorted(HOSTILE)


def test_a_week_old_search_cursor_is_refused_and_the_window_reread(
        x: TwitterSandbox, search: TwitterSearch, sqlite_store: Store, clock: ManualClock) -> None:
    stale = str((int((clock.now() - timedelta(days=8)).timestamp() * 1000) - X_EPOCH_MS) << 22)
    sqlite_store.mentions.ingest("twitter.search", [], {"since_id": stale})
    ids = seed(x, clock, 3, kind="search")

    result = listener(sqlite_store, clock, search).poll_all()[0]

    assert (result.stored, result.error) == (3, "")
    assert [q.get("since_id") for q in asked(x, SEARCH)] == [stale, None]
    assert sqlite_store.mentions.cursor("twitter.search") == {"since_id": ids[0]}


def test_sources_are_built_from_settings(x: TwitterSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    seed(x, clock, 2)
    env = x.env()

    sources = twitter_sources(load_settings(env), clock)
    only_search = twitter_sources(load_settings({**env, "GCC1111_TWITTER__USER_ID": ""}), clock)
    without_token = twitter_sources(load_settings({**env, "GCC1111_TWITTER__BEARER_TOKEN": ""}), clock)
    results = Listener(sources, sqlite_store.mentions, sqlite_store.health, clock).poll_all()

    assert [s.name for s in sources] == ["twitter.mentions", "twitter.search"]
    assert [s.name for s in only_search] == ["twitter.search"] and without_token == []
    assert [r.stored for r in results] == [2, 0] and sqlite_store.mentions.count() == 2


def test_the_desks_own_replies_are_never_read_back_as_mentions(x: TwitterSandbox, sqlite_store: Store,
                                                               clock: ManualClock) -> None:
    citizen = x.add_tweet("ร้องเรียนไฟถนนดับหน้าบ้านค่ะ", "citizen1")
    x.add_tweet("@citizen1 รับเรื่องแล้ว โทร 1111 ได้ตลอด 24 ชั่วโมง ร้องเรียน", x.account.username,
                in_reply_to=citizen.id)
    sources = twitter_sources(load_settings(env=x.env()), clock)
    results = Listener(sources, sqlite_store.mentions, sqlite_store.health, clock).poll_all()

    assert [r.error for r in results] == ["", ""]
    assert stored_ids(sqlite_store) == [citizen.id]
