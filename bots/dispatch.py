"""The outbox worker: sends what triage wrote, exactly once, with per-platform pacing and retries."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.backoff import Backoff
from core.clock import Clock
from core.domain import Platform, Reply
from core.errors import DuplicatePost, OutcomeUnknown, PublishError
from core.ports import Replier
from core.store.outbox import Outbox

log = logging.getLogger("gcc1111.outbox")


@dataclass
class Pace:
    """A token bucket per platform: `per_second` sustained, up to `burst` at once (clock injected)."""

    per_second: float
    burst: int
    _tokens: float = field(default=-1.0, init=False)
    _at: datetime | None = field(default=None, init=False)

    def available(self, now: datetime) -> int:
        if self._at is None:
            self._tokens, self._at = float(self.burst), now
        elapsed = max((now - self._at).total_seconds(), 0.0)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.per_second)
        self._at = now
        return int(self._tokens)

    def take(self, count: int = 1) -> None:
        self._tokens -= count


# Conservative defaults from each platform's published limits (Telegram ~30 msg/s overall, X 200 posts per
# 15 min per user, Graph writes budgeted per Page); staff can change them where the desk is wired.
DEFAULT_PACES: dict[Platform, tuple[float, int]] = {
    Platform.TELEGRAM: (25.0, 30),
    Platform.TWITTER: (0.2, 10),
    Platform.FACEBOOK: (2.0, 10),
}


class Dispatcher:
    """Claims due replies, sends each through its platform's Replier and records the outcome."""

    def __init__(self, outbox: Outbox, repliers: Mapping[Platform, Replier], clock: Clock, *,
                 max_attempts: int = 6, backoff: Backoff | None = None, rng: random.Random | None = None,
                 paces: Mapping[Platform, Pace] | None = None, in_doubt_after: timedelta = timedelta(minutes=2)
                 ) -> None:
        self._outbox = outbox
        self._repliers = dict(repliers)
        self._clock = clock
        self._max_attempts = max_attempts
        self._backoff = backoff or Backoff(base_seconds=10, cap_seconds=1800)
        self._rng = rng or random.Random()
        self._paces = dict(paces) if paces is not None else {p: Pace(*v) for p, v in DEFAULT_PACES.items()}
        self._in_doubt_after = in_doubt_after

    def run_once(self, limit: int = 100) -> int:
        """Reconcile anything a crash left in flight, then send what is due; returns how many were sent."""
        self.reconcile()
        sent = 0
        now = self._clock.now()
        for platform, replier in self._repliers.items():
            pace = self._paces.get(platform)
            allowed = min(limit, pace.available(now)) if pace is not None else limit
            if allowed <= 0:
                continue
            claimed = self._outbox.claim_due(allowed, platforms=[platform])
            if pace is not None:
                pace.take(len(claimed))
            for reply in claimed:
                sent += self._send(replier, reply)
        return sent

    def reconcile(self) -> None:
        """Replies stuck in `sending` were maybe delivered before a crash: ask, never guess and resend."""
        cutoff = self._clock.now() - self._in_doubt_after
        for reply in self._outbox.in_doubt(claimed_before=cutoff, platforms=list(self._repliers)):
            assert reply.id is not None
            replier = self._repliers[reply.platform]
            if not replier.can_confirm:
                self._outbox.hold_for_review(
                    reply.id, "may have been sent just before a restart and the platform cannot tell: "
                              "check the conversation before releasing it")
                continue
            try:
                found = replier.find_sent(reply.target, reply.key, reply.text)
            except PublishError as exc:
                log.warning("reply %s: cannot check whether it went out yet (%s)", reply.key, exc)
                continue
            if found is not None:
                self._outbox.mark_sent(reply.id, found.platform_id)
                log.info("reply %s was already delivered before the restart; recorded, not resent", reply.key)
            else:
                self._outbox.retry_later(reply.id, "not delivered before the restart", self._clock.now())

    def _send(self, replier: Replier, reply: Reply) -> int:
        assert reply.id is not None
        try:
            sent = replier.reply(reply.target, reply.text, reply.key)
        except DuplicatePost as exc:
            self._outbox.mark_sent(reply.id, exc.existing_id)
            return 1
        except OutcomeUnknown as exc:
            log.warning("reply %s: %s", reply.key, exc)
            self._outbox.hold_for_review(reply.id, str(exc))
            return 0
        except PublishError as exc:
            self._failed(reply, exc)
            return 0
        self._outbox.mark_sent(reply.id, sent.platform_id)
        return 1

    def _failed(self, reply: Reply, exc: PublishError) -> None:
        assert reply.id is not None
        if exc.permanent:
            log.warning("reply %s refused for good by %s: %s", reply.key, reply.platform.value, exc)
            self._outbox.mark_failed(reply.id, str(exc))
            return
        if reply.attempts >= self._max_attempts:
            log.error("reply %s: %d attempts failed, moved to the dead-letter list: %s", reply.key, reply.attempts,
                      exc)
            self._outbox.mark_dead(reply.id, f"{reply.attempts} attempts: {exc}")
            return
        delay = exc.retry_after if exc.retry_after is not None else self._backoff.delay(reply.attempts, self._rng)
        self._outbox.retry_later(reply.id, str(exc), self._clock.now() + timedelta(seconds=delay))
