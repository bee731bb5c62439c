"""A small cache for chart figures: fresh for a while, then served stale while one refresh runs behind.

Recomputing a month of a million-mention desk takes seconds; nobody should wait for that every ten
minutes. Once a value expires, the next request still gets it at once and starts a single refresh
in the background. Only a value never computed, or stale for far too long, is computed while the
request waits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any

from core.clock import Clock

log = logging.getLogger("gcc1111.dashboard")

Runner = Callable[[Callable[[], None]], None]
MAX_STALE_FACTOR = 6  # beyond six lifetimes, a value is recomputed while the request waits


def in_a_thread(job: Callable[[], None]) -> None:
    threading.Thread(target=job, name="insight-refresh", daemon=True).start()


class StaleWhileRefresh:
    """Thread-safe; values computed outside the lock; one refresh per key at a time."""

    def __init__(self, clock: Clock, seconds: float, background: Runner = in_a_thread) -> None:
        self._clock = clock
        self._lifetime = timedelta(seconds=seconds)
        self._background = background
        self._items: dict[Hashable, tuple[datetime, Any]] = {}
        self._refreshing: set[Hashable] = set()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        now = self._clock.now()
        with self._lock:
            found = self._items.get(key)
        if found is None or now - found[0] > self._lifetime * MAX_STALE_FACTOR:
            return self._store(key, compute())
        if now - found[0] > self._lifetime:
            with self._lock:
                start = key not in self._refreshing
                self._refreshing.add(key)
            if start:
                self._background(lambda: self._refresh(key, compute))
        return found[1]

    def _refresh(self, key: Hashable, compute: Callable[[], Any]) -> None:
        try:
            self._store(key, compute())
        except Exception:
            # The stale value stays in place; the next request after expiry tries again.
            log.exception("refreshing chart figures %r failed", key)
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def _store(self, key: Hashable, value: Any) -> Any:
        now = self._clock.now()
        with self._lock:
            horizon = self._lifetime * MAX_STALE_FACTOR
            self._items = {k: v for k, v in self._items.items() if now - v[0] <= horizon}
            self._items[key] = (now, value)
        return value
