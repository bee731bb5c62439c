"""End to end against the stand-ins: a post is stored, classified (a recording fake classifier), triaged and
answered once on the platform it came from; complaints reach a coordinator, danger reaches the duty group."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from responder_support import (
    DESK_RULES,
    BotDriver,
    FixedClassifier,
    LoopThread,
    agencies_with_coordinator,
    classify_pending,
)

from bots.channels.text import X_LIMIT, x_length
from bots.knowledge import KnowledgeBase
from config.responder_wiring import Responding, build_responding, default_knowledge
from config.settings import load_settings
from core.clock import ManualClock
from core.domain import CaseStatus, Platform, ReplyKind, ReplyStatus
from core.store import Store
from sandbox.facebook import FacebookSandbox
from sandbox.telegram import DUTY_CHAT_ID, TelegramSandbox
from sandbox.twitter import TwitterSandbox
from scrapers.facebook import GraphClient, MessengerSource, PageFeedSource
from scrapers.listener import Listener
from scrapers.twitter import TwitterMentions, build_client

CITIZEN = 6_100_000_001
COORDINATOR = 6_200_000_001
QUESTION = "บัตรประชาชนหายต้องทำยังไงคะ"
COMPLAINT = "ถนนหน้าซอยลาดพร้าว 71 เป็นหลุมใหญ่มาสามเดือนแล้ว"
URGENT = "ไฟไหม้บ้านซอย 5 ตอนนี้ คนติดอยู่ชั้นสอง ช่วยด้วย"


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return default_knowledge()


@dataclass
class World:
    clock: ManualClock
    store: Store
    x: TwitterSandbox
    fb: FacebookSandbox
    tg: TelegramSandbox
    desk: Responding
    classifier: FixedClassifier
    bot: BotDriver
    listener: Listener

    def pipeline(self) -> dict[str, int]:
        return self.desk.pipeline.run_all()

    def listen(self) -> None:
        for result in self.listener.poll_all(force=True):
            assert result.error == "", result


@pytest.fixture
def world(sqlite_store: Store, clock: ManualClock, knowledge: KnowledgeBase) -> Iterator[World]:
    x, fb, tg = TwitterSandbox(clock), FacebookSandbox(clock), TelegramSandbox(clock)
    for sandbox in (x, fb, tg):
        sandbox.start()
    tg.add_user(COORDINATOR, first_name="สมศรี", username="bma_coordinator")
    loop = LoopThread()
    try:
        settings = load_settings({**x.env(), **fb.env(), **tg.env()})
        classifier = FixedClassifier(DESK_RULES)
        desk = build_responding(settings, sqlite_store, agencies_with_coordinator("BMA", COORDINATOR), clock,
                                classify=lambda: classify_pending(sqlite_store, classifier), knowledge=knowledge)
        graph = GraphClient(fb.url + "/", "v25.0", fb.access_token, clock=clock, app_secret=fb.app_secret)
        sources = [TwitterMentions(build_client(x.url, x.bearer_token), x.account.user_id, clock),
                   PageFeedSource(graph, fb.page_id, clock), MessengerSource(graph, fb.page_id, clock)]
        listener = Listener(sources, sqlite_store.mentions, sqlite_store.health, clock, rng=random.Random(1))
        assert desk.bot is not None
        driver = BotDriver(desk.bot, loop)
        yield World(clock, sqlite_store, x, fb, tg, desk, classifier, driver, listener)
        driver.close()
    finally:
        loop.close()
        for sandbox in (x, fb, tg):
            sandbox.stop()


def answer_of(knowledge: KnowledgeBase) -> tuple[str, str]:
    entry = knowledge.search(QUESTION, k=1)[0].entry
    return entry.answer_th, entry.source


def test_x_inquiry_gets_the_faq_answer_once_trimmed_politely_with_fake_classifier(world: World,
                                                                                   knowledge: KnowledgeBase) -> None:
    tweet = world.x.add_tweet(f"@GCC1111 {QUESTION}", "somchai_x")
    world.listen()
    world.pipeline()
    world.pipeline()

    replies = [t for t in world.x.posted if t.replied_to == tweet.id]
    answer, source = answer_of(knowledge)
    assert len(replies) == 1 and len(world.x.posted) == 1
    text = replies[0].text
    # The Thai answer is longer than 280: its start is kept, it ends in "…", the source link and 1111 stay.
    assert x_length(text) <= X_LIMIT and text.startswith(answer[:40]) and "…" in text
    assert source in text and "1111" in text
    assert world.classifier.seen == [f"@GCC1111 {QUESTION}"]


def test_facebook_comment_and_messenger_inquiries_are_answered_once_with_fake_classifier(
        world: World, knowledge: KnowledgeBase) -> None:
    comment = world.fb.comment(world.fb.announcements[0].id, QUESTION, handle="malee.k")
    world.clock.advance(seconds=5)
    world.fb.message(QUESTION, handle="pim.ch")
    world.listen()
    world.pipeline()
    world.pipeline()

    answer, source = answer_of(knowledge)
    replies = world.fb.page_comments()
    messages = world.fb.page_messages()
    assert [(r.parent_id or r.post_id) for r in replies] == [comment.id]
    assert len(messages) == 1 and messages[0].recipient is not None
    assert messages[0].recipient.id == world.fb.state.messenger_user("pim.ch", "").id
    for delivered in (replies[0].message, messages[0].message):
        assert answer in delivered and source in delivered and QUESTION not in delivered


def test_telegram_inquiry_is_answered_once_in_the_citizens_chat_with_fake_classifier(
        world: World, knowledge: KnowledgeBase) -> None:
    asked = world.tg.user_says(CITIZEN, QUESTION, first_name="มานี")
    assert asked is not None
    world.bot.drain()
    world.pipeline()
    world.pipeline()

    (sent,) = world.tg.sent_to(CITIZEN)
    answer, _ = answer_of(knowledge)
    assert answer in sent["text"]
    assert sent["reply_to_message"]["message_id"] == asked["message"]["message_id"]


def test_complaint_gets_one_case_one_ack_and_one_coordinator_notice_then_one_resolution_notice_with_fake_classifier(
        world: World) -> None:
    world.tg.user_says(CITIZEN, COMPLAINT)
    world.bot.drain()
    world.pipeline()
    world.pipeline()

    (case,) = world.store.cases.for_agency("BMA")
    assert case.status is CaseStatus.ROUTED
    (ack,) = world.tg.sent_to(CITIZEN)
    assert case.tracking_number in ack["text"] and COMPLAINT not in ack["text"]
    (notice,) = world.tg.sent_to(COORDINATOR)
    assert case.tracking_number in notice["text"]
    buttons = [b["callback_data"] for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [f"case:ack:{case.id}", f"case:res:{case.id}"]

    world.tg.user_presses(COORDINATOR, notice["message_id"], f"case:ack:{case.id}")
    world.bot.drain()
    assert world.store.cases.get(case.id or 0).status is CaseStatus.IN_PROGRESS  # type: ignore[union-attr]
    world.tg.user_presses(COORDINATOR, notice["message_id"], f"case:res:{case.id}")
    world.bot.drain()
    for _ in range(3):
        world.pipeline()

    assert world.store.cases.get(case.id or 0).status is CaseStatus.RESOLVED  # type: ignore[union-attr]
    updates = [m for m in world.tg.sent_to(CITIZEN) if "แก้ไขแล้ว" in m["text"]]
    assert len(updates) == 1 and case.tracking_number in updates[0]["text"]
    assert [e.action for e in world.store.audit.recent(actor=f"telegram:{COORDINATOR}")] == [
        "case.resolve", "case.acknowledge"]


def test_urgent_post_alerts_the_duty_group_at_once_with_fake_classifier(world: World) -> None:
    tweet = world.x.add_tweet(f"@GCC1111 {URGENT}", "neighbour_x")
    world.listen()
    world.pipeline()

    (alert,) = world.tg.sent_to(DUTY_CHAT_ID)
    case = world.store.cases.for_agency("MOI")[0]
    assert case.urgent and case.tracking_number in alert["text"] and "ไฟไหม้" in alert["text"]
    (ack,) = [t for t in world.x.posted if t.replied_to == tweet.id]
    assert "191" in ack.text and case.tracking_number in ack.text


def test_unsupported_language_gets_the_bilingual_fallback_and_staff_see_failures(world: World) -> None:
    world.tg.user_says(CITIZEN, "ສະບາຍດີ ຂ້ອຍຢາກຖາມກ່ຽວກັບບັດປະຈຳຕົວ")
    world.tg.block(CITIZEN)  # ... and then blocks the bot before the answer goes out
    world.bot.drain()
    world.pipeline()

    (refused,) = world.store.outbox.with_status(ReplyStatus.FAILED)
    assert refused.platform is Platform.TELEGRAM and refused.kind is ReplyKind.ANSWER
    assert "blocked" in refused.error and "Sorry" in refused.text and "ขออภัย" in refused.text
    assert world.tg.sent_to(CITIZEN) == []

