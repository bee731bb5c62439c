"""A time-to-live cache in front of a feed, and the freshness rule that holds posts with old data."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from broadcasts.thai import duration, thai_datetime
from core.clock import Clock
from core.ports import Feed, FeedReading

FUTURE_TOLERANCE = timedelta(minutes=10)  # publishers' clocks drift a little; hours ahead is a time-zone error


class CachedFeed:
    """Answers from memory for `ttl_seconds` after a successful read; failures are never cached."""

    def __init__(self, feed: Feed, clock: Clock, ttl_seconds: float) -> None:
        self.name = feed.name
        self._feed = feed
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_seconds)
        self._lock = threading.Lock()
        self._kept: FeedReading | None = None
        self._kept_at: datetime | None = None

    def latest(self) -> FeedReading:
        """The cached reading while young enough, else a fresh read (SourceError and ParseError pass through)."""
        with self._lock:  # one read at a time: ten posts due together cost the publisher one request
            now = self._clock.now()
            if self._kept is not None and self._kept_at is not None and now - self._kept_at < self._ttl:
                return self._kept
            found = self._feed.latest()
            self._kept, self._kept_at = found, now
            return found

    def forget(self) -> None:
        """Drop the cached reading: the next call reads the feed."""
        with self._lock:
            self._kept = self._kept_at = None


def staleness(reading: FeedReading, now: datetime, max_age: timedelta, label: str) -> str | None:
    """Why `reading` is too old (or from the future) to publish, in Thai with English; None when it is fresh."""
    age = now - reading.issued_at
    if age < -FUTURE_TOLERANCE:
        return (f"{label}: เวลาที่ออกข้อมูล {thai_datetime(reading.issued_at)} อยู่ในอนาคต "
                "(time zone or clock error at the publisher)")
    if age > max_age:
        return (f"{label}: ข้อมูลล่าสุดออกเมื่อ {thai_datetime(reading.issued_at)} เก่าเกิน {duration(max_age)} "
                f"(stale: {duration(age)} old, limit {duration(max_age)})")
    return None

