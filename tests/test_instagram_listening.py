"""Instagram listening end to end: instaloader over real HTTP against the sandbox, through the listener."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC

import pytest

from config.settings import load_settings
from config.sources_instagram import instagram_sources
from core.clock import ManualClock
from core.domain import Platform
from core.store import Store
from core.text import extract_hashtags
from sandbox.instagram import CHILD_COMMENTS_PATH, COMMENTS_PATH, TAG_INFO_PATH, TAG_PAGE_PATH, InstagramSandbox
from sandbox.seed import SeedPost
from scrapers.instagram.context import HostRouter
from scrapers.listener import Backoff, Listener


@pytest.fixture
def instagram(clock: ManualClock) -> Iterator[InstagramSandbox]:
    sandbox = InstagramSandbox(clock)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def listening(sandbox: InstagramSandbox, store: Store, clock: ManualClock) -> Listener:
    sources = instagram_sources(load_settings(env=sandbox.env()), clock)
    return Listener(sources, store.mentions, store.health, clock, Backoff(5, 900), random.Random(3))


def test_settings_build_a_profile_and_a_hashtag_source(instagram: InstagramSandbox, clock: ManualClock) -> None:
    sources = instagram_sources(load_settings(env=instagram.env()), clock)
    assert [(s.name, s.platform) for s in sources] == [
        ("instagram.profile", Platform.INSTAGRAM),
        ("instagram.hashtag", Platform.INSTAGRAM),
    ]
    assert instagram_sources(load_settings(env={}), clock) == []


def test_comments_and_replies_on_recent_posts_are_read_once(
    instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock
) -> None:
    for n in range(24):
        instagram.add_comment(f"สอบถามเรื่องเบี้ยยังชีพผู้สูงอายุค่ะ ข้อ {n}", f"citizen{n}")
    asked = instagram.add_comment(
        "ต่อบัตรประชาชนที่เขตไหนได้บ้างครับ", "somchai.k", "สมชาย ก.",
        replies=[("admin_helper", "ได้ทุกเขตค่ะ"), ("nid", "เขตบางรักคิวยาว"), ("pim", "ไปมาแล้ว"), ("ton", "ขอบคุณ")],
    )
    post = instagram.posts[0]
    run = listening(instagram, sqlite_store, clock)

    first = run.poll_all(only="instagram.profile")

    assert first[0].error == "" and first[0].stored == 25 + 4
    assert len(instagram.requests_to(COMMENTS_PATH)) == 2  # 25 comments: two pages of 20
    assert len(instagram.requests_to(CHILD_COMMENTS_PATH)) == 1  # 4 replies, 2 in the preview
    comment = sqlite_store.mentions.find(Platform.INSTAGRAM, str(asked.pk))
    reply = sqlite_store.mentions.find(Platform.INSTAGRAM, str(asked.children[3].pk))
    assert comment is not None and reply is not None
    assert (comment.author_handle, comment.author_name, comment.thread_id, comment.parent_id) == (
        "somchai.k", "สมชาย ก.", post.code, "")
    assert comment.url == f"https://www.instagram.com/p/{post.code}/c/{asked.pk}/"
    assert (reply.text, reply.parent_id, reply.author_handle) == ("ขอบคุณ", str(asked.pk), "ton")
    assert reply.url == f"https://www.instagram.com/p/{post.code}/c/{asked.pk}/r/{asked.children[3].pk}/"
    assert comment.posted_at == clock.now() and comment.posted_at.tzinfo is not None
    assert comment.raw["pk"] == asked.pk and comment.raw["user"]["username"] == "somchai.k"
    assert sqlite_store.mentions.cursor("instagram.profile") == {
        "posts": {m.code: m.comment_count for m in instagram.posts}
    }

    again = run.poll_all(only="instagram.profile", force=True)
    assert again[0].stored == 0
    assert len(instagram.requests_to(COMMENTS_PATH)) == 2  # unchanged comment counts: no comment request

    instagram.add_comment("น้ำไม่ไหลมาสามวันแล้ว ซอยพหลโยธิน 48", "water_user")
    third = run.poll_all(only="instagram.profile", force=True)
    assert third[0].stored == 1
    assert sqlite_store.mentions.count() == 30


def test_hashtag_posts_keep_thai_hashtags_whole_and_page_through(
    instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock
) -> None:
    caption = "ถนนสายเชียงใหม่-ลำพูนน้ำท่วมสูง รถเล็กผ่านไม่ได้ #แจ้งเหตุ #น้ำท่วมเชียงใหม่"
    for n in range(13):
        instagram.add_hashtag_post(f"ภาพน้ำท่วมหน้าบ้าน หมู่ {n} #แจ้งเหตุ", f"villager{n}")
    flood = instagram.add_hashtag_post(caption, "cm_reporter", "นักข่าวพลเมือง")
    run = listening(instagram, sqlite_store, clock)

    result = run.poll_all(only="instagram.hashtag")

    assert result[0].stored == 14
    assert len(instagram.requests_to(TAG_PAGE_PATH)) == 1  # 14 posts under #แจ้งเหตุ: a second page of 12
    asked_tags = [r.query["tag_name"] for r in instagram.requests_to(TAG_INFO_PATH)]
    assert asked_tags == ["แจ้งเหตุ", "น้ำท่วมเชียงใหม่"]
    stored = sqlite_store.mentions.find(Platform.INSTAGRAM, str(flood.pk))
    assert stored is not None
    assert stored.text == caption
    assert extract_hashtags(stored.text) == ["แจ้งเหตุ", "น้ำท่วมเชียงใหม่"]
    assert (stored.author_handle, stored.thread_id, stored.url) == (
        "cm_reporter", flood.code, f"https://www.instagram.com/p/{flood.code}/")
    assert stored.posted_at.tzinfo == UTC and stored.raw["code"] == flood.code

    again = run.poll_all(only="instagram.hashtag", force=True)
    assert again[0].stored == 0
    assert len(instagram.requests_to(TAG_PAGE_PATH)) == 1  # stops at the newest post already read

    instagram.publish(SeedPost("instagram", "hashtag", "มาลี", "malee", "ไฟดับทั้งซอย #แจ้งเหตุ"))
    assert run.poll_all(only="instagram.hashtag", force=True)[0].stored == 1


def test_seeded_comment_with_replies_arrives(
    instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock
) -> None:
    instagram.publish(SeedPost("instagram", "comment", "วิภา", "wipa", "ขอเบอร์ติดต่อสำนักงานเขตค่ะ",
                               replies=("โทร 1111 ได้เลยค่ะ",)))
    result = listening(instagram, sqlite_store, clock).poll_all(only="instagram.profile")
    assert result[0].stored == 2
    texts = sorted(m.text for m in sqlite_store.mentions.latest())
    assert texts == ["ขอเบอร์ติดต่อสำนักงานเขตค่ะ", "โทร 1111 ได้เลยค่ะ"]


HOSTILE = [
    "<script>alert('xss')</script>",
    "'; DROP TABLE mentions; --",
    "\u202eเงินคืน\u202c \u200bซ่อน\u200d",
    "ป้ายชื่อ: ก\u0e31\u0e49\u0e49\u0e49\u0e49 🙏🏽🇹🇭",
    "สระซ้อน \u0e40\u0e40 e\u0301 (NFD) {{em}}ไม่ใช่แท็ก{{eem}}",
    "บรรทัดหนึ่ง\nบรรทัดสอง\r\n\tแท็บ",
]


def test_hostile_text_is_stored_verbatim(instagram: InstagramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    made = [instagram.add_comment(text, f"h{n}") for n, text in enumerate(HOSTILE)]
    tagged = instagram.add_hashtag_post(HOSTILE[2] + " #แจ้งเหตุ", "h_tag")

    listening(instagram, sqlite_store, clock).poll_all()

    for comment in made:
        stored = sqlite_store.mentions.find(Platform.INSTAGRAM, str(comment.pk))
        assert stored is not None and stored.text == comment.text
    post = sqlite_store.mentions.find(Platform.INSTAGRAM, str(tagged.pk))
    assert post is not None and post.text == tagged.caption


def test_only_instagrams_own_hosts_are_routed_to_the_configured_base_urls() -> None:
    router = HostRouter({"https://www.instagram.com": "http://proxy:8080/ig/",
                         "https://i.instagram.com": "http://proxy:8080/iphone"}, timeout=5)
    assert router.route("https://www.instagram.com/api/graphql") == "http://proxy:8080/ig/api/graphql"
    assert router.route("https://i.instagram.com/api/v1/tags/web_info/?tag_name=x") == (
        "http://proxy:8080/iphone/api/v1/tags/web_info/?tag_name=x")
    assert router.route("https://www.instagram.com.evil.example/x") == "https://www.instagram.com.evil.example/x"
    assert router.route("https://scontent.cdninstagram.com/v/1.jpg") == "https://scontent.cdninstagram.com/v/1.jpg"
