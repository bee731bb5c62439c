"""Narrow interfaces between the stages; adapters implement them, the composition root wires them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from core.domain import Broadcast, BroadcastStatus, Classification, Delivery, Mention, Platform


@dataclass(frozen=True, slots=True)
class Page:
    """One batch read from a source and the cursor position that covers it.

    The listener stores `mentions` and `position` in one transaction, so a crash
    either keeps both or neither. position=None leaves the saved cursor unchanged.
    """

    mentions: Sequence[Mention]
    position: dict[str, Any] | None = None
    stored: int = 0  # mentions the source already stored itself (a crawl in a child process): counted only


class Source(Protocol):
    """Reads new posts from one place on one platform."""

    name: str
    platform: Platform

    def poll(self, position: dict[str, Any]) -> Iterator[Page]:
        """Yield pages of mentions newer than `position` (empty dict on first run).

        Raises RateLimited, AuthExpired, ParseError or SourceError; pages already
        yielded stay stored, so a failure part-way loses nothing.
        """
        ...


@runtime_checkable
class TokenAware(Protocol):
    """A source that knows when its access token stops working, so staff are warned before it does."""

    def token_expires_at(self) -> datetime | None: ...


class Classifier(Protocol):
    """Sorts Thai posts into inquiry / complaint / other, with agency and urgency."""

    @property
    def version(self) -> str: ...

    def classify(self, texts: Sequence[str]) -> list[Classification]: ...


@dataclass(frozen=True, slots=True)
class Sent:
    """What a platform answered when it accepted a reply or a post."""

    platform_id: str
    url: str = ""


class Replier(Protocol):
    """Answers a citizen where they wrote, or messages a staff chat.

    Targets are "<kind>:<id>" strings the triage writes and the replier reads, e.g. "comment:123_456",
    "messenger:<psid>", "tweet:1578", "chat:-100123:45" (a Telegram chat, optionally the message answered).
    """

    platform: Platform
    can_confirm: bool  # whether find_sent can tell for sure if a reply went out

    def reply(self, target: str, text: str, key: str) -> Sent:
        """Send `text` in answer to `target`. Raises PublishError (or DuplicatePost)."""
        ...

    def find_sent(self, target: str, key: str, text: str) -> Sent | None:
        """After a crash: the reply if it is already on the platform, None if it certainly is not.

        Only called when can_confirm is True; otherwise the dispatcher holds the reply for a person.
        """
        ...


class Poster(Protocol):
    """Publishes a post on one of the government's own channels."""

    platform: Platform

    def post(self, text: str, key: str) -> Sent:
        """Publish `text`. Raises PublishError, or DuplicatePost when it is already there."""
        ...

    def find_posted(self, key: str, text: str) -> Sent | None:
        """After a crash: is this post already public? None when it is not."""
        ...


@dataclass(frozen=True, slots=True)
class FeedReading:
    """The latest data from a public feed and when the publisher issued it."""

    feed: str
    issued_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


class Feed(Protocol):
    name: str

    def latest(self) -> FeedReading:
        """Raises SourceError (unreachable) or ParseError (changed format)."""
        ...


@dataclass(frozen=True, slots=True)
class ChannelPreview:
    """How a broadcast reads on one channel, measured the way that platform counts, with staff warnings."""

    channel: Platform
    text: str
    length: int  # X: weighted characters; Telegram: UTF-16 units; Facebook: characters
    limit: int
    warnings: tuple[str, ...] = ()

    @property
    def fits(self) -> bool:
        return self.length <= self.limit


@dataclass(frozen=True, slots=True)
class BroadcastPreview:
    """A broadcast rendered for each of its channels; `error` (a template problem) blocks approval."""

    channels: tuple[ChannelPreview, ...] = ()
    error: str = ""
    notes: tuple[str, ...] = ()  # e.g. sample data shown because a feed is unreachable right now

    @property
    def ok(self) -> bool:
        return not self.error


class BroadcastPreviewer(Protocol):
    """What the dashboard asks before showing an editor or an approval button."""

    def preview(self, broadcast: Broadcast) -> BroadcastPreview: ...


class BroadcastDesk(Protocol):
    """The staff actions on broadcasts the dashboard may take; refusals raise BroadcastRuleError (Thai)."""

    def create(self, *, by: str, channels: Sequence[Platform], text: str = "", template: str = "",
               run_at: datetime | None = None, cron: str = "", title: str = "") -> Broadcast: ...

    def approve(self, broadcast_id: int, by: str, *, emergency: bool = False) -> Broadcast: ...

    def cancel(self, broadcast_id: int, by: str, reason: str = "") -> Broadcast: ...

    def listing(self, statuses: Sequence[BroadcastStatus] = (), limit: int = 50
                ) -> list[tuple[Broadcast, list[Delivery]]]: ...

    def preview(self, broadcast: Broadcast) -> BroadcastPreview:
        """A saved or an unsaved (form) broadcast, rendered per channel."""
        ...

    def template_names(self) -> list[str]: ...

    def occurrences(self, broadcast: Broadcast, after: datetime, until: datetime) -> list[datetime]:
        """Occurrence times in (after, until], aware UTC; ValueError (Thai) for a cron that cannot be read."""
        ...
