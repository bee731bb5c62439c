"""The public bot and the coordinators' desk, driven through the Bot API stand-in (polling and webhook)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from responder_support import BotDriver, LoopThread, agencies_with_coordinator

from bots.casework import CaseDesk
from bots.notify import CitizenNotifier, resolution_key
from bots.telegram_bot import BotServices, build_bot, serve_bot
from bots.throttle import UserThrottle
from config.responder_wiring import default_templates
from core.clock import ManualClock
from core.domain import Case, CaseStatus, Mention, Platform, ReplyStatus
from core.store import Store
from sandbox.telegram import TelegramSandbox

CITIZEN, OTHER, COORDINATOR = 6_500_000_001, 6_500_000_002, 6_500_000_009


@dataclass
class Recorder:
    """The bot's on_public_message: what it was handed, and a signal when something arrives."""

    updates: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def __call__(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        self.arrived.set()

    def texts(self) -> list[str]:
        return [u["message"]["text"] for u in self.updates]


@dataclass
class Bot:
    tg: TelegramSandbox
    store: Store
    clock: ManualClock
    driver: BotDriver
    recorder: Recorder

    def say(self, user: int, text: str) -> list[str]:
        """`user` writes `text`; the bot handles it; returns what the bot answered in that chat."""
        before = len(self.tg.sent_to(user)) if user in self.tg.chats else 0
        self.tg.user_says(user, text)
        self.driver.drain()
        return [m["text"] for m in self.tg.sent_to(user)[before:]]


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    running = LoopThread()
    yield running
    running.close()


@pytest.fixture
def tg(clock: ManualClock) -> Iterator[TelegramSandbox]:
    sandbox = TelegramSandbox(clock)
    sandbox.start()
    sandbox.add_user(COORDINATOR, first_name="สมศรี")
    yield sandbox
    sandbox.stop()


def services(store: Store, clock: ManualClock, recorder: Recorder) -> BotServices:
    agencies = agencies_with_coordinator("BMA", COORDINATOR)
    notifier = CitizenNotifier(store.cases, store.mentions, store.outbox, default_templates(), agencies, clock)
    return BotServices(cases=store.cases, mentions=store.mentions, desk=CaseDesk(store.cases, store.audit, notifier),
                       agencies=agencies, coordinators={str(COORDINATOR): "BMA"}, on_public_message=recorder,
                       throttle=UserThrottle(clock, limit=5, window_seconds=60), clock=clock)


@pytest.fixture
def bot(tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock, loop: LoopThread) -> Iterator[Bot]:
    recorder = Recorder()
    driver = BotDriver(build_bot(tg.token, tg.base_url, services(sqlite_store, clock, recorder)), loop)
    yield Bot(tg, sqlite_store, clock, driver, recorder)
    driver.close()


def telegram_case(store: Store, user: int, text: str = "ไฟถนนดับทั้งซอย", agency: str = "BMA") -> Case:
    """A complaint the citizen `user` sent to the bot, opened as a routed case."""
    posted = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    store.mentions.ingest("telegram", [Mention(Platform.TELEGRAM, f"{user}:3", text, posted, "telegram",
                                               author_handle=str(user), thread_id=str(user))], None)
    found = store.mentions.find(Platform.TELEGRAM, f"{user}:3")
    assert found is not None and found.id is not None
    with store.engine.begin() as conn:
        case, _ = store.cases.open(conn, mention_id=found.id, agency=agency, sla_due_at=posted + timedelta(hours=72),
                                   summary=text, status=CaseStatus.ROUTED)
    return case


def test_start_and_help_answer_in_thai_and_english(bot: Bot) -> None:
    (start,) = bot.say(CITIZEN, "/start")
    (help_text,) = bot.say(CITIZEN, "/help")
    assert "ศูนย์บริการข้อมูลภาครัฐ" in start and "Government Contact Center" in start and "/status" in start
    assert "วิธีใช้งาน" in help_text and "How to use" in help_text and "/cases" not in help_text
    assert "/cases" in bot.say(COORDINATOR, "/help")[0]
    assert bot.recorder.updates == []  # commands are not citizens' posts


def test_status_shows_a_case_only_to_the_citizen_who_filed_it(bot: Bot) -> None:
    case = telegram_case(bot.store, CITIZEN)
    (own,) = bot.say(CITIZEN, f"/status {case.tracking_number.lower()}")
    (other,) = bot.say(OTHER, f"/status {case.tracking_number}")
    (usage,) = bot.say(CITIZEN, "/status 12345")
    assert case.tracking_number in own and "ส่งต่อหน่วยงานแล้ว" in own and "กรุงเทพมหานคร" in own and "2569" in own
    assert "ไม่พบเรื่อง" in other and case.tracking_number not in other and "ไฟถนน" not in other
    assert "GCC-2611-000123" in usage


def test_free_text_is_handed_to_the_pipeline_as_the_raw_update(bot: Bot) -> None:
    assert bot.say(CITIZEN, "บัตรประชาชนหายทำไงคะ") == []  # the answer comes through the outbox
    (update,) = bot.recorder.updates
    message = update["message"]
    assert (message["text"], message["chat"]["id"], message["from"]["id"]) == ("บัตรประชาชนหายทำไงคะ", CITIZEN,
                                                                               CITIZEN)
    assert isinstance(message["date"], int)


def test_a_flood_from_one_user_is_throttled_while_another_is_still_heard(bot: Bot) -> None:
    answers = [bot.say(CITIZEN, f"สแปม {n}") for n in range(9)]
    heard_other = bot.say(OTHER, "ไฟดับที่บ้านค่ะ")

    assert bot.recorder.texts() == [f"สแปม {n}" for n in range(5)] + ["ไฟดับที่บ้านค่ะ"]
    notices = [a for a in answers if a]
    assert len(notices) == 1 and "ส่งข้อความถี่เกินไป" in notices[0][0] and "too quickly" in notices[0][0]
    assert heard_other == []
    bot.clock.advance(61)
    bot.say(CITIZEN, "ขอบคุณค่ะ")
    assert bot.recorder.texts()[-1] == "ขอบคุณค่ะ"


def test_coordinator_acknowledges_then_resolves_with_buttons_and_the_citizen_is_told_once(bot: Bot) -> None:
    case = telegram_case(bot.store, CITIZEN)
    other_agency = telegram_case(bot.store, OTHER, "น้ำประปาไม่ไหล", agency="MOI")
    listing = bot.say(COORDINATOR, "/cases")
    assert "1 เรื่อง" in listing[0] and case.tracking_number in listing[1]
    assert other_agency.tracking_number not in " ".join(listing)
    card = bot.tg.sent_to(COORDINATOR)[-1]

    bot.tg.user_presses(COORDINATOR, card["message_id"], f"case:ack:{case.id}")
    bot.driver.drain()
    acknowledged = bot.store.cases.get(case.id or 0)
    assert acknowledged is not None and acknowledged.status is CaseStatus.IN_PROGRESS
    edited = bot.tg.sent_to(COORDINATOR)[-1]
    assert "หน่วยงานกำลังดำเนินการ โดย สมศรี" in edited["text"]
    assert [b["callback_data"] for row in edited["reply_markup"]["inline_keyboard"] for b in row] == [
        f"case:res:{case.id}"]

    bot.say(COORDINATOR, "/cases")
    stale = bot.tg.sent_to(COORDINATOR)[-1]  # a second card of the same case, still showing Resolve
    for message in (card, stale):  # the second press (a stale button) changes nothing
        bot.tg.user_presses(COORDINATOR, message["message_id"], f"case:res:{case.id}")
        bot.driver.drain()
    resolved = bot.store.cases.get(case.id or 0)
    assert resolved is not None and resolved.status is CaseStatus.RESOLVED
    notice = bot.store.outbox.by_key(resolution_key(case.id or 0))
    assert notice is not None and notice.status is ReplyStatus.PENDING and notice.target == f"chat:{CITIZEN}:3"
    assert case.tracking_number in notice.text and "แก้ไขแล้ว" in notice.text
    assert len(bot.store.outbox.for_case(case.id or 0)) == 1
    assert [a["show_alert"] for a in bot.tg.callback_answers] == [False, False, True]
    actions = [(e.action, e.target) for e in bot.store.audit.recent(actor=f"telegram:{COORDINATOR}")]
    assert actions == [("case.resolve", f"case:{case.id}"), ("case.acknowledge", f"case:{case.id}")]


def test_coordinator_commands_note_and_resolve_and_the_public_cannot_use_them(bot: Bot) -> None:
    case = telegram_case(bot.store, CITIZEN)
    assert "ผู้ประสานงาน" in bot.say(CITIZEN, f"/resolve {case.tracking_number}")[0]
    assert "บันทึกแล้ว" in bot.say(COORDINATOR, f"/note {case.tracking_number} ส่งช่างไปตรวจแล้ว")[0]
    assert "แก้ไขแล้ว" in bot.say(COORDINATOR, f"/resolve {case.tracking_number} เปลี่ยนหลอดไฟแล้ว")[0]
    assert "ไม่พบ" in bot.say(COORDINATOR, "/ack GCC-2611-999999")[0]
    notes = [e["note"] for e in bot.store.cases.events(case.id or 0) if e["kind"] == "note"]
    assert notes == ["ส่งช่างไปตรวจแล้ว"]
    notice = bot.store.outbox.by_key(resolution_key(case.id or 0))
    assert notice is not None and "เปลี่ยนหลอดไฟ" not in notice.text  # staff notes never reach the public


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_webhook_checks_the_secret_token_and_content_type(tg: TelegramSandbox, sqlite_store: Store,
                                                             clock: ManualClock, loop: LoopThread) -> None:
    recorder = Recorder()
    app = build_bot(tg.token, tg.base_url, services(sqlite_store, clock, recorder))
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg"
    service = loop.run(_started(serve_bot(app, webhook_url=url, secret_token=tg.webhook_secret, port=port,
                                          url_path="tg")))
    try:
        assert _wait_for(lambda: app.updater is not None and app.updater.running)
        update = {"update_id": 1, "message": {"message_id": 1, "date": 1795485600, "text": "ปลอม",
                                              "chat": {"id": OTHER, "type": "private"},
                                              "from": {"id": OTHER, "is_bot": False, "first_name": "x"}}}
        wrong = requests.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}, timeout=5)
        missing = requests.post(url, json=update, timeout=5)
        charset = requests.post(url, data=b"{}", timeout=5, headers={
            "X-Telegram-Bot-Api-Secret-Token": tg.webhook_secret, "Content-Type": "application/json; charset=utf-8"})
        assert (wrong.status_code, missing.status_code, charset.status_code) == (403, 403, 403)

        tg.user_says(CITIZEN, "น้ำท่วมถนนหน้าบ้าน")  # the stand-in POSTs it with the right secret
        assert recorder.arrived.wait(timeout=10)
        assert recorder.texts() == ["น้ำท่วมถนนหน้าบ้าน"]
        assert all(d.headers["X-Telegram-Bot-Api-Secret-Token"] == tg.webhook_secret for d in tg.deliveries)
    finally:
        loop.loop.call_soon_threadsafe(service.cancel)
        assert _wait_for(service.done)


async def _started(coroutine: Any) -> Any:
    import asyncio

    return asyncio.ensure_future(coroutine)


def _wait_for(condition: Any, timeout: float = 10.0) -> bool:
    """Wait for a server-side condition (not for time to pass): polls a threading.Event between checks."""
    tick = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return True
        tick.wait(0.02)
    return bool(condition())
