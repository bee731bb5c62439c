"""Kill-safe incremental reading of threads (Page posts, Messenger conversations) that carry an updated_time.

Graph lists posts newest-created first and conversations newest-updated first, while new comments and
messages keep arriving in old threads. A sweep walks the list and reads, newest first, only the threads
whose updated_time moved, down to what was already read. The cursor (one JSON object) says:

- `complete_upto`: every thread's items older than this were read by a finished sweep;
- `done`: threads read completely, with the updated_time they had then (only the recent ones are kept);
- `sweep`: an unfinished sweep's start time and the list cursor it had reached.

A thread's entry in `done` is saved in the same transaction as its last items, and the list cursor only
after a whole list page is done. A kill -9 anywhere therefore re-reads at most the thread that was being
read (its items are already stored once; the store ignores repeats), and a finished thread is never read
again unless it changes. `complete_upto` only moves when a sweep finishes, to that sweep's start minus an
overlap that absorbs clock skew and Graph's replication lag.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.clock import Clock, as_utc
from core.domain import Mention
from core.ports import Page
from scrapers.facebook.client import InvalidCursor
from scrapers.facebook.parse import Thread

log = logging.getLogger("gcc1111.facebook")

ListThreads = Callable[[str | None, datetime], tuple[Sequence[Thread], str | None]]
ReadThread = Callable[[Thread, datetime], Iterator[list[Mention]]]


@dataclass
class SweepState:
    """The saved cursor of one thread-reading source."""

    complete_upto: datetime | None = None
    done: dict[str, datetime] = field(default_factory=dict)
    started: datetime | None = None
    after: str | None = None

    @classmethod
    def load(cls, position: dict[str, Any]) -> SweepState:
        """Read a saved position; an unreadable one starts afresh (the store ignores re-read items)."""
        if not position:
            return cls()
        try:
            sweep = position.get("sweep") or {}
            return cls(
                complete_upto=_time(position.get("complete_upto")),
                done={str(k): _required(v) for k, v in (position.get("done") or {}).items()},
                started=_time(sweep.get("started")),
                after=sweep.get("after") or None,
            )
        except (AttributeError, TypeError, ValueError):
            log.warning("unreadable Facebook cursor %r; starting a new sweep", position)
            return cls()

    def dump(self) -> dict[str, Any]:
        position: dict[str, Any] = {
            "complete_upto": self.complete_upto.isoformat() if self.complete_upto else None,
            "done": {k: v.isoformat() for k, v in self.done.items()},
        }
        if self.started is not None:
            position["sweep"] = {"started": self.started.isoformat(), "after": self.after}
        return position


class ThreadSweep:
    """Runs one sweep from a saved position, yielding pages of mentions with the position covering them."""

    def __init__(self, clock: Clock, *, window: timedelta, overlap: timedelta, sorted_by_update: bool) -> None:
        self._clock = clock
        self._window = window  # how far back the first sweep reads
        self._overlap = overlap
        self._sorted = sorted_by_update  # the list is newest-updated first, so it can stop early

    def run(self, position: dict[str, Any], list_threads: ListThreads, read_thread: ReadThread) -> Iterator[Page]:
        state = SweepState.load(position)
        # A fresh sweep may trust the threads a finished sweep left in `done`: in a newest-updated list,
        # everything below an unchanged one of them was handled then. A resumed sweep may not.
        carried = set(state.done) if state.started is None else set()
        if state.started is None:
            state.started = self._clock.now() - self._overlap
        base = state.complete_upto or state.started - self._window
        stop_below: datetime | None = None
        after = state.after
        while True:
            try:
                threads, next_after = list_threads(after, state.started)
            except InvalidCursor:
                if after is None:
                    raise
                log.warning("Graph refused the saved list cursor; restarting this sweep from the top")
                after = state.after = None
                continue
            finished = next_after is None
            for listed in threads:
                if self._sorted and (listed.updated_at < base or (stop_below and listed.updated_at < stop_below)):
                    finished = True
                    break
                if self._unchanged(state, listed):
                    if self._sorted and listed.id in carried and stop_below is None:
                        stop_below = listed.updated_at  # same-second neighbours are still checked
                    continue
                floor = max(base, state.done.get(listed.id, base))
                yield from self._read(state, listed, floor, read_thread)
            if finished:
                break
            after = state.after = next_after
            yield Page([], state.dump())
        yield Page([], self._finish(state).dump())

    @staticmethod
    def _unchanged(state: SweepState, listed: Thread) -> bool:
        known = state.done.get(listed.id)
        if known is not None:
            return listed.updated_at <= known
        return state.complete_upto is not None and listed.updated_at < state.complete_upto

    @staticmethod
    def _read(state: SweepState, listed: Thread, floor: datetime, read_thread: ReadThread) -> Iterator[Page]:
        """Items of one thread; the thread counts as done only with its last batch."""
        pending: list[Mention] | None = None
        for batch in read_thread(listed, floor):
            if pending is not None:
                yield Page(pending, None)
            pending = batch
        state.done[listed.id] = listed.updated_at
        yield Page(pending or [], state.dump())

    @staticmethod
    def _finish(state: SweepState) -> SweepState:
        assert state.started is not None
        upto = max(state.started, state.complete_upto) if state.complete_upto else state.started
        done = {k: v for k, v in state.done.items() if v >= upto}
        return SweepState(complete_upto=upto, done=done)


def _time(value: Any) -> datetime | None:
    return None if value in (None, "") else as_utc(datetime.fromisoformat(value))


def _required(value: Any) -> datetime:
    moment = _time(value)
    if moment is None:
        raise ValueError("missing time")
    return moment
