"""What the app asks of a Pantip crawl in a child process, and what the child reports back (both as JSON files)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DATABASE_URL_ENV = "GCC1111_CRAWL_DATABASE_URL"  # in the environment, never on the command line (`ps` shows that)


@dataclass(frozen=True)
class CrawlJob:
    """One crawl: where, what to read, how politely, and the cursor it starts from."""

    source: str
    base_url: str
    tags: list[str] = field(default_factory=list)
    rooms: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    download_delay: float = 2.0
    autothrottle_start_delay: float = 5.0
    max_topics: int = 50
    request_timeout: float = 30.0
    position: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CrawlJob:
        return cls(**json.loads(text))


@dataclass
class Unreadable:
    """A page or payload the crawl could not read, with the body kept for diagnosis."""

    url: str
    error: str
    raw_body: str


@dataclass
class CrawlOutcome:
    """How a crawl went. Written after every stored batch, so even a killed crawl leaves its count."""

    stored: int = 0
    finished: bool = False
    retry_after: float | None = None  # set when Pantip answered 429
    errors: list[str] = field(default_factory=list)  # 5xx, timeouts, connection failures
    unreadable: list[Unreadable] = field(default_factory=list)
    skipped_by_robots: list[str] = field(default_factory=list)

    def save(self, path: Path) -> None:
        """Replace the file atomically: a reader sees the old report or the new one, never half of one."""
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(asdict(self), ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> CrawlOutcome | None:
        """The last report, or None when the child never wrote one."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        data["unreadable"] = [Unreadable(**item) for item in data.get("unreadable", [])]
        return cls(**data)
