"""The X stand-in answers like the recorded X API v2: shapes, headers, paging, auth, limits, failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import tweepy

from config.settings import load_settings
from core.clock import ManualClock
from sandbox.seed import SeedPost
from sandbox.twitter import TwitterSandbox
from sandbox.twitter_query import Candidate, QueryError, compile_query
from scrapers.twitter import build_client

RECORDED = Path(__file__).resolve().parent / "data" / "x"
MENTIONS = "/2/users/1460000000000001111/mentions"
SEARCH = "/2/tweets/search/recent"


@pytest.fixture
def x(clock: ManualClock) -> Iterator[TwitterSandbox]:
    sandbox = TwitterSandbox(clock)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def get(x: TwitterSandbox, path: str, token: str | None = None, **params: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or x.bearer_token}"}
    return requests.get(x.url + path, params=params, headers=headers, timeout=5)


def seed(x: TwitterSandbox, clock: ManualClock, count: int, kind: str = "mention") -> list[str]:
    for n in range(count):
        x.publish(SeedPost("twitter", kind, "ประชาชน", f"citizen{n}", f"ร้องเรียน ถนนชำรุด จุดที่ {n}"))
        clock.advance(seconds=20)
    return list(x.tweets)


def recorded(name: str) -> dict[str, Any]:
    response: dict[str, Any] = json.loads((RECORDED / name).read_text(encoding="utf-8"))[0]["response"]
    return response


@pytest.mark.parametrize(("name", "path", "params"), [
    ("get_users_mentions.json", MENTIONS, {}),
    ("search_recent_tweets.json", SEARCH, {"query": "ร้องเรียน"}),
])
def test_list_answers_have_the_recorded_shape(x: TwitterSandbox, clock: ManualClock, name: str, path: str,
                                              params: dict[str, str]) -> None:
    seed(x, clock, 12)
    real = recorded(name)

    answer = get(x, path, **params)

    body = answer.json()
    assert answer.status_code == real["status"] == 200
    assert answer.headers["content-type"] == real["headers"]["content-type"]
    assert set(real["headers"]) <= {k.lower() for k in answer.headers}
    assert set(body) == set(real["body"])
    assert set(body["data"][0]) == set(real["body"]["data"][0])
    assert set(body["meta"]) == set(real["body"]["meta"])
    assert all(t["edit_history_tweet_ids"] == [t["id"]] and isinstance(t["id"], str) for t in body["data"])
    assert body["meta"]["result_count"] == len(body["data"]) == 10
    assert (body["meta"]["newest_id"], body["meta"]["oldest_id"]) == (body["data"][0]["id"], body["data"][-1]["id"])


def test_an_empty_page_has_only_meta(x: TwitterSandbox) -> None:
    assert get(x, SEARCH, query="ไม่มีใครพูดถึง").json() == {"meta": {"result_count": 0}}


def test_fields_expansions_and_ids_follow_the_clock(x: TwitterSandbox, clock: ManualClock) -> None:
    x.publish(SeedPost("twitter", "mention", "สมชาย ใจดี", "somchai", "ไฟดับทั้งซอย", replies=("ที่บ้านก็ดับค่ะ",)))

    body = get(x, MENTIONS, **{"tweet.fields": "created_at,author_id,conversation_id,referenced_tweets,"
                                               "in_reply_to_user_id,lang",
                               "expansions": "author_id", "user.fields": "username,name"}).json()

    reply, original = body["data"]
    assert original["text"] == "@GCC1111 ไฟดับทั้งซอย" and original["created_at"] == "2026-11-24T02:00:00.000Z"
    assert reply["referenced_tweets"] == [{"type": "replied_to", "id": original["id"]}]
    assert reply["conversation_id"] == original["id"] and reply["in_reply_to_user_id"] == original["author_id"]
    assert int(reply["id"]) > int(original["id"])
    assert {"id": original["author_id"], "name": "สมชาย ใจดี", "username": "somchai"} in body["includes"]["users"]
    created = datetime.fromtimestamp(((int(original["id"]) >> 22) + 1288834974657) / 1000, UTC)
    assert created == clock.now()


def test_pages_follow_tokens_and_since_until_ids(x: TwitterSandbox, clock: ManualClock) -> None:
    ids = seed(x, clock, 12)
    newest_first = sorted(ids, key=int, reverse=True)

    first = get(x, MENTIONS, max_results=5).json()
    second = get(x, MENTIONS, max_results=5, pagination_token=first["meta"]["next_token"]).json()
    third = get(x, MENTIONS, max_results=5, pagination_token=second["meta"]["next_token"]).json()
    newer = get(x, MENTIONS, since_id=newest_first[3]).json()
    between = get(x, MENTIONS, since_id=newest_first[6], until_id=newest_first[2]).json()

    assert [t["id"] for page in (first, second, third) for t in page["data"]] == newest_first
    assert "next_token" not in third["meta"]
    assert [t["id"] for t in newer["data"]] == newest_first[:3]
    assert [t["id"] for t in between["data"]] == newest_first[3:6]


@pytest.mark.parametrize(("path", "params", "parameter"), [
    (MENTIONS, {"max_results": "3"}, "max_results"),
    (SEARCH, {"query": "ร้องเรียน", "max_results": "5"}, "max_results"),
    (SEARCH, {"query": "ร้องเรียน", "tweet.fields": "colour"}, "tweet.fields"),
    (SEARCH, {"query": "(ร้องเรียน"}, "query"),
    (MENTIONS, {"pagination_token": "not a token!"}, "pagination_token"),
])
def test_invalid_parameters_get_the_v2_invalid_request_body(x: TwitterSandbox, path: str, params: dict[str, str],
                                                           parameter: str) -> None:
    answer = get(x, path, **params)
    body = answer.json()
    assert answer.status_code == 400 and body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert parameter in body["errors"][0]["parameters"]


def test_search_reaches_back_seven_days_and_refuses_an_older_since_id(x: TwitterSandbox, clock: ManualClock) -> None:
    old = seed(x, clock, 1, kind="search")[0]
    clock.advance(days=8)
    fresh = seed(x, clock, 1, kind="search")[-1]

    assert [t["id"] for t in get(x, SEARCH, query="ร้องเรียน").json()["data"]] == [fresh]
    refused = get(x, SEARCH, query="ร้องเรียน", since_id=old)
    assert refused.status_code == 400 and "since_id" in refused.json()["errors"][0]["parameters"]


@pytest.mark.parametrize(("query", "text", "matches"), [
    ("ร้องเรียน OR แจ้งเหตุ", "ขอแจ้งเหตุไฟไหม้", True),
    ("ร้องเรียน แจ้งเหตุ", "ขอแจ้งเหตุไฟไหม้", False),
    ("#ร้องเรียน1111", "น้ำไม่ไหล #ร้องเรียน1111 ค่ะ", True),
    ("#ร้องเรียน1111", "น้ำไม่ไหล #ร้องเรียน11112", False),
    ("(ร้องเรียน OR แจ้งเหตุ) -is:retweet", "ร้องเรียนเรื่องขยะ", True),
    ("ร้องเรียน -ขยะ", "ร้องเรียนเรื่องขยะ", False),
    ('"ถนน ชำรุด"', "ถนน ชำรุด หน้าบ้าน", True),
    ("tweepy", "Tweepy rocks", True),
    ("tweepy", "tweepyx", False),
    ("from:somchai ไฟดับ", "ไฟดับ", True),
    ("lang:en ไฟดับ", "ไฟดับ", False),
])
def test_query_matching(query: str, text: str, matches: bool) -> None:
    assert compile_query(query)(Candidate(text, "somchai", "th", is_reply=False)) is matches


@pytest.mark.parametrize("query", ["", "ร้องเรียน OR", "(ร้องเรียน", "is:quote", "x" * 513])
def test_bad_queries_are_refused(query: str) -> None:
    with pytest.raises(QueryError):
        compile_query(query)


def test_a_wrong_bearer_token_gets_401_with_the_problem_body(x: TwitterSandbox) -> None:
    answer = get(x, MENTIONS, token="wrong")
    assert answer.status_code == 401
    assert answer.json() == {"title": "Unauthorized", "detail": "Unauthorized", "type": "about:blank", "status": 401}


def test_user_context_endpoints_post_reply_refuse_duplicates_and_delete(x: TwitterSandbox) -> None:
    x.publish(SeedPost("twitter", "mention", "ประชาชน", "citizen", "ขอเบอร์ศูนย์ดำรงธรรม"))
    question = next(iter(x.tweets))
    keys = x.env()
    user = build_client(x.url, x.bearer_token, consumer_key=keys["GCC1111_TWITTER__CONSUMER_KEY"],
                        consumer_secret=keys["GCC1111_TWITTER__CONSUMER_SECRET"],
                        access_token=keys["GCC1111_TWITTER__ACCESS_TOKEN"],
                        access_token_secret=keys["GCC1111_TWITTER__ACCESS_TOKEN_SECRET"])

    me = user.get_me(user_auth=True).json()
    created = user.create_tweet(text="โทร 1111 ได้ตลอด 24 ชั่วโมงค่ะ", in_reply_to_tweet_id=question)
    with pytest.raises(tweepy.Forbidden, match="duplicate content"):
        user.create_tweet(text="โทร 1111 ได้ตลอด 24 ชั่วโมงค่ะ")
    with pytest.raises(tweepy.Forbidden, match="Application-Only is forbidden"):
        user.get_me(user_auth=False)
    reply_id = created.json()["data"]["id"]
    deleted = user.delete_tweet(reply_id).json()

    assert me["data"]["username"] == "GCC1111"
    assert created.status_code == 201 and created.json()["data"]["edit_history_tweet_ids"] == [reply_id]
    assert [(t.id, t.replied_to, t.conversation_id) for t in x.posted] == [(reply_id, question, question)]
    assert deleted == {"data": {"deleted": True}} and x.tweets[reply_id].deleted
    assert x.requests_to(r"/2/tweets")[0].headers["authorization"].startswith("OAuth ")


def test_rate_limit_windows_are_counted_per_endpoint(x: TwitterSandbox, clock: ManualClock) -> None:
    x.set_limit("search", 2)
    reset = int(clock.now().timestamp()) + 900

    answers = [get(x, SEARCH, query="ร้องเรียน") for _ in range(3)]
    other = get(x, MENTIONS)
    clock.advance(900)
    renewed = get(x, SEARCH, query="ร้องเรียน")

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["x-rate-limit-remaining"] for a in answers] == ["1", "0", "0"]
    assert {a.headers["x-rate-limit-reset"] for a in answers} == {str(reset)}
    assert answers[2].json()["title"] == "Too Many Requests"
    assert other.status_code == 200 and other.headers["x-rate-limit-limit"] == "450"
    assert renewed.status_code == 200 and renewed.headers["x-rate-limit-remaining"] == "1"


def test_failure_helpers(x: TwitterSandbox, clock: ManualClock) -> None:
    seed(x, clock, 12)
    x.rate_limit(reset_in=120, with_header=False)
    limited = get(x, MENTIONS)
    x.server_error(502)
    broken = get(x, MENTIONS)
    x.malformed("html", after_pages=1)
    page = get(x, MENTIONS, max_results=5)
    html = get(x, MENTIONS, max_results=5, pagination_token=page.json()["meta"]["next_token"])
    x.revoke_token("client-not-enrolled")
    forbidden = get(x, MENTIONS)

    assert limited.status_code == 429 and "x-rate-limit-reset" not in limited.headers
    assert broken.status_code == 502
    assert page.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert forbidden.status_code == 403 and forbidden.json()["reason"] == "client-not-enrolled"


def test_env_points_the_settings_at_the_stand_in(x: TwitterSandbox) -> None:
    twitter = load_settings(x.env()).twitter
    assert twitter.enabled and twitter.can_post
    assert twitter.api_url == x.url and twitter.user_id == x.account.user_id
    assert "ร้องเรียน" in twitter.query


def test_search_kind_posts_need_not_mention_the_account(x: TwitterSandbox, clock: ManualClock) -> None:
    seed(x, clock, 2, kind="search")
    assert get(x, MENTIONS).json() == {"meta": {"result_count": 0}}
    assert get(x, SEARCH, query=x.query).json()["meta"]["result_count"] == 2
    assert timedelta(0) < clock.now() - next(iter(x.tweets.values())).created_at
