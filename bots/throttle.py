"""Per-user flood control for the public bot: a few messages a minute, one polite notice, then silence."""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.clock import Clock


class Verdict(enum.Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # the first message over the limit: tell the person once
    DROP = "drop"  # further ones in the same window: say nothing


@dataclass
class _Sender:
    times: deque[datetime] = field(default_factory=deque)
    warned: bool = False


class UserThrottle:
    """A sliding window per user (clock injected); one user's flood never touches anyone else's allowance."""

    def __init__(self, clock: Clock, limit: int = 5, window_seconds: float = 60.0, max_users: int = 100_000) -> None:
        self._clock = clock
        self._limit = limit
        self._window = timedelta(seconds=window_seconds)
        self._max_users = max_users
        self._senders: dict[int, _Sender] = {}

    def check(self, user_id: int) -> Verdict:
        """Count one message from `user_id` and say what to do with it."""
        now = self._clock.now()
        sender = self._senders.setdefault(user_id, _Sender())
        while sender.times and now - sender.times[0] >= self._window:
            sender.times.popleft()
        if len(sender.times) < self._limit:
            sender.times.append(now)
            sender.warned = False
            self._forget_idle(now)
            return Verdict.ALLOW
        if sender.warned:
            return Verdict.DROP
        sender.warned = True
        return Verdict.NOTIFY

    def _forget_idle(self, now: datetime) -> None:
        # Bounded memory under a flood of distinct senders: drop those quiet for a whole window.
        if len(self._senders) <= self._max_users:
            return
        idle = [uid for uid, s in self._senders.items() if not s.times or now - s.times[-1] >= self._window]
        for uid in idle:
            del self._senders[uid]
