"""Broadcasts end to end against the stand-ins: the real Posters (bots/channels) over real HTTP, the real feeds.

The scheduler is driven with a ManualClock through `tick()`; every platform effect is read back from the
stand-in that received it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from broadcast_support import (
    APPROVER,
    AUTHOR,
    add_staff,
    approved_one_off,
    approved_recurring,
    at_bangkok,
    build_desk,
    deliveries_of,
)

from config.broadcast_wiring import Broadcasting
from config.responder_wiring import build_posters
from config.settings import load_settings
from core.clock import ManualClock
from core.domain import BroadcastStatus, DeliveryStatus, Platform, ReplyKind
from core.store import Store
from core.store.broadcasts import BroadcastRuleError
from sandbox.facebook import FacebookSandbox
from sandbox.feeds import FeedsSandbox
from sandbox.telegram import CHANNEL_USERNAME, TelegramSandbox
from sandbox.twitter import TwitterSandbox


@dataclass
class World:
    telegram: TelegramSandbox
    facebook: FacebookSandbox
    x: TwitterSandbox
    feeds: FeedsSandbox

    def env(self) -> dict[str, str]:
        return {**self.telegram.env(), **self.facebook.env(), **self.x.env(), **self.feeds.env()}

    def channel_posts(self) -> list[str]:
        return [message["text"] for message in self.telegram.sent_to(f"@{CHANNEL_USERNAME}")]

    def page_posts(self) -> list[str]:
        state = self.facebook.state
        with state.lock:
            return [n.message for n in state.nodes.values() if n.kind == "post" and n.author == state.page
                    and n not in self.facebook.announcements]

    def tweets(self) -> list[str]:
        return [tweet.text for tweet in self.x.posted]


@pytest.fixture
def world(clock: ManualClock) -> Iterator[World]:
    servers = World(TelegramSandbox(clock), FacebookSandbox(clock), TwitterSandbox(clock), FeedsSandbox(clock))
    for server in (servers.telegram, servers.facebook, servers.x, servers.feeds):
        server.start()
    yield servers
    for server in (servers.telegram, servers.facebook, servers.x, servers.feeds):
        server.stop()


@pytest.fixture
def desk(world: World, sqlite_store: Store, clock: ManualClock) -> Broadcasting:
    add_staff(sqlite_store)
    posters = build_posters(load_settings(world.env()), clock)
    assert set(posters) == {Platform.TELEGRAM, Platform.FACEBOOK, Platform.TWITTER}
    return build_desk(sqlite_store, clock, posters, env=world.env())


def test_an_approved_one_off_is_published_once_on_each_channel_at_its_time(
        desk: Broadcasting, world: World, sqlite_store: Store, clock: ManualClock) -> None:
    text = "ศูนย์บริการข้อมูลภาครัฐเพื่อประชาชน 1111 ให้บริการตลอด 24 ชั่วโมง ตลอดช่วงวันหยุดปีใหม่ 2570"
    due = clock.now() + timedelta(minutes=7)
    broadcast = approved_one_off(desk, due, text=text,
                                 channels=(Platform.TELEGRAM, Platform.FACEBOOK, Platform.TWITTER))
    for minutes in (0, 3, 6):
        clock.set(due - timedelta(minutes=7 - minutes))
        desk.scheduler.tick()
    assert (world.channel_posts(), world.page_posts(), world.tweets()) == ([], [], [])

    clock.set(due)
    desk.scheduler.tick()
    for _ in range(3):
        clock.advance(minutes=1)
        desk.scheduler.tick()

    assert (world.channel_posts(), world.page_posts(), world.tweets()) == ([text], [text], [text])
    links = {d.channel: (d.platform_post_id, d.url) for d in deliveries_of(sqlite_store, broadcast)}
    assert links[Platform.TELEGRAM][1] == f"https://t.me/{CHANNEL_USERNAME}/{links[Platform.TELEGRAM][0]}"
    assert links[Platform.TWITTER] == (world.x.posted[0].id, f"https://x.com/i/web/status/{world.x.posted[0].id}")
    page, number = links[Platform.FACEBOOK][0].split("_")
    assert links[Platform.FACEBOOK][1] == f"https://www.facebook.com/{page}/posts/{number}"
    assert sqlite_store.broadcasts.get(broadcast.id).status is BroadcastStatus.PUBLISHED  # type: ignore[arg-type,union-attr]


def test_a_recurring_gold_post_carries_the_feed_numbers_and_is_held_when_the_feed_is_stale(
        desk: Broadcasting, world: World, sqlite_store: Store, clock: ManualClock) -> None:
    gold = approved_recurring(desk, "30 9 * * *", template="gold", channels=(Platform.TELEGRAM, Platform.TWITTER))
    world.feeds.announce_gold(66_850, 67_000, at=at_bangkok(clock, 9, 25))
    clock.set(at_bangkok(clock, 9, 30))
    desk.scheduler.tick()

    (post,) = world.channel_posts()
    assert "ขายออก 67,000 บาท" in post and "รับซื้อ 66,850 บาท" in post
    assert "ประกาศครั้งที่ 10 เวลา 09:25 น." in post and "ครั้งนี้ ▲ 600 บาท" in post
    assert "ราคาทองคำ 24 พฤศจิกายน 2569" in post and world.tweets()[0].startswith("💰 ราคาทองคำ 24 พฤศจิกายน 2569")

    clock.set(at_bangkok(clock, 9, 30, days=1))  # no announcement since yesterday 09:25: 24 hours old
    desk.scheduler.tick()
    assert len(world.channel_posts()) == 1 and len(world.tweets()) == 1  # never published with old numbers
    held = [d for d in deliveries_of(sqlite_store, gold) if d.status is DeliveryStatus.HELD]
    assert len(held) == 2 and all("เก่าเกิน 8 ชม." in d.error for d in held)
    alert = sqlite_store.outbox.by_key(f"broadcast-alert:{held[0].id}:held")  # to the duty officers' chat
    assert alert is not None and alert.kind is ReplyKind.ALERT and "ราคาทองคำ" in alert.text

    world.feeds.announce_gold(67_100, 67_200, at=at_bangkok(clock, 9, 20, days=1))
    world.feeds.change_format("gold")  # …and the association redesigns its site the same morning
    clock.set(at_bangkok(clock, 9, 30, days=2))
    desk.scheduler.tick()
    newest = deliveries_of(sqlite_store, gold)[-1]
    assert newest.status is DeliveryStatus.HELD and "รูปแบบอาจเปลี่ยน" in newest.error


def test_an_unreachable_channel_retries_with_backoff_then_fails_with_a_visible_reason(
        desk: Broadcasting, world: World, sqlite_store: Store, clock: ManualClock) -> None:
    world.x.server_error(503, path=r"/2/tweets", times=2)
    recovers = approved_one_off(desk, clock.now() + timedelta(minutes=1), text="ทดสอบการส่งซ้ำ",
                                channels=(Platform.TWITTER,))
    for _ in range(4):
        clock.advance(minutes=1)
        desk.scheduler.tick()
    (done,) = deliveries_of(sqlite_store, recovers)
    assert (done.status, done.attempts, world.tweets()) == (DeliveryStatus.PUBLISHED, 3, ["ทดสอบการส่งซ้ำ"])

    world.x.server_error(503, path=r"/2/tweets", times=None)
    gives_up = approved_one_off(desk, clock.now() + timedelta(minutes=1), text="ระบบ X ล่ม",
                                channels=(Platform.TWITTER,))
    for _ in range(8):
        clock.advance(minutes=5)
        desk.scheduler.tick()
    (failed,) = deliveries_of(sqlite_store, gives_up)
    assert failed.status is DeliveryStatus.FAILED and failed.attempts == 5
    assert "X server error" in failed.error and world.tweets() == ["ทดสอบการส่งซ้ำ"]
    listed = dict(desk.workflow.listing())[sqlite_store.broadcasts.get(gives_up.id)]  # type: ignore[arg-type,index]
    assert listed[0].error == failed.error  # what staff see in `broadcast list`


def test_a_duplicate_refusal_from_the_platform_counts_as_published(
        desk: Broadcasting, world: World, sqlite_store: Store, clock: ManualClock) -> None:
    text = "ขอเชิญร่วมงานวันเด็กแห่งชาติ 10 ม.ค. 2570 ณ ทำเนียบรัฐบาล"
    earlier = world.x.add_tweet(text, world.x.account.username)  # already on the account (posted by hand)
    broadcast = approved_one_off(desk, clock.now() + timedelta(minutes=1), text=text, channels=(Platform.TWITTER,))
    clock.advance(minutes=1)
    desk.scheduler.tick()
    (done,) = deliveries_of(sqlite_store, broadcast)
    assert (done.status, done.platform_post_id) == (DeliveryStatus.PUBLISHED, earlier.id)
    assert world.tweets() == []  # nothing new went out


def test_the_author_cannot_approve_and_nothing_is_published(desk: Broadcasting, world: World,
                                                            clock: ManualClock) -> None:
    made = desk.workflow.create(by=AUTHOR, channels=[Platform.TELEGRAM], text="ข้อความที่ยังไม่ได้ตรวจ",
                                run_at=clock.now() + timedelta(minutes=1))
    assert made.id is not None
    with pytest.raises(BroadcastRuleError, match="อีกคนหนึ่ง"):
        desk.workflow.approve(made.id, AUTHOR)
    clock.advance(minutes=3)
    desk.scheduler.tick()
    assert world.channel_posts() == []
    desk.workflow.approve(made.id, APPROVER)  # approved late, within the late window: out at once, saying so
    desk.scheduler.tick()
    (post,) = world.channel_posts()
    assert post.startswith("ข้อความที่ยังไม่ได้ตรวจ") and "ช้ากว่ากำหนด" in post
