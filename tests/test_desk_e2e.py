"""The whole desk end to end with the shipped Thai classifier (no fakes between a post and its reply):
stand-in platforms → listeners → store → classifier → triage → outbox → the platform the citizen used."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from responder_support import BotDriver, LoopThread, agencies_with_coordinator

from bots.knowledge import KnowledgeBase
from config.responder_wiring import Responding, build_responding, default_knowledge
from config.settings import load_settings
from core.clock import ManualClock
from core.domain import CaseStatus, ReplyKind
from core.store import Store
from nlp.model import ThaiClassifier
from nlp.stage import ClassifyStage
from sandbox.telegram import DUTY_CHAT_ID, TelegramSandbox
from sandbox.twitter import TwitterSandbox
from scrapers.listener import Listener
from scrapers.twitter import TwitterMentions, build_client

CITIZEN = 6_100_000_002
COORDINATOR = 6_200_000_002


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return default_knowledge()


@pytest.fixture(scope="module")
def classifier() -> ThaiClassifier:
    return ThaiClassifier.load()


@dataclass
class Desk:
    store: Store
    x: TwitterSandbox
    tg: TelegramSandbox
    responding: Responding
    bot: BotDriver
    listener: Listener

    def settle(self) -> None:
        for result in self.listener.poll_all(force=True):
            assert result.error == "", result
        self.bot.drain()
        for _ in range(3):
            self.responding.pipeline.run_all()


@pytest.fixture
def desk(sqlite_store: Store, clock: ManualClock, knowledge: KnowledgeBase, classifier: ThaiClassifier
         ) -> Iterator[Desk]:
    x, tg = TwitterSandbox(clock), TelegramSandbox(clock)
    x.start()
    tg.start()
    tg.add_user(COORDINATOR, first_name="สมศรี", username="bma_coordinator")
    loop = LoopThread()
    try:
        settings = load_settings({**x.env(), **tg.env()})
        stage = ClassifyStage(sqlite_store.classifications, classifier)
        responding = build_responding(settings, sqlite_store, agencies_with_coordinator("BMA", COORDINATOR), clock,
                                      classify=stage.run_once, knowledge=knowledge)
        assert responding.bot is not None
        mentions = TwitterMentions(build_client(x.url, x.bearer_token), x.account.user_id, clock)
        listener = Listener([mentions], sqlite_store.mentions, sqlite_store.health, clock, rng=random.Random(2))
        driver = BotDriver(responding.bot, loop)
        yield Desk(sqlite_store, x, tg, responding, driver, listener)
        driver.close()
    finally:
        loop.close()
        x.stop()
        tg.stop()


def test_an_inquiry_on_x_is_classified_and_answered_from_the_faq_once(desk: Desk, knowledge: KnowledgeBase) -> None:
    question = "@GCC1111 บัตรประชาชนหายต้องทำยังไงคะ"
    tweet = desk.x.add_tweet(question, "somchai_x")
    desk.settle()
    desk.settle()

    (reply,) = [t for t in desk.x.posted if t.replied_to == tweet.id]
    entry = knowledge.search("บัตรประชาชนหายต้องทำยังไงคะ", k=1)[0].entry
    assert entry.id == "moi-id-card-lost"
    assert entry.source in reply.text and "1111" in reply.text
    assert len(desk.x.posted) == 1


def test_a_complaint_on_telegram_becomes_one_routed_case_with_one_ack_and_one_coordinator_notice(desk: Desk) -> None:
    desk.tg.user_says(CITIZEN, "ถนนหน้าซอยลาดพร้าว 71 เป็นหลุมใหญ่มาสามเดือนแล้ว เขตไม่มาซ่อมสักที")
    desk.settle()
    desk.settle()

    (case,) = desk.store.cases.for_agency("BMA")
    assert case.status is CaseStatus.ROUTED and not case.urgent
    (ack,) = desk.tg.sent_to(CITIZEN)
    (notice,) = desk.tg.sent_to(COORDINATOR)
    assert case.tracking_number in ack["text"] and case.tracking_number in notice["text"]
    assert "ลาดพร้าว" not in ack["text"]


def test_danger_reaches_the_duty_group_at_once(desk: Desk) -> None:
    desk.tg.user_says(CITIZEN, "ไฟไหม้บ้านซอย 5 ตอนนี้ คนติดอยู่ชั้นสอง ช่วยด้วย")
    desk.settle()

    (alert,) = desk.tg.sent_to(DUTY_CHAT_ID)
    case = next(c for c in desk.store.cases.for_agency(None) if c.urgent)
    assert case.tracking_number in alert["text"] and "ไฟไหม้" in alert["text"]
    kinds = sorted(r.kind.value for r in desk.store.outbox.for_case(case.id or 0))
    assert kinds == sorted([ReplyKind.ACKNOWLEDGEMENT.value, ReplyKind.ALERT.value])
