"""Property tests for the Facebook payload parsers: arbitrary input never crashes them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ParseError
from scrapers.facebook.parse import (
    comment_mention,
    feed_change_mention,
    message_mention,
    messaging_mention,
    post_mention,
    thread,
)
from scrapers.facebook.usage import read_usage
from scrapers.facebook.webhook import event_mentions

PAGE = "104857600123456"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
graph_times = st.datetimes(min_value=datetime(2004, 2, 4), max_value=datetime(2100, 1, 1),
                           timezones=st.just(UTC)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S+0000"))
people = st.fixed_dictionaries({"id": st.sampled_from([PAGE, "10001", ""]) | st.text(max_size=5),
                                "name": st.text(max_size=20)})
items = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=30) | json_values,
        "created_time": graph_times | json_values,
        "message": st.text() | json_values,
        "from": people | json_values,
        "parent": st.fixed_dictionaries({"id": st.text(max_size=20)}) | json_values,
        "permalink_url": st.text(max_size=40),
        "updated_time": graph_times | st.text(max_size=10),
    },
)


def check(item: dict[str, Any], parse: Any, **kwargs: Any) -> None:
    """Either a Mention with exactly the text sent, None for the Page's own, or ParseError: nothing else."""
    try:
        found = parse(item, **kwargs)
    except ParseError:
        return
    sender = item.get("from")
    if found is None:
        assert isinstance(sender, dict) and sender.get("id") == PAGE
        return
    assert found.text == item.get("message", "")
    assert found.posted_at.tzinfo is not None and found.external_id == item["id"]
    assert found.raw == item


@settings(max_examples=150, deadline=None)
@given(items)
def test_rest_items_give_a_mention_with_the_exact_text_or_a_parse_error(item: dict[str, Any]) -> None:
    check(item, post_mention, page_id=PAGE, source="facebook.feed")
    check(item, comment_mention, post_id=f"{PAGE}_1", page_id=PAGE, source="facebook.feed")
    check(item, message_mention, page_id=PAGE, source="facebook.messenger")
    try:
        listed = thread(item)
    except ParseError:
        return
    assert listed.id == item["id"] and listed.updated_at.tzinfo is not None


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries(
    {"item": st.sampled_from(["comment", "status", "post", "reaction", "photo"]) | json_values,
     "verb": st.sampled_from(["add", "edited", "remove"]) | json_values},
    optional={"comment_id": st.text(max_size=20) | json_values, "post_id": st.text(max_size=20) | json_values,
              "parent_id": st.text(max_size=20) | json_values, "from": people | json_values,
              "message": st.text() | json_values,
              "created_time": st.integers(0, 4_000_000_000) | json_values},
))
def test_feed_changes_give_the_exact_text_or_none_or_a_parse_error(value: dict[str, Any]) -> None:
    try:
        found = feed_change_mention(value, page_id=PAGE, source="facebook.feed")
    except ParseError:
        return
    if found is not None:
        assert value["verb"] == "add" and found.text == value.get("message", "")
        assert found.thread_id == value["post_id"] and found.parent_id != value["post_id"]


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({}, optional={
    "sender": st.fixed_dictionaries({"id": st.text(max_size=10)}) | json_values,
    "timestamp": st.integers(0, 4_000_000_000_000) | json_values,
    "message": st.fixed_dictionaries({}, optional={"mid": st.text(max_size=20) | json_values,
                                                   "text": st.text() | json_values,
                                                   "is_echo": st.booleans()}) | json_values,
    "read": json_values,
}))
def test_messaging_events_give_the_exact_text_or_none_or_a_parse_error(event: dict[str, Any]) -> None:
    try:
        found = messaging_mention(event, page_id=PAGE, source="facebook.messenger")
    except ParseError:
        return
    if found is not None:
        assert found.text == event["message"].get("text", "") and found.external_id == event["message"]["mid"]


@settings(max_examples=200, deadline=None)
@given(st.binary() | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_webhook_body_is_either_read_or_reported(body: bytes) -> None:
    batches, problems = event_mentions(body, PAGE, "facebook.feed", "facebook.messenger")
    assert all(isinstance(problem[2], str) for problem in problems)
    assert all(m.source == source for source, found in batches.items() for m in found)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["x-app-usage", "x-page-usage", "x-business-use-case-usage"]),
                       st.text() | json_values.map(json.dumps)))
def test_usage_headers_of_any_shape_never_crash(headers: dict[str, str]) -> None:
    usage = read_usage(headers)
    assert usage is None or (usage.regain_seconds >= 0 and usage.percent == usage.percent)  # finite, no NaN


def test_graph_times_are_read_as_aware_utc() -> None:
    found = post_mention({"id": "1_2", "created_time": "2026-11-24T09:00:00+0700"}, page_id=PAGE, source="f")
    assert found is not None and found.posted_at == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_usage_reads_the_highest_percentage_and_the_longest_regain_time() -> None:
    usage = read_usage({
        "x-app-usage": '{"call_count":28,"total_cputime":5,"total_time":7}',
        "x-business-use-case-usage": '{"1":[{"type":"pages","call_count":96,"total_cputime":3,"total_time":4,'
                                     '"estimated_time_to_regain_access":12}]}',
    })
    assert usage is not None and (usage.percent, usage.regain_seconds) == (96, 720)
    assert read_usage({"content-type": "application/json"}) is None


def test_lone_surrogates_become_replacement_characters_everything_else_stays() -> None:
    text = json.loads('"ab\\ud800c \\ud83d\\ude00 \\u200b"')
    item = {"id": "1_2", "created_time": "2026-11-24T02:00:00+0000", "message": text, "from": {"id": "5"}}

    found = post_mention(item, page_id=PAGE, source="facebook.feed")

    assert found is not None and found.text == "ab\ufffdc 😀 \u200b"
    assert found.raw["message"] == found.text
    found.text.encode("utf-8")  # storable


@pytest.mark.parametrize("value", ["24/11/2026", "2026-11-24 02:00", "", None, 1795500000])
def test_graph_times_other_than_iso_with_offset_are_refused(value: object) -> None:
    with pytest.raises(ParseError):
        post_mention({"id": "1_2", "created_time": value}, page_id=PAGE, source="facebook.feed")
