"""The Pantip cursor: what has been read, advanced only by batches as they are stored.

Scrapy runs callbacks and item pipelines concurrently, so a cursor computed where the spider
yields could get ahead of what is stored. Instead each stored batch carries the progress it
represents (events), and the pipeline applies them here in the same step as it stores the
mentions: the saved cursor never covers anything not yet stored, whatever order batches land in.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from core.domain import Mention

MAX_TRACKED_TOPICS = 2000  # per-topic comment counts kept in the cursor; older topics drop out of listings anyway


@dataclass(frozen=True)
class ListingPage:
    """A page of a tag, room or search listing was read; `owed` topics must be read before it counts as done."""

    key: str
    owed: tuple[int, ...]
    newest: int
    last: bool  # no further page of this listing will be read in this crawl
    page: int = 0  # 0 for the first page: a listing is done only when every page up to the last is in


@dataclass(frozen=True)
class TopicSeen:
    """The topic page was read: its own mention is in the batch, and its type is known from now on."""

    tid: int
    topic_type: int


@dataclass(frozen=True)
class CommentsRead:
    """Comments up to this number (and their replies) are in the batch."""

    tid: int
    upto: int


@dataclass(frozen=True)
class TopicDone:
    """Nothing more to read in this topic for now (or ever, when robots.txt forbids it)."""

    tid: int


Event = ListingPage | TopicSeen | CommentsRead | TopicDone


@dataclass
class Batch:
    """What the spider hands the item pipeline: mentions and the progress they complete."""

    mentions: list[Mention] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


class Ledger:
    """Newest topic per listing whose topics are all read, and per topic its type and comments read."""

    def __init__(self, position: dict[str, Any]) -> None:
        self.newest: dict[str, int] = {k: int(v) for k, v in dict(position.get("listings") or {}).items()}
        self.topics: dict[str, dict[str, int]] = {
            str(tid): {"type": int(v.get("type", 0)), "read": int(v.get("read", 0))}
            for tid, v in dict(position.get("topics") or {}).items()
        }
        self._owed: dict[str, set[int]] = {}
        self._top: dict[str, int] = {}
        self._pages: dict[str, set[int]] = {}  # listing pages stored so far
        self._last_page: dict[str, int] = {}  # the number of each listing's last page, once it is stored
        self._done: set[int] = set()

    def applied(self, events: list[Event]) -> Ledger:
        """A copy with `events` applied; the pipeline keeps it only once the batch is stored."""
        after = copy.deepcopy(self)
        for event in events:
            after._apply(event)
        after._settle()
        return after

    def position(self) -> dict[str, Any]:
        """The cursor to save with the batch."""
        kept = sorted(self.topics, key=int, reverse=True)[:MAX_TRACKED_TOPICS]
        return {"listings": dict(self.newest), "topics": {tid: dict(self.topics[tid]) for tid in kept}}

    def _apply(self, event: Event) -> None:
        if isinstance(event, ListingPage):
            self._owed.setdefault(event.key, set()).update(set(event.owed) - self._done)
            self._top[event.key] = max(self._top.get(event.key, 0), event.newest)
            self._pages.setdefault(event.key, set()).add(event.page)
            if event.last:
                self._last_page[event.key] = event.page
        elif isinstance(event, TopicSeen):
            known = self.topics.setdefault(str(event.tid), {"type": event.topic_type, "read": 0})
            known["type"] = event.topic_type
        elif isinstance(event, CommentsRead):
            known = self.topics.setdefault(str(event.tid), {"type": 0, "read": 0})
            known["read"] = max(known["read"], event.upto)
        else:
            self._done.add(event.tid)
            for owed in self._owed.values():
                owed.discard(event.tid)

    def _settle(self) -> None:
        for key, last in self._last_page.items():
            if not self._owed.get(key) and self._pages[key] >= set(range(last + 1)):
                self.newest[key] = max(self.newest.get(key, 0), self._top.get(key, 0))
