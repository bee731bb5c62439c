"""Reply targets: the "<kind>:<id>" strings triage writes and the repliers read."""

from __future__ import annotations

from collections.abc import Collection

from core.errors import PublishError


def parse_target(target: str, kinds: Collection[str]) -> tuple[str, str]:
    """(kind, rest) of a target this replier serves; anything else is refused for good."""
    kind, separator, rest = target.partition(":")
    if not separator or kind not in kinds or not rest.strip():
        raise PublishError(f"cannot deliver to target {target!r}: expected one of {sorted(kinds)}", permanent=True)
    return kind, rest.strip()
