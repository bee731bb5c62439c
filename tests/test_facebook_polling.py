"""Facebook listening by polling: the real adapters over real HTTP against the Graph stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import facebook
import pytest
from facebook_support import FEED, MESSENGER, Desk, build_desk, started_sandbox

from core.clock import ManualClock
from core.domain import Platform
from core.store import Store
from sandbox.facebook import FacebookSandbox
from sandbox.seed import SeedPost

COMMENTS = r"/v25\.0/\w+/comments"


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[FacebookSandbox]:
    with started_sandbox(clock) as started:
        yield started


@pytest.fixture
def desk(sandbox: FacebookSandbox, sqlite_store: Store, clock: ManualClock) -> Desk:
    return build_desk(sandbox, sqlite_store, clock)


def seed_visitor_posts(sandbox: FacebookSandbox, clock: ManualClock, count: int, replies: int) -> list[str]:
    ids = []
    for n in range(count):
        clock.advance(60)
        post = sandbox.visitor_post(f"โพสต์ที่ {n} ถนนชำรุด", handle=f"citizen{n}", name=f"ประชาชน {n}")
        ids.append(post.id)
        for r in range(replies):
            sandbox.comment(post.id, f"ความเห็น {r} ของโพสต์ {n}", handle=f"neighbour{r}")
    return ids


def test_paging_across_several_pages_stores_every_visitor_post_and_comment(desk: Desk, clock: ManualClock) -> None:
    seed_visitor_posts(desk.sandbox, clock, count=5, replies=3)

    result = desk.poll()

    assert result.error == "" and result.stored == 5 + 5 * 3
    assert desk.store.mentions.count() == 20
    feed_pages = desk.requests_since(0, r"/v25\.0/\d+/feed")
    assert len(feed_pages) == 4  # 5 visitor posts + 3 announcements, two per page
    assert any("after" in r.query for r in feed_pages)
    assert any("after" in r.query for r in desk.requests_since(0, COMMENTS))  # 3 comments, two per page
    assert all(r.query.get("filter") == "stream" for r in desk.requests_since(0, COMMENTS))


def test_page_own_posts_and_replies_are_not_mentions_but_comments_under_them_are(desk: Desk,
                                                                                 clock: ManualClock) -> None:
    sandbox = desk.sandbox
    announcement = sandbox.announcements[0]
    citizen = sandbox.comment(announcement.id, "ต่อบัตรประชาชนที่ไหนได้บ้างคะ", handle="nid")
    clock.advance(30)
    own_reply = sandbox.page_reply(citizen.id, "ติดต่อสำนักงานเขตหรืออำเภอใดก็ได้ค่ะ")
    own_post = sandbox.page_post("ประกาศ: ปิดปรับปรุงระบบคืนนี้")
    visitor = sandbox.visitor_post("ไฟถนนดับทั้งซอยครับ", handle="lamp")

    desk.poll()

    stored = {m.external_id for m in desk.stored()}
    assert stored == {citizen.id, visitor.id}
    assert own_reply.id not in stored and own_post.id not in stored
    assert all(a.id not in stored for a in sandbox.announcements)
    comment = desk.find(citizen.id)
    assert comment is not None
    assert comment.thread_id == announcement.id and comment.parent_id == ""
    assert comment.author_handle == sandbox.person("nid").id and comment.author_name == "มาลี แก้วกาญจนา"


def test_replies_carry_their_parent_and_a_reply_to_a_reply_joins_the_top_comment(desk: Desk,
                                                                                 clock: ManualClock) -> None:
    sandbox = desk.sandbox
    post = sandbox.visitor_post("น้ำประปาไม่ไหลสามวันแล้ว", handle="water")
    top = sandbox.comment(post.id, "บ้านผมก็เหมือนกันครับ", handle="a1")
    clock.advance(5)
    reply = sandbox.comment(top.id, "แจ้งการประปาหรือยังคะ", handle="a2")
    clock.advance(5)
    reply_to_reply = sandbox.comment(reply.id, "แจ้งแล้วครับ ยังเงียบ", handle="a1")

    desk.poll()

    stored = {m.external_id: m for m in desk.stored()}
    assert stored[post.id].thread_id == post.id and stored[post.id].parent_id == ""
    assert stored[top.id].parent_id == ""
    assert stored[reply.id].parent_id == top.id
    assert stored[reply_to_reply.id].parent_id == top.id  # Graph keeps replies two levels deep
    assert {stored[i].thread_id for i in (top.id, reply.id, reply_to_reply.id)} == {post.id}
    mention = stored[post.id]
    assert mention.url.startswith("https://www.facebook.com/") and mention.raw["id"] == post.id
    assert mention.posted_at == post.created and mention.posted_at.tzinfo is not None
    assert mention.platform is Platform.FACEBOOK and mention.source == FEED


def test_second_poll_stores_nothing_and_reads_no_comments_again(desk: Desk, clock: ManualClock) -> None:
    seed_visitor_posts(desk.sandbox, clock, count=4, replies=3)
    desk.poll()
    position = desk.store.mentions.cursor(FEED)

    mark = desk.mark()
    again = desk.poll()
    clock.advance(minutes=30)
    later = desk.poll()

    assert (again.stored, later.stored) == (0, 0)
    assert desk.requests_since(mark, COMMENTS) == []  # only the post list is re-read
    assert position["complete_upto"] is not None and "sweep" not in position
    assert desk.store.mentions.count() == 16


def test_new_comments_on_old_posts_are_found_and_only_changed_posts_are_reread(desk: Desk,
                                                                               clock: ManualClock) -> None:
    posts = seed_visitor_posts(desk.sandbox, clock, count=4, replies=1)
    desk.poll()
    clock.advance(hours=2)
    first_comment = desk.sandbox.state.comments(posts[0], stream=True, newest_first=False)[0]
    reply = desk.sandbox.comment(first_comment.id, "ตามเรื่องให้แล้วนะครับ", handle="helper")
    on_announcement = desk.sandbox.comment(desk.sandbox.announcements[1].id, "ฝนตกหนักที่เชียงรายแล้วค่ะ")

    mark = desk.mark()
    result = desk.poll()

    assert result.stored == 2
    assert desk.find(reply.id) is not None and desk.find(reply.id).parent_id == first_comment.id  # type: ignore[union-attr]
    assert desk.find(on_announcement.id) is not None
    reread = {r.path.split("/")[2] for r in desk.requests_since(mark, COMMENTS)}
    assert reread == {posts[0], desk.sandbox.announcements[1].id}


def test_a_post_published_after_a_finished_sweep_is_found(desk: Desk, clock: ManualClock) -> None:
    desk.poll()
    clock.advance(hours=1)
    late = desk.sandbox.visitor_post("มีใครรู้ไหมว่าวันหยุดราชการเพิ่มวันไหน", handle="late")

    assert desk.poll().stored == 1
    assert desk.find(late.id) is not None


def test_messenger_conversations_are_read_with_cursor_paging(desk: Desk, clock: ManualClock) -> None:
    sandbox = desk.sandbox
    for n in range(3):
        clock.advance(60)
        sandbox.publish(SeedPost("facebook", "message", f"ผู้ส่ง {n}", f"dm{n}", f"สวัสดีค่ะ ขอสอบถาม {n}",
                                 replies=(f"ต่อเรื่องเดิม {n}", f"เพิ่มเติม {n}")))
    user = sandbox.state.messenger_user("dm0", "ผู้ส่ง 0")
    sandbox.state.add_message(user, "เจ้าหน้าที่ตอบแล้วค่ะ", from_page=True)

    result = desk.poll(MESSENGER)

    stored = desk.stored()
    assert result.stored == 9 and len(stored) == 9
    assert all(m.external_id.startswith("m_") for m in stored)
    assert "เจ้าหน้าที่ตอบแล้วค่ะ" not in desk.texts()
    first = next(m for m in stored if m.text == "สวัสดีค่ะ ขอสอบถาม 0")
    assert first.author_handle == user.id and first.thread_id == user.id and first.author_name == "ผู้ส่ง 0"
    assert first.source == MESSENGER and first.url == ""
    assert any("after" in r.query for r in desk.requests_since(0, r"/v25\.0/t_\w+/messages"))
    assert all("since" not in r.query for r in desk.requests_since(0, r"/v25\.0/\d+/conversations"))


def test_messenger_second_poll_stops_at_the_first_unchanged_conversation(sandbox: FacebookSandbox,
                                                                          sqlite_store: Store,
                                                                          clock: ManualClock) -> None:
    desk = build_desk(sandbox, sqlite_store, clock, page_size=3)
    for n in range(5):
        clock.advance(60)
        sandbox.message(f"ข้อความ {n}", handle=f"u{n}")
    desk.poll(MESSENGER)
    clock.advance(hours=1)
    newer = sandbox.message("ยังไม่ได้รับเงินเยียวยาเลยค่ะ", handle="u0")  # the oldest thread moves to the top

    mark = desk.mark()
    result = desk.poll(MESSENGER)

    assert result.stored == 1 and desk.find(newer.id) is not None
    assert len(desk.requests_since(mark, r"/v25\.0/\d+/conversations")) == 1
    assert len(desk.requests_since(mark, r"/v25\.0/t_\w+/messages")) == 1


HOSTILE = [
    "<script>alert('xss')</script><img src=x onerror=alert(1)>",
    "'; DROP TABLE mentions; -- \" OR 1=1",
    "ก" * 25_000 + "😭" * 25_000,
    "ศูนย์\u200bดำรง\u200cธรรม\u200d\ufeff\u2060 ซ่อนตัว",
    "ควบคุม\x00\x07\x1b[31m ตัวแทน\ufffd \U0010ffff \u202eสลับทิศ",
    "{{7*7}} ${jndi:ldap://x} %s%s%n",
]


def test_hostile_text_is_stored_verbatim_from_posts_comments_and_messages(desk: Desk, clock: ManualClock) -> None:
    sandbox = desk.sandbox
    post = sandbox.visitor_post(HOSTILE[0], handle="h0")
    for n, text in enumerate(HOSTILE[1:]):
        clock.advance(1)
        sandbox.comment(post.id, text, handle=f"h{n + 1}")
        sandbox.message(text, handle=f"m{n}")

    desk.poll()
    desk.poll(MESSENGER)

    stored = [m.text for m in desk.stored()]
    as_written = [text.replace("\x00", "\ufffd") for text in HOSTILE + HOSTILE[1:]]  # the store's one rule
    assert sorted(stored) == sorted(as_written)
    assert any(len(text) == 50_000 for text in stored)


def test_token_expiry_from_debug_token_reaches_source_health(desk: Desk, clock: ManualClock) -> None:
    desk.sandbox.token_expires_at = clock.now() + timedelta(days=5, seconds=0.5)

    desk.poll()

    health = desk.store.health.get(FEED)
    assert health.token_expires_at == (clock.now() + timedelta(days=5)).replace(microsecond=0)
    assert health.healthy and health.last_success_at == clock.now()


def test_a_token_that_never_expires_reports_none(desk: Desk) -> None:
    desk.sandbox.token_expires_at = None  # debug_token says expires_at 0

    assert desk.client.token_expires_at() is None


def test_current_graph_version_and_appsecret_proof_on_every_request(desk: Desk, clock: ManualClock) -> None:
    desk.sandbox.require_appsecret_proof = True
    seed_visitor_posts(desk.sandbox, clock, count=2, replies=1)
    desk.sandbox.message("สวัสดีครับ")

    assert desk.poll().error == "" and desk.poll(MESSENGER).error == ""

    assert desk.store.mentions.count() == 5
    assert desk.sandbox.requests and all(r.path.startswith("/v25.0/") for r in desk.sandbox.requests)
    assert all(len(r.query.get("appsecret_proof", "")) == 64 for r in desk.sandbox.requests)
    assert desk.client.version == "v25.0"


def test_two_clients_with_different_base_urls_never_share_the_module_global(sqlite_store: Store,
                                                                          clock: ManualClock) -> None:
    before = facebook.FACEBOOK_GRAPH_URL
    with started_sandbox(clock) as first, started_sandbox(clock, page_id="104857600999999") as second:
        first.visitor_post("โพสต์บนเพจแรก", handle="p1")
        second.visitor_post("โพสต์บนเพจที่สอง", handle="p2")
        one, two = build_desk(first, sqlite_store, clock), build_desk(second, sqlite_store, clock)
        two.feed.name = "facebook.feed.second"
        two.listener = type(two.listener)([two.feed], sqlite_store.mentions, sqlite_store.health, clock)

        assert one.poll().stored == 1
        assert two.poll("facebook.feed.second").stored == 1
        assert one.poll().stored == 0

        assert all(first.page_id in r.path or "debug_token" in r.path for r in first.requests)
        assert all(second.page_id in r.path or "debug_token" in r.path or "_" in r.path for r in second.requests)
        assert len(second.requests_to(r"/v25\.0/\d+/feed")) == 2
    assert facebook.FACEBOOK_GRAPH_URL == before == "https://graph.facebook.com/"
    assert {m.text for m in sqlite_store.mentions.iterate()} == {"โพสต์บนเพจแรก", "โพสต์บนเพจที่สอง"}


def test_a_failing_token_check_never_fails_the_poll(desk: Desk, clock: ManualClock) -> None:
    desk.sandbox.server_error(path=r"/v25\.0/debug_token", times=None)
    desk.sandbox.visitor_post("ขอเบอร์โทรศูนย์ดำรงธรรมค่ะ")

    result = desk.poll()

    health = desk.store.health.get(FEED)
    assert result.error == "" and result.stored == 1
    assert health.healthy and health.token_expires_at is None
