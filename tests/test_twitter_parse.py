"""The X timeline parser: real recorded answers, malformed bodies, and properties over generated tweets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.domain import Platform
from core.errors import ParseError, SourceError
from scrapers.twitter import parse_timeline
from scrapers.twitter.parse import snowflake_time

HERE = Path(__file__).resolve().parent
LOCAL = HERE / "data" / "x"
SHARED = HERE.parent.parent / "shared" / "recorded" / "x"  # ../shared beside the project root
RECORDED = ["get_users_mentions.json", "search_recent_tweets.json"]


def recorded(folder: Path, name: str) -> tuple[str, str, dict[str, Any]]:
    """(body text, content type, decoded body) of the first answer in a recorded exchange file."""
    response = json.loads((folder / name).read_text(encoding="utf-8"))[0]["response"]
    return json.dumps(response["body"], ensure_ascii=False), response["headers"]["content-type"], response["body"]


def folders() -> list[Any]:
    shared = pytest.param(
        SHARED, id="shared",
        marks=pytest.mark.skipif(not SHARED.is_dir(), reason=f"../shared/recorded/x not present ({SHARED})"),
    )
    return [pytest.param(LOCAL, id="tests-data"), shared]


@pytest.mark.parametrize("folder", folders())
@pytest.mark.parametrize("name", RECORDED)
def test_recorded_x_pages_parse_into_mentions(folder: Path, name: str) -> None:
    text, content_type, body = recorded(folder, name)

    timeline = parse_timeline(text, "twitter.test", content_type)

    tweets = body["data"]
    assert [m.external_id for m in timeline.mentions] == [t["id"] for t in tweets]
    assert [m.text for m in timeline.mentions] == [t["text"] for t in tweets]
    assert timeline.next_token == body["meta"]["next_token"]
    first = timeline.mentions[0]
    assert first.platform is Platform.TWITTER and first.source == "twitter.test"
    assert first.thread_id == first.external_id and first.parent_id == ""
    # No author expansion was requested in the recording: no handle, and X's handle-free status link.
    assert first.author_handle == "" and first.url == f"https://x.com/i/web/status/{first.external_id}"
    assert first.raw == tweets[0]
    assert all(m.posted_at.tzinfo is not None for m in timeline.mentions)
    assert [m.posted_at for m in timeline.mentions] == sorted((m.posted_at for m in timeline.mentions), reverse=True)


def test_recorded_search_time_comes_from_the_snowflake_id() -> None:
    # tweepy's test bot tweeted its own clock: the id's embedded time agrees with the text to the second.
    text, content_type, _ = recorded(LOCAL, "search_recent_tweets.json")
    for mention in parse_timeline(text, "twitter.search", content_type).mentions:
        written = datetime.fromisoformat(mention.text.removesuffix(" tweepy")).replace(tzinfo=UTC)
        assert abs(mention.posted_at - written) < timedelta(seconds=1)


def test_an_empty_page_has_no_data_key_and_no_mentions() -> None:
    timeline = parse_timeline('{"meta":{"result_count":0}}', "twitter.search")
    assert (timeline.mentions, timeline.next_token) == ([], None)


def test_expanded_author_reply_and_created_at_are_mapped() -> None:
    body = {
        "data": [{
            "author_id": "42", "conversation_id": "100", "created_at": "2026-11-24T02:00:00.250Z",
            "edit_history_tweet_ids": ["101"], "id": "101", "lang": "th",
            "referenced_tweets": [{"type": "quoted", "id": "7"}, {"type": "replied_to", "id": "100"}],
            "text": "@GCC1111 น้ำท่วมซอยวัดเทพ #ร้องเรียน1111",
        }],
        "includes": {"users": [{"id": "42", "name": "สมหญิง ใจดี", "username": "somying"}]},
        "meta": {"newest_id": "101", "oldest_id": "101", "result_count": 1},
    }

    mention = parse_timeline(json.dumps(body), "twitter.mentions").mentions[0]

    assert (mention.author_handle, mention.author_name) == ("somying", "สมหญิง ใจดี")
    assert (mention.thread_id, mention.parent_id) == ("100", "100")
    assert mention.url == "https://x.com/somying/status/101"
    assert mention.posted_at == datetime(2026, 11, 24, 2, 0, 0, 250000, tzinfo=UTC)
    assert mention.raw["author"] == {"id": "42", "name": "สมหญิง ใจดี", "username": "somying"}


MALFORMED = {
    "html": ("<!DOCTYPE html><html><body>Over capacity</body></html>", "text/html; charset=utf-8"),
    "html served as json": ("<html>oops</html>", "application/json"),
    "truncated json": ('{"data": [{"id": "1", "text": "ไ', "application/json"),
    "not an object": ("[1, 2, 3]", "application/json"),
    "no meta": ('{"data": [{"id": "1", "text": "x"}]}', "application/json"),
    "tweet without id": ('{"data": [{"text": "x"}], "meta": {"result_count": 1}}', "application/json"),
    "numeric id": ('{"data": [{"id": 1, "text": "x"}], "meta": {"result_count": 1}}', "application/json"),
    "tweet without text": ('{"data": [{"id": "1"}], "meta": {"result_count": 1}}', "application/json"),
    "data not a list": ('{"data": {"id": "1"}, "meta": {"result_count": 1}}', "application/json"),
    "bad created_at": ('{"data": [{"id": "1", "text": "x", "created_at": "yesterday"}], "meta": {"result_count": 1}}',
                       "application/json"),
    "NaN": ('{"data": [], "meta": {"result_count": NaN}}', "application/json"),
    "empty next_token": ('{"meta": {"result_count": 0, "next_token": ""}}', "application/json"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_bodies_raise_parse_error_with_the_raw_body(case: str) -> None:
    body, content_type = MALFORMED[case]
    with pytest.raises(ParseError) as caught:
        parse_timeline(body, "twitter.search", content_type)
    assert caught.value.raw_body == body


# --- properties --------------------------------------------------------------------------------------

ids = st.integers(min_value=1, max_value=2**63 - 1).map(str)
moments = st.datetimes(min_value=datetime(2010, 11, 5), max_value=datetime(2099, 12, 31), timezones=st.just(UTC))
handles = st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True)


@st.composite
def tweets(draw: st.DrawFn) -> dict[str, Any]:
    moment = draw(moments).replace(microsecond=draw(st.integers(0, 999)) * 1000)
    tweet: dict[str, Any] = {
        "id": draw(ids), "text": draw(st.text()), "author_id": draw(ids), "edit_history_tweet_ids": [],
        "created_at": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if draw(st.booleans()):
        tweet["conversation_id"] = draw(ids)
        tweet["referenced_tweets"] = [{"type": "replied_to", "id": tweet["conversation_id"]}]
    return tweet


@settings(max_examples=150, deadline=None)
@given(st.lists(tweets(), max_size=8, unique_by=lambda t: t["id"]), handles, st.text(max_size=50))
def test_parser_keeps_every_tweet_verbatim(batch: list[dict[str, Any]], handle: str, name: str) -> None:
    users = [{"id": t["author_id"], "username": handle, "name": name} for t in batch]
    body = {"data": batch, "includes": {"users": users}, "meta": {"result_count": len(batch)}} if batch else {
        "meta": {"result_count": 0}}

    mentions = parse_timeline(json.dumps(body), "twitter.search").mentions

    assert [m.external_id for m in mentions] == [t["id"] for t in batch]
    for mention, tweet in zip(mentions, batch, strict=True):
        assert mention.text == tweet["text"]  # hostile or not, never altered
        assert mention.author_handle == handle and mention.author_name == name
        assert mention.url == f"https://x.com/{handle}/status/{tweet['id']}"
        assert mention.posted_at.tzinfo is not None
        assert mention.posted_at.isoformat(timespec="milliseconds").replace("+00:00", "Z") == tweet["created_at"]
        assert mention.thread_id == tweet.get("conversation_id", tweet["id"])
        assert mention.parent_id == tweet.get("conversation_id", "")
        assert json.loads(json.dumps(mention.raw))["text"] == tweet["text"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["data", "meta", "includes", "users", "errors", "id", "text", "result_count",
                         "next_token", "created_at", "author_id", "referenced_tweets", "username"]) | st.text(),
        inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values.map(json.dumps), st.text()))
@example('{"errors": [{"detail": "Could not find user with id: [9]."}]}')
def test_any_body_parses_or_raises_only_our_errors(body: str) -> None:
    try:
        timeline = parse_timeline(body, "twitter.search")
    except ParseError as exc:
        assert exc.raw_body == body
    except SourceError as exc:  # a well-formed errors-only answer
        assert "errors only" in str(exc)
    else:
        assert all(m.external_id.isdigit() for m in timeline.mentions)


@given(ids)
def test_snowflake_time_is_aware_utc(tweet_id: str) -> None:
    moment = snowflake_time(tweet_id)
    assert moment.tzinfo is UTC and moment.year >= 2010
