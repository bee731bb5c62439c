"""The scheduler's decisions driven by a ManualClock: on time, once, late policy, retries, crashes, the lease.

`BroadcastScheduler.tick()` is the whole decision for one moment; the tests call it at chosen clock times
instead of running timers (the AsyncIOScheduler only decides *when* to call it: see the service test).
Posters are recording fakes of core.ports.Poster; test_broadcast_e2e.py uses the real ones.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from broadcast_support import (
    APPROVER,
    RecordingPoster,
    add_staff,
    approved_one_off,
    approved_recurring,
    at_bangkok,
    build_desk,
    deliveries_of,
    recording_posters,
)

from broadcasts.scheduler import TickReport
from config.broadcast_wiring import Broadcasting
from core.clock import BANGKOK, ManualClock
from core.domain import BroadcastStatus, DeliveryStatus, Platform, ReplyKind, ReplyStatus
from core.errors import DuplicatePost, PublishError
from core.store import Store

DUTY = {"GCC1111_TELEGRAM__TOKEN": "7111111111:AAH-test", "GCC1111_TELEGRAM__DUTY_CHAT_ID": "-1001111000001"}


@pytest.fixture
def posters() -> dict[Platform, RecordingPoster]:
    return recording_posters()


@pytest.fixture
def desk(sqlite_store: Store, clock: ManualClock, posters: dict[Platform, RecordingPoster]) -> Broadcasting:
    add_staff(sqlite_store)
    return build_desk(sqlite_store, clock, posters, env=DUTY)


def test_a_one_off_goes_out_once_on_each_channel_at_its_time_not_before(
        desk: Broadcasting, sqlite_store: Store, clock: ManualClock, posters: dict[Platform, RecordingPoster]) -> None:
    due = clock.now() + timedelta(minutes=5)
    broadcast = approved_one_off(desk, due, text="ศูนย์ 1111 เปิดให้บริการตลอด 24 ชั่วโมงช่วงวันหยุดยาว",
                                 channels=(Platform.TELEGRAM, Platform.FACEBOOK, Platform.TWITTER))
    assert desk.scheduler.tick().planned == 3
    clock.set(due - timedelta(seconds=1))
    desk.scheduler.tick()
    assert all(not poster.posts for poster in posters.values())

    clock.set(due)
    assert desk.scheduler.tick().published == 3
    for _ in range(3):
        clock.advance(60)
        desk.scheduler.tick()

    assert [len(p.posts) for p in posters.values()] == [1, 1, 1]
    done = deliveries_of(sqlite_store, broadcast)
    assert {d.status for d in done} == {DeliveryStatus.PUBLISHED} and all(d.platform_post_id and d.url for d in done)
    assert all(d.published_at == due and d.attempts == 1 for d in done)
    assert sqlite_store.broadcasts.get(broadcast.id).status is BroadcastStatus.PUBLISHED  # type: ignore[arg-type,union-attr]


def test_late_by_minutes_publishes_with_the_real_time_late_by_hours_holds_for_a_person(
        desk: Broadcasting, sqlite_store: Store, clock: ManualClock, posters: dict[Platform, RecordingPoster]) -> None:
    soon = approved_one_off(desk, clock.now() + timedelta(minutes=5), text="ประชุมประจำเดือน")
    later = approved_one_off(desk, clock.now() + timedelta(minutes=8), text="ประกาศรับสมัครงาน")
    desk.scheduler.tick()  # planned, then the process is down for a while
    clock.advance(minutes=17)
    desk.scheduler.tick()
    (posted,) = deliveries_of(sqlite_store, soon)
    assert posted.status is DeliveryStatus.PUBLISHED
    assert posted.text.endswith("(เผยแพร่เวลา 09:17 น. ช้ากว่ากำหนด 09:05 น.)")  # the post tells the real time

    stuck = approved_one_off(desk, clock.now() + timedelta(minutes=5), text="แจ้งปิดปรับปรุงระบบ")
    desk.scheduler.tick()
    clock.advance(hours=3)  # down for three hours: a 30-minute late window is long past
    desk.scheduler.tick()
    (held,) = deliveries_of(sqlite_store, stuck)
    assert held.status is DeliveryStatus.HELD and "ช้าไป 2 ชม. 55 นาที" in held.error
    (on_time_enough,) = deliveries_of(sqlite_store, later)
    assert [text for _, text in posters[Platform.TELEGRAM].posts] == [posted.text, on_time_enough.text]
    alert = sqlite_store.outbox.by_key(f"broadcast-alert:{held.id}:held")
    assert alert is not None and (alert.kind, alert.target, alert.status) == (
        ReplyKind.ALERT, "chat:-1001111000001", ReplyStatus.PENDING)
    assert "พักไว้" in alert.text
    assert any(e.action == "broadcast.held" and e.target == f"delivery:{held.id}" for e in sqlite_store.audit.recent())


def test_an_unreachable_channel_is_retried_with_backoff_then_marked_failed_with_the_reason(
        desk: Broadcasting, sqlite_store: Store, clock: ManualClock, posters: dict[Platform, RecordingPoster]) -> None:
    telegram = posters[Platform.TELEGRAM]
    telegram.failures = [PublishError("Telegram unreachable (connection refused)")] * 2
    recovers = approved_one_off(desk, clock.now() + timedelta(minutes=1), text="ประกาศ ก")
    clock.advance(minutes=1)
    desk.scheduler.tick()
    (first,) = deliveries_of(sqlite_store, recovers)
    wait = desk.publisher.not_before[first.id] - clock.now()  # type: ignore[index]
    assert first.status is DeliveryStatus.PENDING and timedelta(seconds=5) <= wait <= timedelta(seconds=10)
    desk.scheduler.tick()
    assert not telegram.posts  # the wait is a computed time, respected
    clock.advance(wait.total_seconds())
    desk.scheduler.tick()
    clock.advance(20)
    desk.scheduler.tick()
    (done,) = deliveries_of(sqlite_store, recovers)
    assert (done.status, done.attempts, len(telegram.posts)) == (DeliveryStatus.PUBLISHED, 3, 1)

    telegram.failures = [PublishError("Telegram unreachable (connection refused)")] * 10
    gives_up = approved_one_off(desk, clock.now() + timedelta(minutes=1), text="ประกาศ ข")
    for _ in range(8):
        clock.advance(minutes=5)
        desk.scheduler.tick()
    (failed,) = deliveries_of(sqlite_store, gives_up)
    assert failed.status is DeliveryStatus.FAILED and failed.attempts == 5
    assert "5 ครั้ง" in failed.error and "connection refused" in failed.error
    assert sqlite_store.broadcasts.get(gives_up.id).status is BroadcastStatus.FAILED  # type: ignore[arg-type,union-attr]
    assert sqlite_store.outbox.by_key(f"broadcast-alert:{failed.id}:failed") is not None


def test_a_duplicate_refusal_counts_as_published_and_a_permanent_refusal_fails_at_once(
        desk: Broadcasting, sqlite_store: Store, clock: ManualClock, posters: dict[Platform, RecordingPoster]) -> None:
    posters[Platform.TWITTER].failures = [DuplicatePost("duplicate content", existing_id="1599")]
    posters[Platform.FACEBOOK].failures = [PublishError("(#200) Permissions error", permanent=True)]
    broadcast = approved_one_off(desk, clock.now() + timedelta(minutes=1), text="ประกาศวันหยุด",
                                 channels=(Platform.TWITTER, Platform.FACEBOOK))
    clock.advance(minutes=1)
    desk.scheduler.tick()
    x, facebook = sorted(deliveries_of(sqlite_store, broadcast), key=lambda d: d.channel.value != "twitter")
    assert (x.status, x.platform_post_id) == (DeliveryStatus.PUBLISHED, "1599")
    assert (facebook.status, facebook.attempts) == (DeliveryStatus.FAILED, 1)
    assert facebook.error == "(#200) Permissions error"


@pytest.mark.parametrize("on_platform", [True, False], ids=["posted-before-crash", "not-posted-before-crash"])
def test_a_crash_in_flight_is_reconciled_with_the_platform_before_any_retry(
        on_platform: bool, desk: Broadcasting, sqlite_store: Store, clock: ManualClock,
        posters: dict[Platform, RecordingPoster]) -> None:
    x = posters[Platform.TWITTER]
    broadcast = approved_one_off(desk, clock.now() + timedelta(minutes=1), text="ประกาศผลสอบ",
                                 channels=(Platform.TWITTER,))
    desk.scheduler.tick()
    clock.advance(minutes=1)
    (planned,) = deliveries_of(sqlite_store, broadcast)
    assert sqlite_store.broadcasts.claim_delivery(planned.id, "ประกาศผลสอบ")  # type: ignore[arg-type]
    if on_platform:
        x.posts.append(("crashed", "ประกาศผลสอบ"))  # the platform took it; the process died before recording
    restarted = build_desk(sqlite_store, clock, posters, holder="test-host:2")
    clock.advance(seconds=31)  # the dead holder's lease runs out

    restarted.scheduler.tick()
    assert x.lookups == 0  # seen in flight once: not yet judged (the old holder might still be mid-request)
    clock.advance(minutes=2)
    restarted.scheduler.tick()
    restarted.scheduler.tick()

    (done,) = deliveries_of(sqlite_store, broadcast)
    assert done.status is DeliveryStatus.PUBLISHED and x.lookups == 1
    assert [text for _, text in x.posts] == ["ประกาศผลสอบ"]  # exactly once either way
    assert done.attempts == (1 if on_platform else 2)


def test_a_platform_that_cannot_tell_gets_the_occurrence_held_never_posted_twice(
        desk: Broadcasting, sqlite_store: Store, clock: ManualClock, posters: dict[Platform, RecordingPoster]) -> None:
    telegram = posters[Platform.TELEGRAM]
    telegram.can_confirm = False
    broadcast = approved_one_off(desk, clock.now() + timedelta(minutes=1), text="ประกาศด่วน")
    desk.scheduler.tick()
    clock.advance(minutes=1)
    (planned,) = deliveries_of(sqlite_store, broadcast)
    sqlite_store.broadcasts.claim_delivery(planned.id, "ประกาศด่วน")  # type: ignore[arg-type]
    restarted = build_desk(sqlite_store, clock, posters, holder="test-host:2", env=DUTY)
    for _ in range(3):
        clock.advance(minutes=2)
        restarted.scheduler.tick()
    (held,) = deliveries_of(sqlite_store, broadcast)
    assert held.status is DeliveryStatus.HELD and "ตรวจช่องทาง" in held.error and not telegram.posts
    assert sqlite_store.outbox.by_key(f"broadcast-alert:{held.id}:in_doubt") is not None

    restarted.workflow.release(held.id, APPROVER)  # type: ignore[arg-type]  # a person checked: it is missing
    restarted.scheduler.tick()
    assert [text for _, text in telegram.posts] == ["ประกาศด่วน"]
    assert sqlite_store.broadcasts.get(broadcast.id).status is BroadcastStatus.PUBLISHED  # type: ignore[arg-type,union-attr]


def test_after_long_downtime_a_recurring_post_is_held_once_not_replayed(
        desk: Broadcasting, sqlite_store: Store, clock: ManualClock, posters: dict[Platform, RecordingPoster]) -> None:
    hourly = approved_recurring(desk, "0 * * * *", template="announcement", text="ตรวจสอบสถานะบริการ")
    desk.scheduler.tick()
    clock.set(at_bangkok(clock, 10))
    desk.scheduler.tick()  # 10:00 Bangkok: on time
    clock.set(at_bangkok(clock, 16, 20))  # the desk was down from 10:00 to 16:20
    desk.scheduler.tick()

    by_hour = {d.scheduled_for.astimezone(BANGKOK).hour: d.status for d in deliveries_of(sqlite_store, hourly)}
    assert by_hour == {10: DeliveryStatus.PUBLISHED, 16: DeliveryStatus.PUBLISHED, 15: DeliveryStatus.HELD}
    assert len(posters[Platform.TELEGRAM].posts) == 2
    skipped = next(e for e in sqlite_store.audit.recent() if e.action == "broadcast.skipped")
    assert skipped.detail["occurrences"] == 4  # 11:00 to 14:00, never posted and never piled up


def test_two_schedulers_on_one_database_publish_each_occurrence_once(store: Store, clock: ManualClock) -> None:
    add_staff(store)
    posters = recording_posters(Platform.TELEGRAM)
    env = {"GCC1111_BROADCASTS__LEASE_SECONDS": "120"}
    host_a = build_desk(store, clock, posters, holder="host-a:11", env=env)
    host_b = build_desk(store, clock, posters, holder="host-b:22", env=env)
    recurring = approved_recurring(host_a, "*/10 * * * *", text="ทดสอบระบบแจ้งเตือน")
    one_off = approved_one_off(host_a, clock.now() + timedelta(minutes=3), text="ประกาศครั้งเดียว")

    leaders: dict[int, list[str]] = {}
    for minute in range(41):  # both tick every minute, in alternating order; host-a dies after minute 25
        alive = (host_a, host_b) if minute <= 25 else (host_b,)
        for desk in alive if minute % 2 == 0 else tuple(reversed(alive)):
            if desk.scheduler.tick().leader:
                leaders.setdefault(minute, []).append(desk.scheduler.holder)
        clock.advance(minutes=1)

    assert all(leaders[minute] == ["host-a:11"] for minute in range(26))  # one leader at a time, host-b waits
    assert all(leaders[minute] == ["host-b:22"] for minute in range(28, 41))  # then takes over the lapsed lease
    texts = [text for _, text in posters[Platform.TELEGRAM].posts]
    assert texts == ["ประกาศครั้งเดียว"] + ["ทดสอบระบบแจ้งเตือน"] * 4  # 09:03, then 09:10 09:20 09:30 09:40
    assert [d.status for d in deliveries_of(store, one_off)] == [DeliveryStatus.PUBLISHED]
    assert [d.scheduled_for.astimezone(BANGKOK).strftime("%H:%M") for d in deliveries_of(store, recurring)
            if d.status is DeliveryStatus.PUBLISHED] == ["09:10", "09:20", "09:30", "09:40"]


def test_the_asyncio_service_fires_one_apscheduler_date_job_per_due_time_even_when_late(
        desk: Broadcasting, clock: ManualClock, posters: dict[Platform, RecordingPoster],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The desk's clock is set years back, so to APScheduler (which reads the real clock) every due time is
    # already past: with misfire_grace_time=None each date job still runs, at once, exactly once.
    clock.set(datetime(2020, 1, 6, 2, 0, tzinfo=UTC))
    due = clock.now() + timedelta(minutes=4)
    approved_one_off(desk, due, text="ก", channels=(Platform.TELEGRAM, Platform.FACEBOOK))
    approved_one_off(desk, due + timedelta(minutes=1), text="ข")
    fired: list[datetime | None] = []
    publish_due = desk.scheduler.publish_due

    def spy(due_by: datetime | None = None) -> TickReport:
        fired.append(due_by)
        return publish_due(due_by)

    monkeypatch.setattr(desk.scheduler, "publish_due", spy)

    async def run_until_fired() -> None:
        stop = asyncio.Event()
        task = asyncio.ensure_future(desk.service.run(stop))
        for _ in range(500):  # the sync job runs at start; its date jobs follow (bounded wait, no fixed sleep)
            if len(fired) >= 2:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await task

    asyncio.run(run_until_fired())
    assert sorted(fired) == [due, due + timedelta(minutes=1)]  # two channels at one time share one job
    assert not any(p.posts for p in posters.values())  # 4 minutes early on the desk's clock: nothing went out
    assert not desk.scheduler.leader  # stopping hands the lease back
