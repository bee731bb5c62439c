"""Pantip end to end: the Scrapy crawl in a child process over real HTTP against the sandbox, via the listener."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC

import pytest

from config.settings import load_settings
from config.sources_pantip import pantip_sources
from core.clock import ManualClock
from core.domain import Platform
from core.store import Store
from sandbox.pantip import COMMENTS_PATH, ROBOTS_PATH, SEARCH_PATH, TAG_LISTING_PATH, TOPIC_PATH, PantipSandbox
from sandbox.seed import SeedPost
from scrapers.listener import Backoff, Listener


@pytest.fixture
def pantip(clock: ManualClock) -> Iterator[PantipSandbox]:
    sandbox = PantipSandbox(clock)
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def listener(pantip: PantipSandbox, sqlite_store: Store, sqlite_url: str, clock: ManualClock) -> Listener:
    sources = pantip_sources(load_settings(env=pantip.env()), clock, sqlite_url)
    return Listener(sources, sqlite_store.mentions, sqlite_store.health, clock, Backoff(5, 900), random.Random(5))


HOSTILE_TITLE = "<script>alert('xss')</script> & \"quotes\" 'single' {{em}}"
HOSTILE_STORY = (
    "'; DROP TABLE mentions; --\n\u202eเงินคืน\u202c\u200bซ่อน\nก\u0e49\u0e49\u0e49\u0e49 🙏🏽🇹🇭\n&amp; &lt;b&gt;"
)
HOSTILE_COMMENTS = ["<img src=x onerror=alert(1)>", "สระซ้อน \u0e40\u0e40 e\u0301", "\t แท็บ\nกลาง  สองช่อง"]


def comment_pages(pantip: PantipSandbox, tid: int) -> list[str]:
    return [r.query["param"] for r in pantip.requests_to(COMMENTS_PATH) if r.query["tid"] == str(tid)]


def test_settings_build_one_crawl_source(pantip: PantipSandbox, clock: ManualClock, sqlite_url: str) -> None:
    [source] = pantip_sources(load_settings(env=pantip.env()), clock, sqlite_url)
    assert (source.name, source.platform) == ("pantip", Platform.PANTIP)
    assert pantip_sources(load_settings(env={}), clock, sqlite_url) == []


def test_tags_rooms_and_search_are_crawled_with_every_comment_page_once(
    pantip: PantipSandbox, listener: Listener, sqlite_store: Store, clock: ManualClock
) -> None:
    big = pantip.add_topic("ถนนพังหน้าหมู่บ้าน แจ้งแล้วยังไม่มีใครมา", "ถนนพังมาสองเดือน\nรถล้มทุกวัน", "คนลำพูน",
                           comments=150)
    asked = pantip.add_comment(big, "เขตเราก็เป็น<แบบนี้>", "ชาวบ้าน", replies=["แจ้ง อบต. หรือยังครับ", "แจ้งแล้วค่ะ"])
    in_room = pantip.add_topic("สอบถามสิทธิบัตรทองย้ายจังหวัด", "ต้องไปติดต่อที่ไหน", tags=[], topic_type=4,
                               comments=1)
    second_tag = pantip.add_topic("บัตรประชาชนหมดอายุ ทำที่เขตไหน", "ถามหน่อยครับ", tags=["หน่วยงานราชการ"],
                                  room="isolate")
    searched = pantip.add_topic("โทร 1111 ไม่ติดเลย", "รอสายนานมาก", tags=["มือถือ"], room="mbk")
    elsewhere = pantip.add_topic("สูตรแกงเขียวหวาน", "อร่อยมาก", tags=["อาหาร"], room="food")
    hostile = pantip.add_topic(HOSTILE_TITLE, HOSTILE_STORY, "<b>ผู้ใช้</b>", room="isolate")
    for text in HOSTILE_COMMENTS:
        pantip.add_comment(hostile, text)
    pantip.publish(SeedPost("pantip", "topic", "ประชาชน", "", "ไฟถนนดับทั้งซอย แจ้งได้ไหม", title="ไฟถนนดับ",
                            replies=("ได้ครับ",)))
    forbidden = pantip.add_topic("กระทู้ที่ robots.txt ห้าม", "ห้ามอ่าน", tags=["ร้องเรียน"])
    pantip.forbid(f"/topic/{forbidden.tid}$")

    [first] = listener.poll_all()

    assert first.error == ""
    # topics, big's comments and replies, the room topic's comment, the hostile topic's, the seeded topic's
    assert first.stored == 4 + 151 + 2 + 1 + (1 + len(HOSTILE_COMMENTS)) + (1 + 1)
    assert comment_pages(pantip, big.tid) == ["page1", "page2"]  # 151 comments: two pages of 100
    comments_calls = pantip.requests_to(COMMENTS_PATH)
    assert {r.headers.get("x-requested-with") for r in comments_calls} == {"XMLHttpRequest"}
    assert {r.query["type"] for r in comments_calls if r.query["tid"] == str(in_room.tid)} == {"4"}
    assert pantip.requests[0].path == "/robots.txt" and len(pantip.requests_to(ROBOTS_PATH)) == 1
    assert pantip.requests_to(f"/topic/{forbidden.tid}") == []  # robots.txt obeyed: never asked for
    assert pantip.requests_to(f"/topic/{elsewhere.tid}") == []
    assert {r.headers.get("ptauthorize") for r in pantip.requests_to(TAG_LISTING_PATH) + pantip.requests_to(
        SEARCH_PATH)} == {"Basic dGVzdGVyOnRlc3Rlcg=="}
    for made in (big, in_room, second_tag, searched):
        assert sqlite_store.mentions.find(Platform.PANTIP, f"topic:{made.tid}") is not None

    topic = sqlite_store.mentions.find(Platform.PANTIP, f"topic:{big.tid}")
    comment = sqlite_store.mentions.find(Platform.PANTIP, f"comment:{big.tid}:{asked.no}")
    reply = sqlite_store.mentions.find(Platform.PANTIP, f"reply:{big.tid}:{asked.no}:2")
    assert topic is not None and comment is not None and reply is not None
    assert topic.text == "ถนนพังหน้าหมู่บ้าน แจ้งแล้วยังไม่มีใครมา\n\nถนนพังมาสองเดือน\nรถล้มทุกวัน"
    assert (topic.url, topic.thread_id, topic.author_name) == (f"https://pantip.com/topic/{big.tid}",
                                                               str(big.tid), "คนลำพูน")
    assert (comment.text, comment.url, comment.author_name) == (
        "เขตเราก็เป็น<แบบนี้>", f"https://pantip.com/topic/{big.tid}/comment151", "ชาวบ้าน")
    assert comment.posted_at == asked.at.replace(microsecond=0) and comment.posted_at.tzinfo == UTC
    assert (reply.text, reply.parent_id, reply.thread_id) == ("แจ้งแล้วค่ะ", f"comment:{big.tid}:151", str(big.tid))
    stored_hostile = sqlite_store.mentions.find(Platform.PANTIP, f"topic:{hostile.tid}")
    assert stored_hostile is not None and stored_hostile.text == f"{HOSTILE_TITLE}\n\n{HOSTILE_STORY}"
    assert stored_hostile.author_name == "<b>ผู้ใช้</b>"
    for number, text in enumerate(HOSTILE_COMMENTS, start=1):
        said = sqlite_store.mentions.find(Platform.PANTIP, f"comment:{hostile.tid}:{number}")
        assert said is not None and said.text == text.strip()  # verbatim, less the edge whitespace HTML trims
    cursor = sqlite_store.mentions.cursor("pantip")
    assert cursor["topics"][str(big.tid)] == {"type": 1, "read": 151}
    assert cursor["listings"]["tag:ร้องเรียน"] == forbidden.tid

    requests_before = len(pantip.requests)
    [second] = listener.poll_all(force=True)
    assert (second.stored, second.error) == (0, "")
    asked_again = {r.path for r in pantip.requests[requests_before:]}
    assert not any(path.startswith("/topic/") or path == COMMENTS_PATH for path in asked_again)

    pantip.add_comment(big, "อัปเดต: วันนี้มีรถมาซ่อมแล้วครับ")
    clock.advance(minutes=15)
    [third] = listener.poll_all(force=True)
    assert third.stored == 1
    assert comment_pages(pantip, big.tid) == ["page1", "page2", "page2"]  # only the page with new comments
    assert len(pantip.requests_to(TOPIC_PATH)) == 6  # each topic page read once in all three crawls
