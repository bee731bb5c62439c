"""The platform stand-ins the demo and the benchmarks start (tests start their own)."""

from __future__ import annotations

from sandbox.world import Platform


def all_sandboxes() -> list[Platform]:
    """One fresh stand-in per platform."""
    platforms: list[Platform] = []
    return platforms
