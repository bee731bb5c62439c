"""Staff actions: create, preview with each platform's length rules, four-eyes approval, emergency, cancel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from broadcast_support import APPROVER, AUTHOR, CHIEF, OTHER_PR, PASSWORD, add_staff, build_desk

from config.broadcast_wiring import Broadcasting
from core.clock import ManualClock
from core.domain import BroadcastStatus, DeliveryStatus, Platform, Role, User
from core.store import Store
from core.store.broadcasts import BroadcastRuleError
from sandbox.feeds import FeedsSandbox

TEMPLATES = Path(__file__).resolve().parent.parent / "broadcasts" / "templates"


@pytest.fixture
def feeds_server(clock: ManualClock) -> Iterator[FeedsSandbox]:
    server = FeedsSandbox(clock)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def desk(sqlite_store: Store, clock: ManualClock, feeds_server: FeedsSandbox) -> Broadcasting:
    add_staff(sqlite_store)
    return build_desk(sqlite_store, clock, {}, env=feeds_server.env())


def actions(store: Store) -> list[str]:
    return [event.action for event in reversed(store.audit.recent(50))]


def test_the_author_cannot_approve_their_own_broadcast_and_the_refusal_is_audited(
        store: Store, clock: ManualClock, feeds_server: FeedsSandbox) -> None:
    add_staff(store)
    desk = build_desk(store, clock, {}, env=feeds_server.env())
    made = desk.workflow.create(by=AUTHOR, channels=[Platform.TELEGRAM], text="พรุ่งนี้ศูนย์ 1111 เปิดตามปกติ",
                                run_at=clock.now() + timedelta(hours=2))
    assert made.id is not None and made.status is BroadcastStatus.DRAFT

    with pytest.raises(BroadcastRuleError, match="ต้องเป็นอีกคนหนึ่ง"):
        desk.workflow.approve(made.id, AUTHOR)
    with pytest.raises(BroadcastRuleError, match="ไม่มีสิทธิ์"):
        desk.workflow.approve(made.id, OTHER_PR)  # a PR officer is not an approver
    approved = desk.workflow.approve(made.id, APPROVER)

    assert (approved.status, approved.approver, approved.emergency) == (BroadcastStatus.APPROVED, APPROVER, False)
    assert actions(store) == ["broadcast.create", "broadcast.approve_refused", "broadcast.approve_refused",
                              "broadcast.approve"]
    refusal = next(e for e in reversed(store.audit.recent(10)) if e.action == "broadcast.approve_refused")
    assert refusal.actor == AUTHOR and refusal.target == f"broadcast:{made.id}" and "อีกคน" in refusal.detail["reason"]


def test_an_emergency_post_skips_the_second_person_only_for_users_allowed_to(
        desk: Broadcasting, sqlite_store: Store, clock: ManualClock) -> None:
    urgent = desk.workflow.create(by=CHIEF, channels=[Platform.TELEGRAM, Platform.FACEBOOK],
                                  text="แจ้งเตือนด่วน: น้ำป่าไหลหลากบ้านแม่กำปอง ให้อพยพขึ้นที่สูงทันที", run_at=clock.now())
    ordinary = desk.workflow.create(by=OTHER_PR, channels=[Platform.TELEGRAM], text="ข่าวด่วน", run_at=clock.now())
    assert urgent.id is not None and ordinary.id is not None

    with pytest.raises(BroadcastRuleError, match="ไม่มีสิทธิ์โพสต์เร่งด่วน"):
        desk.workflow.approve(ordinary.id, OTHER_PR, emergency=True)
    with pytest.raises(BroadcastRuleError, match="ไม่มีสิทธิ์โพสต์เร่งด่วน"):
        desk.workflow.approve(ordinary.id, APPROVER, emergency=True)  # approving is not emergency posting
    approved = desk.workflow.approve(urgent.id, CHIEF, emergency=True)

    assert (approved.status, approved.approver, approved.emergency) == (BroadcastStatus.APPROVED, CHIEF, True)
    emergency = next(e for e in sqlite_store.audit.recent(20) if e.action == "broadcast.emergency_approve")
    assert emergency.actor == CHIEF and emergency.detail["author"] == CHIEF
    assert actions(sqlite_store).count("broadcast.emergency_refused") == 2


def test_create_refuses_what_could_never_be_published(desk: Broadcasting, sqlite_store: Store,
                                                      clock: ManualClock) -> None:
    soon = clock.now() + timedelta(hours=1)
    cases = [
        (dict(by=AUTHOR, channels=[Platform.INSTAGRAM], text="x", run_at=soon), "เลือกช่องทาง"),
        (dict(by=AUTHOR, channels=[Platform.TELEGRAM], text="", run_at=soon), "ต้องมีข้อความ"),
        (dict(by=AUTHOR, channels=[Platform.TELEGRAM], template="lottery", run_at=soon), "ไม่พบแม่แบบ"),
        (dict(by=AUTHOR, channels=[Platform.TELEGRAM], text="x", run_at=soon, cron="0 9 * * *"), "อย่างใดอย่างหนึ่ง"),
        (dict(by=AUTHOR, channels=[Platform.TELEGRAM], text="x", cron="0 25 * * *"), "cron อ่านไม่ได้"),
        (dict(by=AUTHOR, channels=[Platform.TELEGRAM], text="x", run_at=clock.now() - timedelta(days=1)), "ผ่านไปแล้ว"),
        (dict(by="nobody", channels=[Platform.TELEGRAM], text="x", run_at=soon), "ไม่พบผู้ใช้"),
    ]
    for arguments, message in cases:
        with pytest.raises(BroadcastRuleError, match=message):
            desk.workflow.create(**arguments)  # type: ignore[arg-type]
    sqlite_store.users.add(User(username="analyst.pim", role=Role.ANALYST), PASSWORD)
    with pytest.raises(BroadcastRuleError, match="ไม่มีสิทธิ์"):
        desk.workflow.create(by="analyst.pim", channels=[Platform.TELEGRAM], text="x", run_at=soon)
    assert sqlite_store.broadcasts.with_status() == []


def test_preview_measures_each_channel_as_its_platform_counts_and_warns_before_approval(
        desk: Broadcasting, clock: ManualClock) -> None:
    long_thai = "ประชาสัมพันธ์ " + "ขอเชิญชวนประชาชนร่วมงานกาชาดประจำปี " * 9 + "https://www.redcross.or.th/news/2569"
    made = desk.workflow.create(by=AUTHOR, channels=[Platform.TWITTER, Platform.TELEGRAM, Platform.FACEBOOK],
                                text=long_thai, run_at=clock.now() + timedelta(hours=3))
    assert made.id is not None
    shown = desk.workflow.preview(made.id)
    x, telegram, facebook = shown.channels

    assert shown.ok and x.limit == 280 and telegram.limit == 4096 and facebook.limit == 63_206
    assert x.length == len(long_thai) - len("https://www.redcross.or.th/news/2569") + 23  # Thai 1, the link 23
    assert not x.fits and any("ตัดท้าย" in w for w in x.warnings) and any("23" in w for w in x.warnings)
    assert telegram.fits and not telegram.warnings and facebook.fits
    approved = desk.workflow.approve(made.id, APPROVER)  # a warning informs; it does not block
    assert approved.status is BroadcastStatus.APPROVED


def test_a_template_error_is_caught_at_preview_and_approval_never_at_publish(
        tmp_path: Path, sqlite_store: Store, clock: ManualClock, feeds_server: FeedsSandbox) -> None:
    store = sqlite_store
    add_staff(store)
    for name in ("gold", "announcement"):
        (tmp_path / f"{name}.j2").write_text((TEMPLATES / f"{name}.j2").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "gold_typo.j2").write_text("ราคาทองขายออก {{ gold.bar_sel | baht }}", encoding="utf-8")
    (tmp_path / "broken.j2").write_text("ราคาทอง {{ gold.bar_sell | baht }", encoding="utf-8")
    (tmp_path / "stranger.j2").write_text("ราคา {{ lottery.first_prize }}", encoding="utf-8")
    (tmp_path / "raw_date.j2").write_text("ทอง ณ {{ gold.as_of }}", encoding="utf-8")
    desk = build_desk(store, clock, {}, env=feeds_server.env(), templates_dir=tmp_path)
    soon = clock.now() + timedelta(hours=1)

    problems = {}
    for template in ("gold_typo", "broken", "stranger", "raw_date", "announcement"):
        made = desk.workflow.create(by=AUTHOR, channels=[Platform.TELEGRAM], template=template, run_at=soon)
        assert made.id is not None
        problems[template] = desk.workflow.preview(made.id).error
        with pytest.raises(BroadcastRuleError, match="แม่แบบมีปัญหา"):
            desk.workflow.approve(made.id, APPROVER)
        assert store.broadcasts.get(made.id).status is BroadcastStatus.DRAFT  # type: ignore[union-attr]

    assert "bar_sel" in problems["gold_typo"]
    assert "บรรทัด 1" in problems["broken"]
    assert "lottery" in problems["stranger"]
    assert "thai_date" in problems["raw_date"]
    assert "--text" in problems["announcement"]  # the announcement template shows the text: there is none
    good = desk.workflow.create(by=AUTHOR, channels=[Platform.TELEGRAM], template="gold", run_at=soon)
    assert good.id is not None and desk.workflow.preview(good.id).ok
    assert desk.workflow.approve(good.id, APPROVER).status is BroadcastStatus.APPROVED


def test_preview_falls_back_to_sample_data_when_a_feed_is_down_and_says_so(
        desk: Broadcasting, feeds_server: FeedsSandbox, clock: ManualClock) -> None:
    feeds_server.server_error("oil", 503, times=None)
    made = desk.workflow.create(by=AUTHOR, channels=[Platform.TELEGRAM], template="oil",
                                run_at=clock.now() + timedelta(hours=1))
    assert made.id is not None
    shown = desk.workflow.preview(made.id)
    assert shown.ok and "ราคาน้ำมัน" in shown.channels[0].text
    assert len(shown.notes) == 1 and "ข้อมูลตัวอย่าง" in shown.notes[0] and "503" in shown.notes[0]


def test_cancel_stops_waiting_occurrences_and_is_audited(desk: Broadcasting, sqlite_store: Store,
                                                         clock: ManualClock) -> None:
    made = desk.workflow.create(by=AUTHOR, channels=[Platform.TELEGRAM, Platform.FACEBOOK], text="ประกาศวันหยุด",
                                run_at=clock.now() + timedelta(minutes=5))
    assert made.id is not None
    desk.workflow.approve(made.id, APPROVER)
    desk.scheduler.tick()  # planned: one pending delivery per channel
    assert [d.status for d in sqlite_store.broadcasts.deliveries(made.id)] == [DeliveryStatus.PENDING] * 2

    cancelled = desk.workflow.cancel(made.id, OTHER_PR, "วันหยุดถูกเลื่อน")
    assert cancelled.status is BroadcastStatus.CANCELLED
    assert [d.status for d in sqlite_store.broadcasts.deliveries(made.id)] == [DeliveryStatus.FAILED] * 2
    with pytest.raises(BroadcastRuleError, match="ยกเลิกไม่ได้"):
        desk.workflow.cancel(made.id, OTHER_PR)
    assert actions(sqlite_store)[-2:] == ["broadcast.cancel", "broadcast.cancel_refused"]
