"""The platform stand-ins the demo and the benchmarks start (tests start their own)."""

from __future__ import annotations

from core.clock import Clock, SystemClock
from sandbox.facebook import FacebookSandbox
from sandbox.feeds import FeedsSandbox
from sandbox.instagram import InstagramSandbox
from sandbox.pantip import PantipSandbox
from sandbox.telegram import TelegramSandbox
from sandbox.twitter import TwitterSandbox
from sandbox.world import Platform


def all_sandboxes(clock: Clock | None = None) -> list[Platform]:
    """One fresh stand-in per platform, sharing one clock."""
    clock = clock or SystemClock()
    platforms: list[Platform] = [FacebookSandbox(clock), TwitterSandbox(clock), InstagramSandbox(clock),
                                 PantipSandbox(clock), TelegramSandbox(clock), FeedsSandbox(clock)]
    return platforms
