"""The whole sandbox: every platform stand-in on loopback, and the simulated public posting to them."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from typing import Protocol

from core.clock import Clock, SystemClock
from sandbox.seed import SeedPost, load_seed


class Platform(Protocol):
    """What the world needs of each stand-in."""

    name: str

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str: ...

    def stop(self) -> None: ...

    def env(self) -> dict[str, str]:
        """The GCC1111_* settings that point the product at this stand-in."""
        ...

    def publish(self, post: SeedPost) -> None:
        """A member of the public writes `post` on this platform now."""
        ...


class Sandbox:
    """Starts the stand-ins, seeds them, and can keep the public posting."""

    def __init__(self, platforms: Sequence[Platform], clock: Clock | None = None) -> None:
        self.platforms = {p.name: p for p in platforms}
        self.clock = clock or SystemClock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        for platform in self.platforms.values():
            platform.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for platform in self.platforms.values():
            platform.stop()

    def env(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for platform in self.platforms.values():
            merged.update(platform.env())
        return merged

    def seed(self, posts: Sequence[SeedPost]) -> int:
        """Publish `posts` at once on their platforms; returns how many had a stand-in."""
        published = 0
        for post in posts:
            platform = self.platforms.get(post.platform)
            if platform is not None:
                platform.publish(post)
                published += 1
        return published

    def simulate(self, interval_seconds: float = 2.0, posts: Sequence[SeedPost] | None = None) -> None:
        """Keep the public posting in a background thread, one post every `interval_seconds`."""
        pool = [p for p in (posts if posts is not None else load_seed()) if p.platform in self.platforms]
        if not pool:
            return
        cycle = itertools.cycle(pool)

        def run() -> None:
            while not self._stop.wait(interval_seconds):
                post = next(cycle)
                self.platforms[post.platform].publish(post)

        self._thread = threading.Thread(target=run, name="sandbox-public", daemon=True)
        self._thread.start()
