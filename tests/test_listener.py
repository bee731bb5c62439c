"""The listener: stores pages as they come, backs off by what failed, and keeps other sources going."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core.clock import ManualClock
from core.domain import Mention, Platform
from core.errors import AuthExpired, ParseError, RateLimited, SourceError
from core.ports import Page
from core.store import Store
from scrapers.listener import Backoff, Listener


def mention(n: int) -> Mention:
    return Mention(Platform.TELEGRAM, str(n), f"ข้อความที่ {n}", datetime(2026, 11, 1, tzinfo=UTC), "fake")


@dataclass
class ScriptedSource:
    """A fake of our Source interface: yields scripted pages, then raises the scripted error."""

    name: str
    pages: list[list[int]]
    error: Exception | None = None
    platform: Platform = Platform.TELEGRAM
    positions_seen: list[dict[str, Any]] = field(default_factory=list)
    expires: datetime | None = None

    def poll(self, position: dict[str, Any]) -> Iterator[Page]:
        self.positions_seen.append(position)
        start = int(position.get("page", 0))
        for index, numbers in enumerate(self.pages[start:], start=start):
            yield Page([mention(n) for n in numbers], {"page": index + 1})
        if self.error is not None:
            raise self.error

    def token_expires_at(self) -> datetime | None:
        return self.expires


def listener(store: Store, clock: ManualClock, *sources: ScriptedSource) -> Listener:
    return Listener(list(sources), store.mentions, store.health, clock, Backoff(5, 900), random.Random(7))


def test_pages_and_cursor_are_stored_and_the_next_poll_resumes(sqlite_store: Store, clock: ManualClock) -> None:
    source = ScriptedSource("fake", [[1, 2], [3]])
    run = listener(sqlite_store, clock, source)

    first = run.poll_all()
    source.pages.append([4, 1])
    second = run.poll_all()

    assert [(r.stored, r.pages) for r in first + second] == [(3, 2), (1, 1)]
    assert source.positions_seen == [{}, {"page": 2}]
    assert sqlite_store.mentions.count() == 4


def test_a_failure_mid_poll_keeps_what_was_read_and_backs_off(sqlite_store: Store, clock: ManualClock) -> None:
    source = ScriptedSource("fake", [[1, 2], [3]], error=SourceError("HTTP 503"))
    run = listener(sqlite_store, clock, source)

    result = run.poll_all()[0]

    health = sqlite_store.health.get("fake")
    assert (result.stored, result.error) == (3, "HTTP 503")
    assert sqlite_store.mentions.cursor("fake") == {"page": 2}
    assert health.consecutive_failures == 1 and not health.healthy
    assert health.next_retry_at is not None
    assert timedelta(seconds=2.5) <= health.next_retry_at - clock.now() <= timedelta(seconds=5)
    assert run.poll_all()[0].skipped  # not due yet: no busy retry
    clock.advance(5)
    source.error = None
    assert not run.poll_all()[0].skipped
    assert sqlite_store.health.get("fake").healthy


def test_backoff_grows_and_is_capped() -> None:
    backoff, rng = Backoff(5, 900), random.Random(1)
    delays = [backoff.delay(n, rng) for n in range(1, 12)]
    assert all(5 * 2 ** (n - 1) / 2 <= d <= 5 * 2 ** (n - 1) for n, d in zip(range(1, 8), delays, strict=False))
    assert max(delays) <= 900


def test_rate_limit_waits_exactly_what_the_platform_said(sqlite_store: Store, clock: ManualClock) -> None:
    run = listener(sqlite_store, clock, ScriptedSource("fake", [[1]], error=RateLimited("429", retry_after=600)))
    run.poll_all()
    assert sqlite_store.health.get("fake").next_retry_at == clock.now() + timedelta(seconds=600)


def test_expired_token_marks_the_source_broken_and_pauses_it(sqlite_store: Store, clock: ManualClock) -> None:
    source = ScriptedSource("fake", [], error=AuthExpired("code 190 subcode 463"))
    run = listener(sqlite_store, clock, source)

    run.poll_all()
    clock.advance(600)
    skipped = run.poll_all()[0].skipped

    health = sqlite_store.health.get("fake")
    assert health.auth_broken and not health.healthy
    assert "token expired or revoked" in health.last_error
    assert skipped and len(source.positions_seen) == 1


def test_unreadable_payload_is_saved_for_diagnosis(sqlite_store: Store, clock: ManualClock) -> None:
    run = listener(sqlite_store, clock, ScriptedSource("fake", [[1]], error=ParseError("HTML", "<html>login</html>")))
    run.poll_all()
    saved = sqlite_store.health.unreadable("fake")
    assert [(s["error"], s["raw_body"]) for s in saved] == [("HTML", "<html>login</html>")]
    assert sqlite_store.mentions.cursor("fake") == {"page": 1}


def test_one_failing_source_never_stops_the_others(sqlite_store: Store, clock: ManualClock) -> None:
    broken = ScriptedSource("broken", [], error=SourceError("timeout"))
    working = ScriptedSource("working", [[10, 11]], expires=clock.now() + timedelta(days=3))
    results = listener(sqlite_store, clock, broken, working).poll_all()
    assert [(r.source, r.stored, bool(r.error)) for r in results] == [("broken", 0, True), ("working", 2, False)]
    assert sqlite_store.health.get("working").token_expires_at == clock.now() + timedelta(days=3)
