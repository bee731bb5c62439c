"""`gcc1111 run`: every enabled stage in one asyncio process, driven by APScheduler."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from config.system import Stage, System
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
    running: set[asyncio.Task[None]] = set()

    def job_for(stage: Stage) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            if stop.is_set():
                return
            # The work runs as its own task so shutdown can wait for it rather than cancel it mid-transaction.
            task: asyncio.Task[None] = asyncio.ensure_future(_in_thread(stage))
            running.add(task)
            task.add_done_callback(running.discard)
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if stop.is_set():
                    return  # the scheduler is shutting down; run_forever itself waits for `task` to finish
                raise

        return job

    for stage in system.stages:
        scheduler.add_job(job_for(stage), "interval", seconds=stage.every_seconds, id=stage.name,
                          next_run_time=system.clock.now())
    scheduler.start()
    services = [asyncio.ensure_future(service()) for service in (extra or [])]
    try:
        await stop.wait()
    finally:
        log.info("shutting down: waiting for %d running job(s) to finish", len(running))
        scheduler.shutdown(wait=False)
        for service in services:
            service.cancel()
        await asyncio.gather(*services, return_exceptions=True)
        while running:
            await asyncio.gather(*list(running), return_exceptions=True)


async def _in_thread(stage: Stage) -> None:
    await asyncio.to_thread(_run_stage, stage)


def install_signal_handlers(stop: asyncio.Event) -> None:
    """Ctrl-C and SIGTERM ask for a clean stop instead of killing work mid-transaction."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
