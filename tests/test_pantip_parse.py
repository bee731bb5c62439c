"""Pantip parsing and the crawl's cursor ledger, without a network: properties and the sandbox's own pages."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.clock import BANGKOK
from core.errors import ParseError
from sandbox.pantip_pages import Comment, Member, Reply, Topic, comment_json, message_html, redesigned_page, topic_page
from scrapers.pantip.ledger import CommentsRead, Ledger, ListingPage, TopicDone, TopicSeen
from scrapers.pantip.parse import bangkok_time, html_to_text, parse_comments, parse_topic

# What people type: Thai, Latin, digits, markup-looking characters, emoji, line breaks (HTML itself folds CR).
typed = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r") | st.sampled_from("\n\t"),
    max_size=200,
)


@given(text=typed)
def test_message_html_comes_back_as_the_text_typed(text: str) -> None:
    assert html_to_text(message_html(text)) == text.strip()


def test_images_and_links_in_messages_are_dropped_and_breaks_kept() -> None:
    fragment = '<p>ถนนพัง<br />\nดูรูป <img src="https://ptcdn.info/x.jpg" class="img-in-post"> <a href="#">ลิงก์</a></p>'
    assert html_to_text(fragment) == "ถนนพัง\nดูรูป  ลิงก์"


@given(moment=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)))
def test_bangkok_wall_clock_times_become_utc(moment: datetime) -> None:
    written = moment.astimezone(BANGKOK).strftime("%m/%d/%Y %H:%M:%S")
    assert bangkok_time(written) == moment.replace(microsecond=0)


def test_the_documented_time_example() -> None:
    assert bangkok_time("05/01/2026 14:03:22") == datetime(2026, 5, 1, 7, 3, 22, tzinfo=UTC)
    with pytest.raises(ValueError):
        bangkok_time("1 พ.ค. 2569")


def topic() -> Topic:
    at = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    return Topic(43100001, 3, "น้ำประปา <ไม่ไหล> & ขุ่น", "บรรทัดแรก\nบรรทัดสอง", Member(7, "แม่บ้าน"), at,
                 "rajdumnern", ["ร้องเรียน", "การประปา"])


def test_a_topic_page_is_read_from_its_markup() -> None:
    page = parse_topic(43100001, topic_page(topic()))
    assert (page.title, page.story, page.topic_type, page.author, page.author_id) == (
        "น้ำประปา <ไม่ไหล> & ขุ่น", "บรรทัดแรก\nบรรทัดสอง", 3, "แม่บ้าน", "7")
    assert page.tags == ["ร้องเรียน", "การประปา"] and page.posted_at == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def test_a_redesigned_topic_page_is_a_parse_error_carrying_the_page() -> None:
    page = redesigned_page(topic())
    with pytest.raises(ParseError, match="title, story, topic-type, timeago") as raised:
        parse_topic(43100001, page)
    assert raised.value.raw_body == page


def test_comments_and_replies_become_mentions() -> None:
    item = topic()
    comment = Comment(5, Member(9, "ชาวบ้าน"), "แจ้งแล้ว\nยังไม่มา", item.at)
    comment.replies.append(Reply(1, Member(10, "เพื่อนบ้าน"), "เหมือนกันเลย", item.at))
    payload = {"paging": {"page": 1, "max_comments": 5}, "comments": [comment_json(item, comment)]}
    found = parse_comments(item.tid, payload, "{}", "pantip")
    first, reply = found.mentions
    assert (first.external_id, first.text, first.url, first.author_name, first.author_handle) == (
        "comment:43100001:5", "แจ้งแล้ว\nยังไม่มา", "https://pantip.com/topic/43100001/comment5", "ชาวบ้าน", "9")
    assert (reply.external_id, reply.parent_id, reply.thread_id) == (
        "reply:43100001:5:1", "comment:43100001:5", "43100001")
    assert "replies" not in first.raw and (found.max_comments, found.last_comment_no) == (5, 5)


@pytest.mark.parametrize("payload", [{"comments": [{"comment_no": 1}]}, {"paging": None}, ["not", "a", "dict"]])
def test_comments_without_the_expected_fields_are_a_parse_error(payload: object) -> None:
    with pytest.raises(ParseError) as raised:
        parse_comments(1, payload, "the body", "pantip")
    assert raised.value.raw_body == "the body"


# --- the ledger ---------------------------------------------------------------------------------------
def test_a_listing_counts_as_read_only_once_every_topic_it_owes_is_stored() -> None:
    ledger = Ledger({})
    ledger = ledger.applied([ListingPage("tag:a", (11, 12), 12, last=True)])
    ledger = ledger.applied([TopicSeen(12, 1), CommentsRead(12, 30), TopicDone(12)])
    assert ledger.position()["listings"] == {}
    ledger = ledger.applied([TopicSeen(11, 2), TopicDone(11)])
    assert ledger.position() == {"listings": {"tag:a": 12},
                                 "topics": {"12": {"type": 1, "read": 30}, "11": {"type": 2, "read": 0}}}


def test_applying_events_never_changes_the_ledger_it_came_from() -> None:
    before = Ledger({"listings": {"room:x": 5}, "topics": {"5": {"type": 1, "read": 3}}})
    before.applied([CommentsRead(5, 99), ListingPage("room:x", (), 9, last=True)])
    assert before.position() == {"listings": {"room:x": 5}, "topics": {"5": {"type": 1, "read": 3}}}


@given(seed=st.integers(0, 10_000), topics=st.integers(1, 6))
def test_in_any_order_the_saved_cursor_never_covers_an_unstored_topic(seed: int, topics: int) -> None:
    tids = list(range(100, 100 + topics))
    rng = random.Random(seed)
    batches: list[list] = [[ListingPage("tag:a", tuple(tids[: topics // 2 + 1]), max(tids), last=False, page=0)],
                           [ListingPage("tag:a", tuple(tids[topics // 2 + 1 :]), max(tids), last=True, page=1)]]
    batches += [[TopicSeen(t, 1), CommentsRead(t, 3), TopicDone(t)] for t in tids]
    rng.shuffle(batches)
    ledger, stored = Ledger({}), set()
    for batch in batches:
        ledger = ledger.applied(batch)
        stored |= {e.tid for e in batch if isinstance(e, TopicDone)}
        if ledger.position()["listings"].get("tag:a"):
            assert stored == set(tids)
    assert ledger.position()["listings"] == {"tag:a": max(tids)}
