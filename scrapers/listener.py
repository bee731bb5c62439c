"""The listening stage: poll each source, store what it found with its cursor, track health."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from core.backoff import Backoff
from core.clock import Clock
from core.errors import AuthExpired, ParseError, RateLimited, SourceError
from core.ports import Source, TokenAware
from core.store.health import HealthStore
from core.store.mentions import MentionStore

log = logging.getLogger("gcc1111.listen")


@dataclass(frozen=True)
class PollResult:
    source: str
    stored: int
    pages: int
    error: str = ""
    skipped: bool = False  # still backing off from an earlier failure


class Listener:
    """Runs sources one after another; one failing source never stops the others."""

    def __init__(
        self,
        sources: Sequence[Source],
        mentions: MentionStore,
        health: HealthStore,
        clock: Clock,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.sources = {source.name: source for source in sources}
        self._mentions = mentions
        self._health = health
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._rng = rng or random.Random()

    def poll_all(self, *, only: str | None = None, force: bool = False) -> list[PollResult]:
        """Poll every source (or just `only`) whose backoff has run out, or all when `force`."""
        results = []
        for name, source in self.sources.items():
            if only is not None and name != only:
                continue
            if not force and not self._due(name):
                results.append(PollResult(name, 0, 0, skipped=True))
                continue
            results.append(self.poll(source))
        return results

    def poll(self, source: Source) -> PollResult:
        """Read every page the source has for us now, storing each with its cursor as it arrives."""
        stored = pages = 0
        position = self._mentions.cursor(source.name)
        try:
            for page in source.poll(position):
                stored += self._mentions.ingest(source.name, page.mentions, page.position) + page.stored
                pages += 1
        except RateLimited as exc:
            return self._failed(source.name, stored, pages, exc, exc.retry_after)
        except AuthExpired as exc:
            retry_at = self._clock.now() + timedelta(seconds=self._backoff.auth_recheck_seconds)
            self._health.failed(source.name, f"token expired or revoked: {exc}", retry_at, auth_broken=True)
            log.error(
                "source %s: token expired or revoked, polling paused until it is renewed (%s)", source.name, exc
            )
            return PollResult(source.name, stored, pages, error=str(exc))
        except ParseError as exc:
            self._health.save_unreadable(source.name, str(exc), exc.raw_body)
            return self._failed(source.name, stored, pages, exc, None)
        except SourceError as exc:
            return self._failed(source.name, stored, pages, exc, None)
        expires = source.token_expires_at() if isinstance(source, TokenAware) else None
        self._health.succeeded(source.name, token_expires_at=expires)
        if stored:
            log.info("source %s: %d new mentions from %d pages", source.name, stored, pages)
        return PollResult(source.name, stored, pages)

    def _due(self, name: str) -> bool:
        retry_at = self._health.get(name).next_retry_at
        return retry_at is None or retry_at <= self._clock.now()

    def _failed(self, name: str, stored: int, pages: int, exc: SourceError, retry_after: float | None) -> PollResult:
        failures = self._health.get(name).consecutive_failures + 1
        delay = retry_after if retry_after is not None else self._backoff.delay(failures, self._rng)
        retry_at = self._clock.now() + timedelta(seconds=delay)
        self._health.failed(name, f"{type(exc).__name__}: {exc}", retry_at)
        log.warning("source %s failed (%s); next try in %.0f s", name, exc, delay)
        return PollResult(name, stored, pages, error=str(exc))
