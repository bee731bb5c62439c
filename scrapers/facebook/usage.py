"""Meta's usage headers, and a throttle that stops calling before the wall rather than after it."""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.clock import Clock
from core.errors import RateLimited

log = logging.getLogger("gcc1111.facebook")

USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")
USAGE_KEYS = ("call_count", "total_cputime", "total_time")


@dataclass(frozen=True)
class Usage:
    """The highest usage percentage Meta reported, and how long it said until access returns."""

    percent: float
    regain_seconds: float


def read_usage(headers: Mapping[str, str]) -> Usage | None:
    """Usage from X-App-Usage, X-Page-Usage and X-Business-Use-Case-Usage; None when none is present."""
    percents: list[float] = []
    regain_minutes: list[float] = []
    found = False
    for name in USAGE_HEADERS:
        value = headers.get(name)
        if not value:
            continue
        try:
            parsed = json.loads(value)
        except ValueError:
            log.warning("unreadable %s header ignored: %.200s", name, value)
            continue
        found = True
        for entry in _usage_entries(parsed):
            percents.extend(float(entry[k]) for k in USAGE_KEYS if _number(entry.get(k)))
            regain = entry.get("estimated_time_to_regain_access")
            if _number(regain):
                regain_minutes.append(max(float(regain), 0.0))
    if not found:
        return None
    return Usage(max(percents, default=0.0), max(regain_minutes, default=0.0) * 60)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _usage_entries(parsed: Any) -> list[dict[str, Any]]:
    """App/Page headers are one object; the BUC header maps an id to a list of objects."""
    if not isinstance(parsed, dict):
        return []
    if any(key in parsed for key in USAGE_KEYS):
        return [parsed]
    entries: list[dict[str, Any]] = []
    for value in parsed.values():
        if isinstance(value, list):
            entries.extend(item for item in value if isinstance(item, dict))
    return entries


class Throttle:
    """Remembers until when Meta wants us quiet, shared by every source using one token."""

    def __init__(self, clock: Clock, *, limit_percent: float = 95.0, cooldown_seconds: float = 300.0,
                 limited_seconds: float = 900.0) -> None:
        self._clock = clock
        self._limit = limit_percent
        self._cooldown = cooldown_seconds  # near the wall, with no regain time given
        self._limited = limited_seconds  # over the wall, with no regain time given
        self._until: datetime | None = None
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise RateLimited while an earlier answer told us to wait."""
        with self._lock:
            until = self._until
        now = self._clock.now()
        if until is not None and now < until:
            wait = (until - now).total_seconds()
            raise RateLimited(f"Graph usage near its limit; pausing until {until:%H:%M:%S} UTC", retry_after=wait)

    def observe(self, usage: Usage | None) -> None:
        """After a successful answer: at or above the limit, pause before Meta starts refusing."""
        if usage is None or usage.percent < self._limit:
            return
        self._pause(usage.regain_seconds or self._cooldown)
        log.warning("Graph usage at %.0f%%: pausing calls for %.0f s", usage.percent,
                    usage.regain_seconds or self._cooldown)

    def limited(self, usage: Usage | None) -> float:
        """After Meta refused for rate: how long to wait (its estimate, else our default); remembered."""
        wait = usage.regain_seconds if usage is not None and usage.regain_seconds > 0 else self._limited
        self._pause(wait)
        return wait

    def _pause(self, seconds: float) -> None:
        until = self._clock.now() + timedelta(seconds=seconds)
        with self._lock:
            if self._until is None or until > self._until:
                self._until = until
