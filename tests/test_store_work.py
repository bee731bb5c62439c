"""Outbox, cases, users and audit on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import ManualClock
from core.domain import CaseStatus, Mention, Platform, Reply, ReplyKind, ReplyStatus, Role, User
from core.store import Store
from core.store.cases import CaseTransitionError, tracking_number


def stored_mention(store: Store, external_id: str = "1") -> int:
    store.mentions.ingest("x", [Mention(Platform.TWITTER, external_id, "ถนนพัง", datetime(2026, 11, 1, tzinfo=UTC),
                                        "twitter.search")], None)
    found = store.mentions.find(Platform.TWITTER, external_id)
    assert found is not None and found.id is not None
    return found.id


def reply(store: Store, key: str, mention_id: int | None = None) -> Reply:
    return Reply(key=key, kind=ReplyKind.ANSWER, platform=Platform.TWITTER, target="123", text="สวัสดีค่ะ",
                 status=ReplyStatus.PENDING, created_at=store.clock.now(), mention_id=mention_id)


def test_outbox_keys_make_a_second_enqueue_harmless(store: Store) -> None:
    mention_id = stored_mention(store)
    assert store.outbox.enqueue(reply(store, "answer:mention:1", mention_id)) is True
    assert store.outbox.enqueue(reply(store, "answer:mention:1", mention_id)) is False
    assert len(store.outbox.for_mention(mention_id)) == 1


def test_claiming_records_intent_and_a_crash_leaves_it_in_doubt(store: Store, clock: ManualClock) -> None:
    store.outbox.enqueue(reply(store, "a"))
    store.outbox.enqueue(reply(store, "b"))

    claimed = store.outbox.claim_due()
    again = store.outbox.claim_due()  # nothing is handed out twice

    assert [r.key for r in claimed] == ["a", "b"]
    assert all(r.status is ReplyStatus.SENDING and r.attempts == 1 for r in claimed)
    assert again == []
    assert [r.key for r in store.outbox.in_doubt()] == ["a", "b"]
    assert claimed[0].id is not None
    store.outbox.mark_sent(claimed[0].id, "tweet-9")
    assert [r.key for r in store.outbox.in_doubt()] == ["b"]
    sent = store.outbox.by_key("a")
    assert sent is not None and (sent.status, sent.platform_message_id, sent.sent_at) == (
        ReplyStatus.SENT, "tweet-9", clock.now())


def test_retry_waits_until_its_time(store: Store, clock: ManualClock) -> None:
    store.outbox.enqueue(reply(store, "a"))
    first = store.outbox.claim_due()[0]
    assert first.id is not None
    store.outbox.retry_later(first.id, "HTTP 503", clock.now() + timedelta(seconds=30))

    assert store.outbox.claim_due() == []
    clock.advance(30)
    assert [(r.key, r.attempts) for r in store.outbox.claim_due()] == [("a", 2)]


def test_dead_failed_and_review_are_visible_lists(store: Store) -> None:
    for key in ("dead", "failed", "review"):
        store.outbox.enqueue(reply(store, key))
    by_key = {r.key: r.id for r in store.outbox.claim_due()}
    store.outbox.mark_dead(by_key["dead"] or 0, "6 attempts: HTTP 500")
    store.outbox.mark_failed(by_key["failed"] or 0, "comment deleted")
    store.outbox.hold_for_review(by_key["review"] or 0, "low confidence")

    assert [r.key for r in store.outbox.with_status(ReplyStatus.DEAD, ReplyStatus.FAILED)] == ["failed", "dead"]
    store.outbox.release(by_key["review"] or 0, text="ข้อความที่แก้แล้ว")
    released = store.outbox.claim_due()
    assert [(r.key, r.text) for r in released] == [("review", "ข้อความที่แก้แล้ว")]


def test_a_case_opens_once_per_mention_with_a_readable_number(store: Store, clock: ManualClock) -> None:
    mention_id = stored_mention(store)
    due = clock.now() + timedelta(hours=48)
    with store.engine.begin() as conn:
        case, new = store.cases.open(conn, mention_id=mention_id, agency="BMA", sla_due_at=due, urgent=True)
    with store.engine.begin() as conn:
        same, again = store.cases.open(conn, mention_id=mention_id, agency="BMA", sla_due_at=due)

    assert (new, again) == (True, False)
    assert same.tracking_number == case.tracking_number == tracking_number(clock.now(), case.id or 0)
    assert case.tracking_number.startswith("GCC-2611-")
    assert store.cases.by_number(case.tracking_number.lower()) == case


def test_case_workflow_moves_forward_and_records_who(store: Store, clock: ManualClock) -> None:
    mention_id = stored_mention(store)
    with store.engine.begin() as conn:
        case, _ = store.cases.open(conn, mention_id=mention_id, agency="MOI", sla_due_at=clock.now())
    assert case.id is not None
    store.cases.change_status(case.id, CaseStatus.ROUTED, "system")
    store.cases.change_status(case.id, CaseStatus.IN_PROGRESS, "coord.moi", "รับเรื่องแล้ว")
    store.cases.add_note(case.id, "ประสานเทศบาลแล้ว", "coord.moi")
    done = store.cases.change_status(case.id, CaseStatus.RESOLVED, "coord.moi")
    with pytest.raises(CaseTransitionError):
        store.cases.change_status(case.id, CaseStatus.NEW, "coord.moi")

    assert done.status is CaseStatus.RESOLVED
    assert [(e["kind"], e["status"], e["by"]) for e in store.cases.events(case.id)] == [
        ("status", "new", "system"), ("status", "routed", "system"), ("status", "in_progress", "coord.moi"),
        ("note", None, "coord.moi"), ("status", "resolved", "coord.moi")]


def test_overdue_cases_are_found_per_agency(store: Store, clock: ManualClock) -> None:
    ids = [stored_mention(store, str(n)) for n in range(3)]
    with store.engine.begin() as conn:
        store.cases.open(conn, mention_id=ids[0], agency="MOI", sla_due_at=clock.now() + timedelta(hours=1))
        store.cases.open(conn, mention_id=ids[1], agency="MOI", sla_due_at=clock.now() + timedelta(hours=5))
        store.cases.open(conn, mention_id=ids[2], agency="RTP", sla_due_at=clock.now() + timedelta(hours=1))
    clock.advance(hours=2)
    assert [c.mention_id for c in store.cases.overdue("MOI")] == [ids[0]]
    assert len(store.cases.for_agency(None)) == 3


def test_users_lock_out_after_repeated_failures(store: Store, clock: ManualClock) -> None:
    store.users.add(User(username="analyst1", role=Role.ANALYST), "correct horse battery")
    for _ in range(5):
        assert store.users.authenticate("analyst1", "wrong password!") is None
    assert store.users.is_locked("analyst1")
    assert store.users.authenticate("analyst1", "correct horse battery") is None  # locked, even when right
    clock.advance(minutes=16)
    user = store.users.authenticate("analyst1", "correct horse battery")
    assert user is not None and user.role is Role.ANALYST
    assert store.users.authenticate("nobody", "whatever-password") is None


def test_audit_log_keeps_every_action_in_order(store: Store) -> None:
    store.audit.record("somsri", "mention.relabel", "mention:1", label="complaint")
    store.audit.record("admin", "user.add", "k")
    events = store.audit.recent()
    assert [(e.actor, e.action, e.detail) for e in events] == [
        ("admin", "user.add", {}), ("somsri", "mention.relabel", {"label": "complaint"})]
