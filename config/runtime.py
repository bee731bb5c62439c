"""`gcc1111 run`: every enabled stage in one asyncio process, driven by APScheduler."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from config.wiring import Stage, System
from core.clock import BANGKOK

log = logging.getLogger("gcc1111.run")


def run_cycle(system: System) -> dict[str, int]:
    """One pass of every stage in pipeline order (what `run --once` does); returns work done per stage."""
    done: dict[str, int] = {}
    for stage in system.stages:
        done[stage.name] = _run_stage(stage)
    return done


def _run_stage(stage: Stage) -> int:
    try:
        return stage.run_once()
    except Exception:
        log.exception("stage %s failed", stage.name)
        return 0


async def run_forever(system: System, stop: asyncio.Event, extra: list[Callable[[], Awaitable[None]]] | None = None,
                      ) -> None:
    """Run until `stop` is set; in-flight work finishes (or its transaction rolls back) before returning."""
    scheduler = AsyncIOScheduler(timezone=BANGKOK, job_defaults={"coalesce": True, "max_instances": 1,
                                                                 "misfire_grace_time": 30})
    in_flight: set[asyncio.Task[int]] = set()

    def job_for(stage: Stage) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            task = asyncio.ensure_future(asyncio.to_thread(_run_stage, stage))
            in_flight.add(task)
            try:
                await task
            finally:
                in_flight.discard(task)

        return job

    for stage in system.stages:
        scheduler.add_job(job_for(stage), "interval", seconds=stage.every_seconds, id=stage.name,
                          next_run_time=system.clock.now())
    scheduler.start()
    services = [asyncio.ensure_future(service()) for service in (extra or [])]
    try:
        await stop.wait()
    finally:
        log.info("shutting down: waiting for %d running job(s) to finish", len(in_flight))
        scheduler.shutdown(wait=False)
        for service in services:
            service.cancel()
        await asyncio.gather(*services, return_exceptions=True)
        if in_flight:
            await asyncio.gather(*in_flight, return_exceptions=True)
        # Let the scheduler's job coroutines see their work finish before the loop closes under them.
        for _ in range(3):
            await asyncio.sleep(0)


def install_signal_handlers(stop: asyncio.Event) -> None:
    """Ctrl-C and SIGTERM ask for a clean stop instead of killing work mid-transaction."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
