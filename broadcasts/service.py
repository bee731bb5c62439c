"""The broadcast scheduler in the app's asyncio loop, timed by APScheduler 3's AsyncIOScheduler (Asia/Bangkok).

Two kinds of job, both rebuilt from the database, never persisted by APScheduler itself:
- "broadcast-sync", every few seconds: renew the lease, plan new occurrences, reconcile crashes, and read
  the due times of the next minutes;
- "due:<time>", one date job per distinct due time (and per retry time): publish what is due then.
The database is the persistence. APScheduler's SQLAlchemyJobStore is not used: it pickles job state into a
table that, by APScheduler 3's own FAQ, must never be shared between processes, and its restart behaviour
(replayed misfires, duplicate jobs without replace_existing) is exactly what the delivery rows already make
impossible. Jobs here are a cache of "when to look next"; losing them loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from broadcasts.scheduler import BroadcastScheduler
from core.clock import BANGKOK

log = logging.getLogger("gcc1111.broadcasts")
SYNC_JOB = "broadcast-sync"
T = TypeVar("T")


class SchedulerService:
    """An async service callable for the runtime: `await service()` runs until cancelled, then resigns the lease."""

    def __init__(self, scheduler: BroadcastScheduler, *, sync_seconds: float = 5.0) -> None:
        self.scheduler = scheduler
        self._sync_seconds = sync_seconds
        self._aps: AsyncIOScheduler | None = None
        self._armed: set[datetime] = set()
        self._stopping = False

    async def __call__(self) -> None:
        await self.run()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Start the timers in the running loop; return when `stop` is set (or on cancellation)."""
        aps = AsyncIOScheduler(timezone=BANGKOK, job_defaults={
            "coalesce": True, "max_instances": 1,
            "misfire_grace_time": None,  # lateness is judged against the delivery rows, not by APScheduler
        })
        self._aps = aps
        self._stopping = False
        aps.add_job(self._sync, "interval", seconds=self._sync_seconds, id=SYNC_JOB,
                    next_run_time=datetime.now(BANGKOK))
        aps.start()
        try:
            await (stop or asyncio.Event()).wait()
        finally:
            self._stopping = True  # jobs cancelled by the shutdown below end quietly; their threads finish
            aps.shutdown(wait=False)
            self._aps = None
            # In a thread, under the scheduler's lock: a publish in progress finishes before the lease goes.
            await asyncio.shield(asyncio.to_thread(self.scheduler.resign))

    def armed(self) -> list[datetime]:
        """The due times a date job is waiting for (for tests and the dashboard)."""
        return sorted(self._armed)

    async def _in_thread(self, work: Callable[..., T], *args: object) -> T | None:
        """Run blocking work in a thread; None when the service is stopping (the work itself still finishes)."""
        try:
            return await asyncio.shield(asyncio.to_thread(work, *args))
        except asyncio.CancelledError:
            if self._stopping:
                return None
            raise

    async def _sync(self) -> None:
        try:
            report = await self._in_thread(self.scheduler.sync)
        except Exception:  # a database hiccup must not kill the timer; the next sync tries again
            log.exception("broadcast sync failed")
            return
        if report is not None and report.leader:
            self._arm(report.due_times)

    async def _due(self, when: datetime) -> None:
        try:
            report = await self._in_thread(self.scheduler.publish_due, when)
        except Exception:
            log.exception("publishing broadcasts due at %s failed", when.isoformat())
            return
        finally:
            # Only now: a sync during the pass must not arm this time again (its rows are still pending).
            self._armed.discard(when)
        if report is not None:
            self._arm(report.due_times)  # retries scheduled during this pass

    def _arm(self, times: list[datetime]) -> None:
        if self._aps is None:
            return
        for when in times:
            if when in self._armed:
                continue
            self._armed.add(when)
            # A time already past fires at once (misfire_grace_time None): late occurrences are never dropped.
            self._aps.add_job(self._due, "date", run_date=when, args=[when], id=f"due:{when.isoformat()}",
                              replace_existing=True)
