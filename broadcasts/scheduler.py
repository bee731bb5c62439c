"""The broadcast scheduler's decisions, driven by a clock: plan occurrences, reconcile crashes, publish what is due.

Everything it knows lives in the database, so a restart loses nothing: approved broadcasts become delivery
rows (one per broadcast, channel and occurrence, unique), and a delivery's status says what happened to it.
Only the holder of the lease "broadcast-scheduler" acts; a second process on the same database waits and
takes over once the holder stops renewing. Claiming a delivery is a conditional UPDATE as well, so even two
processes that both believed they held the lease could not publish one occurrence twice.

`tick()` is the whole decision for one moment (what tests drive with a ManualClock); the asyncio service in
broadcasts/service.py calls `sync()` on a timer and `publish_due()` at each due time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from broadcasts.occurrences import occurrences
from broadcasts.publisher import Publisher
from core.clock import Clock
from core.domain import Broadcast, BroadcastStatus, Delivery, DeliveryStatus
from core.store.audit import AuditLog
from core.store.broadcasts import BroadcastStore

log = logging.getLogger("gcc1111.broadcasts")
LEASE = "broadcast-scheduler"
FINAL = frozenset({DeliveryStatus.PUBLISHED, DeliveryStatus.FAILED})
EARLY = timedelta(seconds=1)


@dataclass
class TickReport:
    """What one pass did; `due_times` are the moments the service should wake up for next."""

    leader: bool
    planned: int = 0
    published: int = 0
    held: int = 0
    failed: int = 0
    reconciled: int = 0
    due_times: list[datetime] = field(default_factory=list)


class BroadcastScheduler:
    """Plans and publishes broadcasts while holding the database lease; thread-safe (one pass at a time)."""

    def __init__(self, store: BroadcastStore, publisher: Publisher, clock: Clock, *, holder: str,
                 late_after: timedelta, lease_seconds: float = 30.0, horizon: timedelta = timedelta(minutes=10),
                 in_doubt_after: timedelta = timedelta(minutes=2), audit: AuditLog | None = None) -> None:
        self.holder = holder
        self._store = store
        self._publisher = publisher
        self._clock = clock
        self._late_after = late_after
        self._lease_seconds = lease_seconds
        self._horizon = horizon
        self._in_doubt_after = in_doubt_after
        self._audit = audit
        self._lock = threading.Lock()
        self._lease_until: datetime | None = None
        self._stopped = False
        self._watermarks: dict[int, datetime] = {}  # recurring broadcast → newest planned occurrence
        self._planned_once: set[int] = set()  # one-off broadcasts already planned by this process
        self._first_seen_sending: dict[int, datetime] = {}

    # --- the passes -----------------------------------------------------------------------------------------
    def tick(self) -> TickReport:
        """Renew the lease, plan, reconcile, publish everything due now: one complete pass."""
        report = self.sync()
        if report.leader:
            published = self.publish_due()
            report.published, report.held, report.failed = published.published, published.held, published.failed
            report.due_times = published.due_times
        return report

    def sync(self) -> TickReport:
        """Renew the lease; as leader, plan new occurrences and reconcile deliveries a crash left in flight."""
        with self._lock:
            now = self._clock.now()
            if self._stopped or not self._renew(now):
                return TickReport(leader=False)
            report = TickReport(leader=True, planned=self._plan(now))
            report.reconciled = self._reconcile(now)
            report.due_times = self._due_times(now)
            return report

    def publish_due(self, due_by: datetime | None = None) -> TickReport:
        """Publish every pending delivery due now (or at `due_by`, if that is within a second) whose retry wait
        is over."""
        with self._lock:
            now = self._clock.now()
            # A timer may fire a hair before its moment: what is due within EARLY counts as due, never more.
            until = max(now, min(due_by, now + EARLY)) if due_by is not None else now
            report = TickReport(leader=self._holding(now))
            if self._stopped or not report.leader:
                return report
            for delivery in self._store.deliveries(None, DeliveryStatus.PENDING, due_by=until):
                assert delivery.id is not None
                if not self._holding(self._clock.now()):
                    log.warning("lease lost mid-pass: leaving the rest to the new holder")
                    break
                wait = self._publisher.not_before.get(delivery.id)
                if wait is not None and wait > self._clock.now():
                    continue
                status = self._publisher.publish(delivery, self._store.get(delivery.broadcast_id))
                _count(report, status)
                if status in FINAL:
                    self._settle(delivery.broadcast_id)
            report.due_times = sorted(self._publisher.not_before.values())
            return report

    def resign(self) -> None:
        """Stop for good and hand the lease back (waits for a pass in progress to finish)."""
        with self._lock:
            self._stopped = True
            if self._lease_until is not None:
                self._store.release_lease(LEASE, self.holder)
                self._lease_until = None

    @property
    def leader(self) -> bool:
        """Whether this scheduler holds the lease right now (and so may publish)."""
        return self._holding(self._clock.now())

    # --- the lease ------------------------------------------------------------------------------------------
    def _renew(self, now: datetime) -> bool:
        held = self._store.acquire_lease(LEASE, self.holder, self._lease_seconds)
        if held and self._lease_until is None:
            log.info("broadcast scheduler %s now holds the lease", self.holder)
        # Act only well inside the lease: a third of it is left as margin for clock skew between hosts.
        self._lease_until = now + timedelta(seconds=self._lease_seconds * 2 / 3) if held else None
        return held

    def _holding(self, now: datetime) -> bool:
        return self._lease_until is not None and now < self._lease_until

    # --- planning ---------------------------------------------------------------------------------------------
    def _plan(self, now: datetime) -> int:
        planned = 0
        for broadcast in self._store.with_status(BroadcastStatus.APPROVED, BroadcastStatus.SCHEDULED, limit=100_000):
            assert broadcast.id is not None
            if broadcast.status is BroadcastStatus.APPROVED:
                self._store.set_status(broadcast.id, BroadcastStatus.SCHEDULED, only_from=[BroadcastStatus.APPROVED])
            try:
                planned += self._plan_one(broadcast, now)
            except ValueError as exc:  # a cron that cannot be read: approval checks it, so only by hand-edited rows
                log.error("broadcast %s: cannot plan (%s)", broadcast.id, exc)
        return planned

    def _plan_one(self, broadcast: Broadcast, now: datetime) -> int:
        assert broadcast.id is not None
        if not broadcast.cron:
            if broadcast.id in self._planned_once or broadcast.run_at is None or broadcast.run_at > now + self._horizon:
                return 0
            self._planned_once.add(broadcast.id)
            return sum(self._store.plan(broadcast.id, channel, broadcast.run_at) for channel in broadcast.channels)
        start = self._watermark(broadcast)
        times = occurrences(broadcast, start, now + self._horizon)
        missed = [moment for moment in times if moment < now - self._late_after]
        if len(missed) > 1:
            # After long downtime only the latest missed occurrence is planned (and then held for a person):
            # a day of hourly posts must not become 24 held posts, nor 24 posts at once.
            times = times[len(missed) - 1:]
            if self._audit is not None:
                self._audit.record("broadcast-scheduler", "broadcast.skipped", f"broadcast:{broadcast.id}",
                                   occurrences=len(missed) - 1, first=missed[0].isoformat(),
                                   last=missed[-2].isoformat())
        planned = 0
        for moment in times:
            planned += sum(self._store.plan(broadcast.id, channel, moment) for channel in broadcast.channels)
        if times:
            self._watermarks[broadcast.id] = times[-1]
        return planned

    def _watermark(self, broadcast: Broadcast) -> datetime:
        """The newest occurrence already planned; before any, the approval time (nothing earlier ever runs)."""
        assert broadcast.id is not None
        if broadcast.id not in self._watermarks:
            planned = [d.scheduled_for for d in self._store.deliveries(broadcast.id)]
            self._watermarks[broadcast.id] = max(planned, default=broadcast.approved_at or broadcast.created_at)
        return self._watermarks[broadcast.id]

    # --- after a crash ------------------------------------------------------------------------------------------
    def _reconcile(self, now: datetime) -> int:
        """Deliveries in `sending` that no pass of ours has in hand: a crashed or replaced holder left them.

        They are checked only after being seen in flight for `in_doubt_after`, so a previous holder whose
        request is still on its way cannot be raced.
        """
        in_flight = self._store.deliveries(None, DeliveryStatus.SENDING)
        current = {d.id for d in in_flight}
        self._first_seen_sending = {k: v for k, v in self._first_seen_sending.items() if k in current}
        done = 0
        for delivery in in_flight:
            assert delivery.id is not None
            first = self._first_seen_sending.setdefault(delivery.id, now)
            if now - first < self._in_doubt_after:
                continue
            status = self._publisher.reconcile(delivery, self._store.get(delivery.broadcast_id))
            if status is not None:
                done += 1
                self._first_seen_sending.pop(delivery.id, None)
                if status in FINAL:
                    self._settle(delivery.broadcast_id)
        return done

    def _due_times(self, now: datetime) -> list[datetime]:
        pending = self._store.deliveries(None, DeliveryStatus.PENDING, due_by=now + self._horizon)
        return sorted({d.scheduled_for for d in pending} | set(self._publisher.not_before.values()))

    def _settle(self, broadcast_id: int) -> None:
        """A one-off broadcast whose deliveries are all final becomes published (all went out) or failed."""
        broadcast = self._store.get(broadcast_id)
        if broadcast is None or broadcast.cron:
            return
        newest: dict[str, Delivery] = {}  # per channel: a released occurrence replaces the one held before it
        for delivery in self._store.deliveries(broadcast_id):
            newest[delivery.channel.value] = delivery  # ordered by scheduled_for, id
        statuses = {d.status for d in newest.values()}
        if not statuses or not statuses <= FINAL:
            return
        outcome = BroadcastStatus.PUBLISHED if statuses == {DeliveryStatus.PUBLISHED} else BroadcastStatus.FAILED
        self._store.set_status(broadcast_id, outcome, only_from=[BroadcastStatus.SCHEDULED, BroadcastStatus.APPROVED])


def _count(report: TickReport, status: DeliveryStatus | None) -> None:
    if status is DeliveryStatus.PUBLISHED:
        report.published += 1
    elif status is DeliveryStatus.HELD:
        report.held += 1
    elif status is DeliveryStatus.FAILED:
        report.failed += 1
