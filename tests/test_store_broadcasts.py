"""Broadcast persistence on SQLite and PostgreSQL: four eyes, one delivery per occurrence, one lease holder."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import ManualClock
from core.domain import Broadcast, BroadcastStatus, DeliveryStatus, Platform
from core.store import Store
from core.store.broadcasts import BroadcastRuleError


def draft(store: Store, author: str = "pr.somsri") -> Broadcast:
    return store.broadcasts.create(Broadcast(
        title="ประกาศวันหยุด", text="วันที่ 5 ธ.ค. 2569 เป็นวันหยุดราชการ", channels=(Platform.TELEGRAM, Platform.FACEBOOK),
        status=BroadcastStatus.DRAFT, author=author, created_at=store.clock.now(),
        run_at=store.clock.now() + timedelta(hours=1)))


def test_the_author_cannot_approve_their_own_broadcast(store: Store) -> None:
    made = draft(store)
    assert made.id is not None
    with pytest.raises(BroadcastRuleError, match="second person"):
        store.broadcasts.approve(made.id, "pr.somsri")
    approved = store.broadcasts.approve(made.id, "approver.kanya")
    assert (approved.status, approved.approver) == (BroadcastStatus.APPROVED, "approver.kanya")
    assert approved.channels == (Platform.TELEGRAM, Platform.FACEBOOK)
    with pytest.raises(BroadcastRuleError, match="only a draft"):
        store.broadcasts.approve(made.id, "approver.other")


def test_only_drafts_can_be_edited(store: Store) -> None:
    made = draft(store)
    assert made.id is not None
    edited = store.broadcasts.update_draft(made.id, text="แก้ไขแล้ว", channels=["twitter"])
    assert (edited.text, edited.channels) == ("แก้ไขแล้ว", (Platform.TWITTER,))
    store.broadcasts.approve(made.id, "approver.kanya")
    with pytest.raises(BroadcastRuleError):
        store.broadcasts.update_draft(made.id, text="แอบแก้หลังอนุมัติ")


def test_each_occurrence_is_planned_and_claimed_once(store: Store, clock: ManualClock) -> None:
    made = draft(store)
    assert made.id is not None
    at = clock.now() + timedelta(hours=1)
    assert store.broadcasts.plan(made.id, Platform.TELEGRAM, at) is True
    assert store.broadcasts.plan(made.id, Platform.TELEGRAM, at) is False
    (delivery,) = store.broadcasts.deliveries(made.id)
    assert delivery.id is not None

    assert store.broadcasts.claim_delivery(delivery.id, "ข้อความจริง") is True
    assert store.broadcasts.claim_delivery(delivery.id, "ข้อความจริง") is False
    store.broadcasts.finish_delivery(delivery.id, DeliveryStatus.PUBLISHED, platform_post_id="42", url="https://t.me/x/42")
    (done,) = store.broadcasts.deliveries(made.id, DeliveryStatus.PUBLISHED)
    assert (done.platform_post_id, done.text, done.attempts, done.published_at) == ("42", "ข้อความจริง", 1, clock.now())


def test_only_one_scheduler_holds_the_lease_until_it_expires(store: Store, clock: ManualClock) -> None:
    assert store.broadcasts.acquire_lease("scheduler", "host-a", 30) is True
    assert store.broadcasts.acquire_lease("scheduler", "host-b", 30) is False
    clock.advance(20)
    assert store.broadcasts.acquire_lease("scheduler", "host-a", 30) is True  # renewal
    clock.advance(31)
    assert store.broadcasts.acquire_lease("scheduler", "host-b", 30) is True  # a-host died; b takes over
    assert store.broadcasts.acquire_lease("scheduler", "host-a", 30) is False
    store.broadcasts.release_lease("scheduler", "host-b")
    assert store.broadcasts.acquire_lease("scheduler", "host-a", 30) is True
