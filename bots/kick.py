"""The respond pipeline's steps (classify, respond, notify, dispatch), woken at once when new work is stored.

A webhook or the bot stores a mention and calls `Kick.signal()`; the pipeline runs straight away instead of
waiting for its timer. The same steps also run on the timer (and in `run --once`); one lock keeps the timer
and a kick from ever running them at the same time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence

log = logging.getLogger("gcc1111.pipeline")
Step = Callable[[], int]


class Kick:
    """A thread-safe doorbell: webhook handlers and the bot ring it, the pipeline service answers."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def signal(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """True when rung (and resets the bell), False after `timeout` seconds of quiet."""
        rung = self._event.wait(timeout)
        self._event.clear()
        return rung


class Pipeline:
    """Named steps run in order, never two at once."""

    def __init__(self, steps: Sequence[tuple[str, Step]], kick: Kick | None = None) -> None:
        self.steps = list(steps)
        self.kick = kick or Kick()
        self._lock = threading.Lock()

    def locked(self, name: str) -> Step:
        """One step, taking the pipeline's lock (for the runtime's timer Stage)."""
        step = dict(self.steps)[name]

        def run() -> int:
            with self._lock:
                return step()

        return run

    def run_all(self) -> dict[str, int]:
        """Every step once, in order; a failing step is logged and the next still runs."""
        done: dict[str, int] = {}
        with self._lock:
            for name, step in self.steps:
                try:
                    done[name] = step()
                except Exception:
                    log.exception("pipeline step %s failed", name)
                    done[name] = 0
        return done

    async def serve(self, idle_seconds: float = 5.0) -> None:
        """Run every step whenever the kick rings (or after `idle_seconds` of quiet), until cancelled."""
        wait = min(idle_seconds, 1.0)  # a short wait so a cancelled service leaves no thread behind for long
        quiet = 0.0
        while True:
            rung = await asyncio.to_thread(self.kick.wait, wait)
            quiet = 0.0 if rung else quiet + wait
            if rung or quiet >= idle_seconds:
                quiet = 0.0
                await asyncio.to_thread(self.run_all)
