"""Capped exponential backoff with jitter, for failures the platform gave no timing for."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    base_seconds: float = 5.0
    cap_seconds: float = 900.0
    auth_recheck_seconds: float = 3600.0  # an expired token is re-tried hourly, not hammered

    def delay(self, failures: int, rng: random.Random) -> float:
        """Seconds to wait after the `failures`-th failure in a row: half the ceiling plus jitter up to it."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(failures - 1, 0))
        return float(ceiling / 2 + rng.uniform(0, ceiling / 2))
