"""The outbox worker against a recording fake of our Replier interface: exactly once, whatever fails."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from bots.dispatch import Dispatcher, Pace
from core.backoff import Backoff
from core.clock import ManualClock
from core.domain import Platform, Reply, ReplyKind, ReplyStatus
from core.errors import DuplicatePost, PublishError
from core.ports import Sent
from core.store import Store


@dataclass
class RecordingReplier:
    """Records every delivery; raises the scripted errors first."""

    platform: Platform = Platform.TELEGRAM
    can_confirm: bool = True
    errors: list[Exception] = field(default_factory=list)
    delivered: dict[str, str] = field(default_factory=dict)  # key -> text, as the platform would hold it

    def reply(self, target: str, text: str, key: str) -> Sent:
        if self.errors:
            raise self.errors.pop(0)
        self.delivered[key] = text
        return Sent(f"msg-{len(self.delivered)}")

    def find_sent(self, target: str, key: str, text: str) -> Sent | None:
        return Sent("found-" + key) if key in self.delivered else None


def enqueue(store: Store, key: str, platform: Platform = Platform.TELEGRAM) -> None:
    store.outbox.enqueue(Reply(key=key, kind=ReplyKind.ANSWER, platform=platform, target="chat:1:2", text="ตอบ",
                               status=ReplyStatus.PENDING, created_at=store.clock.now()))


def dispatcher(store: Store, clock: ManualClock, replier: RecordingReplier, **kw: object) -> Dispatcher:
    return Dispatcher(store.outbox, {replier.platform: replier}, clock, backoff=Backoff(10, 1800),
                      rng=random.Random(3), paces={}, **kw)  # type: ignore[arg-type]


def status(store: Store, key: str) -> tuple[ReplyStatus, int, str]:
    reply = store.outbox.by_key(key)
    assert reply is not None
    return reply.status, reply.attempts, reply.platform_message_id


def test_due_replies_are_sent_once(sqlite_store: Store, clock: ManualClock) -> None:
    replier = RecordingReplier()
    enqueue(sqlite_store, "a")
    work = dispatcher(sqlite_store, clock, replier)
    assert (work.run_once(), work.run_once()) == (1, 0)
    assert status(sqlite_store, "a") == (ReplyStatus.SENT, 1, "msg-1")
    assert list(replier.delivered) == ["a"]


def test_transient_failures_retry_with_backoff_then_die_visibly(sqlite_store: Store, clock: ManualClock) -> None:
    replier = RecordingReplier(errors=[PublishError("HTTP 502")] * 3)
    enqueue(sqlite_store, "a")
    work = dispatcher(sqlite_store, clock, replier, max_attempts=3)

    work.run_once()
    first = sqlite_store.outbox.by_key("a")
    assert first is not None and first.status is ReplyStatus.PENDING and first.next_attempt_at is not None
    assert timedelta(seconds=5) <= first.next_attempt_at - clock.now() <= timedelta(seconds=10)
    assert work.run_once() == 0  # not due yet
    clock.advance(3600)
    work.run_once()
    clock.advance(3600)
    work.run_once()

    assert status(sqlite_store, "a")[:2] == (ReplyStatus.DEAD, 3)
    assert [r.key for r in sqlite_store.outbox.with_status(ReplyStatus.DEAD)] == ["a"]


def test_the_platforms_retry_after_is_obeyed(sqlite_store: Store, clock: ManualClock) -> None:
    enqueue(sqlite_store, "a")
    dispatcher(sqlite_store, clock, RecordingReplier(errors=[PublishError("429", retry_after=7)])).run_once()
    reply = sqlite_store.outbox.by_key("a")
    assert reply is not None and reply.next_attempt_at == clock.now() + timedelta(seconds=7)


def test_a_permanent_refusal_is_recorded_not_retried(sqlite_store: Store, clock: ManualClock) -> None:
    enqueue(sqlite_store, "a")
    work = dispatcher(sqlite_store, clock, RecordingReplier(errors=[PublishError("comment deleted", permanent=True)]))
    work.run_once()
    clock.advance(99999)
    work.run_once()
    reply = sqlite_store.outbox.by_key("a")
    assert reply is not None and (reply.status, reply.attempts, reply.error) == (ReplyStatus.FAILED, 1,
                                                                                 "comment deleted")


def test_a_duplicate_refusal_counts_as_sent(sqlite_store: Store, clock: ManualClock) -> None:
    enqueue(sqlite_store, "a")
    dispatcher(sqlite_store, clock, RecordingReplier(errors=[DuplicatePost("dup", existing_id="t-9")])).run_once()
    assert status(sqlite_store, "a") == (ReplyStatus.SENT, 1, "t-9")


def test_a_crash_after_sending_is_reconciled_not_resent(sqlite_store: Store, clock: ManualClock) -> None:
    replier = RecordingReplier()
    enqueue(sqlite_store, "sent-before-crash")
    enqueue(sqlite_store, "not-sent-before-crash")
    # The first process claimed both, delivered one, and died before recording anything.
    for reply in sqlite_store.outbox.claim_due():
        if reply.key == "sent-before-crash":
            replier.reply(reply.target, reply.text, reply.key)
    clock.advance(minutes=3)

    dispatcher(sqlite_store, clock, replier).run_once()

    assert status(sqlite_store, "sent-before-crash") == (ReplyStatus.SENT, 1, "found-sent-before-crash")
    assert status(sqlite_store, "not-sent-before-crash")[0] is ReplyStatus.SENT
    assert sorted(replier.delivered) == ["not-sent-before-crash", "sent-before-crash"]  # each exactly once


def test_in_flight_replies_of_a_live_worker_are_left_alone(sqlite_store: Store, clock: ManualClock) -> None:
    replier = RecordingReplier()
    enqueue(sqlite_store, "a")
    sqlite_store.outbox.claim_due()  # another worker is sending it right now
    dispatcher(sqlite_store, clock, replier).run_once()
    assert status(sqlite_store, "a")[0] is ReplyStatus.SENDING and replier.delivered == {}


def test_when_the_platform_cannot_tell_a_person_decides(sqlite_store: Store, clock: ManualClock) -> None:
    replier = RecordingReplier(can_confirm=False)
    enqueue(sqlite_store, "a")
    sqlite_store.outbox.claim_due()
    clock.advance(minutes=3)
    dispatcher(sqlite_store, clock, replier).run_once()
    reply = sqlite_store.outbox.by_key("a")
    assert reply is not None and reply.status is ReplyStatus.REVIEW and "cannot tell" in reply.error
    assert replier.delivered == {}


def test_pacing_spreads_a_burst_over_time(sqlite_store: Store, clock: ManualClock) -> None:
    replier = RecordingReplier()
    for n in range(10):
        enqueue(sqlite_store, f"r{n}")
    work = Dispatcher(sqlite_store.outbox, {Platform.TELEGRAM: replier}, clock,
                      paces={Platform.TELEGRAM: Pace(per_second=2, burst=4)})
    sent_now = work.run_once()
    clock.advance(1)
    sent_after_a_second = work.run_once()
    assert (sent_now, sent_after_a_second) == (4, 2)
