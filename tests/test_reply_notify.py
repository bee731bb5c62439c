"""Citizen updates after a case is resolved elsewhere, per-user throttling, the kicked pipeline and its wiring."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from responder_support import CONFIG

from bots.kick import Kick, Pipeline
from bots.notify import CitizenNotifier, resolution_key
from bots.throttle import UserThrottle, Verdict
from config.responder_wiring import default_templates
from config.settings import load_settings
from config.wiring import build_system
from core.agencies import load_agencies
from core.clock import ManualClock
from core.domain import CaseStatus, Mention, Platform, ReplyKind, ReplyStatus
from core.store import Store


def opened_case(store: Store, platform: Platform, external_id: str, source: str, text: str = "ไฟถนนดับ",
                author: str = "somchai") -> int:
    posted = store.clock.now() - timedelta(hours=1)
    store.mentions.ingest(source, [Mention(platform, external_id, text, posted, source, author_handle=author,
                                           thread_id=author)], None)
    mention = store.mentions.find(platform, external_id)
    assert mention is not None and mention.id is not None
    with store.engine.begin() as conn:
        case, _ = store.cases.open(conn, mention_id=mention.id, agency="BMA", sla_due_at=posted + timedelta(days=3),
                                   summary=text)
    assert case.id is not None
    return case.id


@pytest.fixture
def notifier(sqlite_store: Store, clock: ManualClock) -> CitizenNotifier:
    return CitizenNotifier(sqlite_store.cases, sqlite_store.mentions, sqlite_store.outbox, default_templates(),
                           load_agencies(CONFIG / "agencies.yaml"), clock)


def test_a_case_resolved_on_the_dashboard_is_told_to_the_citizen_once(sqlite_store: Store, clock: ManualClock,
                                                                      notifier: CitizenNotifier) -> None:
    on_x = opened_case(sqlite_store, Platform.TWITTER, "1890", "twitter.mentions")
    english = opened_case(sqlite_store, Platform.FACEBOOK, "m_1", "facebook.messenger", "The street light is out",
                          author="psid-7")
    on_pantip = opened_case(sqlite_store, Platform.PANTIP, "topic:1", "pantip")
    assert notifier.run_once() == 0
    for case_id in (on_x, english, on_pantip):
        clock.advance(1)
        sqlite_store.cases.change_status(case_id, CaseStatus.RESOLVED, by="dashboard:pr1")

    assert notifier.run_once() == 3
    assert notifier.run_once() == 0  # keyed: never twice
    x_notice = sqlite_store.outbox.by_key(resolution_key(on_x))
    en_notice = sqlite_store.outbox.by_key(resolution_key(english))
    pantip_notice = sqlite_store.outbox.by_key(resolution_key(on_pantip))
    assert x_notice is not None and (x_notice.target, x_notice.status) == ("tweet:1890", ReplyStatus.PENDING)
    assert "แก้ไขแล้ว" in x_notice.text and "กรุงเทพมหานคร" in x_notice.text
    assert en_notice is not None and en_notice.target == "messenger:psid-7" and "resolved" in en_notice.text
    assert pantip_notice is not None and (pantip_notice.kind, pantip_notice.status) == (ReplyKind.MANUAL,
                                                                                        ReplyStatus.REVIEW)


def test_a_resolution_after_the_messenger_window_waits_for_staff(sqlite_store: Store, clock: ManualClock,
                                                                 notifier: CitizenNotifier) -> None:
    case_id = opened_case(sqlite_store, Platform.FACEBOOK, "m_2", "facebook.messenger", author="psid-8")
    clock.advance(timedelta(days=2).total_seconds())
    sqlite_store.cases.change_status(case_id, CaseStatus.RESOLVED, by="dashboard:pr1")
    notifier.run_once()
    notice = sqlite_store.outbox.by_key(resolution_key(case_id))
    assert notice is not None and notice.status is ReplyStatus.REVIEW and "24-hour" in notice.error


def test_the_throttle_counts_each_user_alone_and_forgives_after_the_window(clock: ManualClock) -> None:
    throttle = UserThrottle(clock, limit=3, window_seconds=60)
    flood = [throttle.check(1) for _ in range(6)]
    assert flood == [Verdict.ALLOW] * 3 + [Verdict.NOTIFY, Verdict.DROP, Verdict.DROP]
    assert throttle.check(2) is Verdict.ALLOW
    clock.advance(60)
    assert throttle.check(1) is Verdict.ALLOW


def test_the_throttle_forgets_quiet_senders_so_memory_stays_bounded(clock: ManualClock) -> None:
    throttle = UserThrottle(clock, limit=1, window_seconds=10, max_users=100)
    for user in range(100):
        throttle.check(user)
    clock.advance(11)
    throttle.check(1000)
    assert throttle.check(1000) is Verdict.NOTIFY and len(throttle._senders) <= 2


def test_a_kick_runs_the_pipeline_at_once_and_a_failing_step_does_not_stop_the_rest() -> None:
    ran: list[str] = []

    def broken() -> int:
        raise RuntimeError("database away")

    pipeline = Pipeline([("respond", lambda: ran.append("respond") or 1), ("notify", broken),
                         ("dispatch", lambda: ran.append("dispatch") or 2)])

    async def kicked_once() -> None:
        service = asyncio.ensure_future(pipeline.serve(idle_seconds=3600))
        pipeline.kick.signal()
        while len(ran) < 2:
            await asyncio.sleep(0)
            await asyncio.to_thread(lambda: None)
        service.cancel()

    asyncio.run(asyncio.wait_for(kicked_once(), timeout=10))
    assert ran == ["respond", "dispatch"]
    assert pipeline.locked("dispatch")() == 2


def test_a_kick_is_consumed_by_one_wait() -> None:
    kick = Kick()
    kick.signal()
    assert kick.wait(0) is True and kick.wait(0) is False


def test_build_system_adds_the_answering_side_from_settings(tmp_path: object, clock: ManualClock) -> None:
    env = {"GCC1111_DATA_DIR": str(tmp_path), "GCC1111_TELEGRAM__TOKEN": "7111111111:AAH-sandbox_GCC1111-test-token0",
           "GCC1111_TELEGRAM__BASE_URL": "http://127.0.0.1:9/bot", "GCC1111_TELEGRAM__CHANNEL_ID": "@gcc1111_news",
           "GCC1111_TWITTER__CONSUMER_KEY": "k", "GCC1111_TWITTER__CONSUMER_SECRET": "s",
           "GCC1111_TWITTER__ACCESS_TOKEN": "t", "GCC1111_TWITTER__ACCESS_TOKEN_SECRET": "ts",
           "GCC1111_TWITTER__USER_ID": "1460000000000001111", "GCC1111_TWITTER__BEARER_TOKEN": "b"}
    system = build_system(load_settings(env), clock, telegram_bot=True)
    try:
        names = [stage.name for stage in system.stages]
        assert names[-3:] == ["respond", "notify", "dispatch"]
        assert len(system.services) == 3  # pipeline, bot, broadcasts
        assert system.stages[-1].run_once() == 0
    finally:
        system.close()


def test_a_webhook_without_a_secret_is_refused_at_start(tmp_path: object, clock: ManualClock) -> None:
    from core.errors import ConfigError

    env = {"GCC1111_DATA_DIR": str(tmp_path), "GCC1111_TELEGRAM__TOKEN": "7111111111:AAH-sandbox_GCC1111-test-token0",
           "GCC1111_TELEGRAM__WEBHOOK_URL": "https://desk.example/telegram"}
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
        build_system(load_settings(env), clock, telegram_bot=True)


