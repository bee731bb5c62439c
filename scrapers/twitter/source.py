"""X listening sources: the account's mentions and a recent search, read with since_id cursors.

X pages a timeline newest first, so since_id may only move to the newest tweet once every page
down to the old since_id has been read. Each page is still stored as it arrives, with an
in-progress cursor {since_id, newest_id, until_id}: after a crash (even kill -9) the next poll
reads only the gap between the old since_id and the oldest tweet already stored (until_id is
exclusive, so nothing is stored twice), then finishes with since_id = newest_id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
import tweepy

from core.clock import Clock
from core.domain import Platform
from core.errors import ParseError
from core.ports import Page
from scrapers.twitter.client import StaleCursor, fetch
from scrapers.twitter.parse import parse_timeline

log = logging.getLogger("gcc1111.twitter")

TWEET_FIELDS = ["created_at", "author_id", "conversation_id", "lang", "referenced_tweets", "in_reply_to_user_id"]
EXPANSIONS = ["author_id"]
USER_FIELDS = ["username", "name"]


@dataclass(frozen=True)
class Cursor:
    """Where a since_id source stands; newest_id/until_id are set only while a poll is part-way."""

    since_id: str | None = None
    newest_id: str | None = None  # the top of the batch being read
    until_id: str | None = None  # the oldest tweet of that batch stored so far

    @classmethod
    def from_position(cls, position: dict[str, Any]) -> Cursor:
        values = {k: position.get(k) for k in ("since_id", "newest_id", "until_id")}
        if not all(v is None or (isinstance(v, str) and v.isdigit()) for v in values.values()):
            log.warning("ignoring an unreadable X cursor %r; reading afresh", position)
            return cls()
        if (values["newest_id"] is None) != (values["until_id"] is None):
            return cls(since_id=values["since_id"])
        return cls(**values)

    def position(self) -> dict[str, Any]:
        return {k: v for k, v in (("since_id", self.since_id), ("newest_id", self.newest_id),
                                  ("until_id", self.until_id)) if v is not None}


class _SinceIdSource:
    """The paging and cursor logic both X sources share; subclasses say which endpoint to call."""

    platform = Platform.TWITTER
    page_param = "pagination_token"
    min_results = 5

    def __init__(self, name: str, client: tweepy.Client, clock: Clock, *, max_results: int, max_pages: int,
                 own_user_id: str = "") -> None:
        if not self.min_results <= max_results <= 100:
            raise ValueError(f"max_results must be {self.min_results}-100 for {name}, got {max_results}")
        self.name = name
        # The desk's own replies say "1111" and other tracked words: never read them back as the public's.
        self._own_user_id = own_user_id
        self._client = client
        self._clock = clock
        self._max_results = max_results
        self._max_pages = max_pages

    def poll(self, position: dict[str, Any]) -> Iterator[Page]:
        """Yield each page as read; the last one carries since_id = the newest tweet seen."""
        cursor = Cursor.from_position(position)
        try:
            yield from self._read(cursor)
        except StaleCursor as exc:
            if cursor == Cursor():
                raise
            # Recent search reaches back 7 days: an older since_id is refused for good. Re-reading the
            # window is harmless (mentions are unique per tweet id); waiting would never fix it.
            log.warning("source %s: %s; reading the whole window again", self.name, exc)
            yield from self._read(Cursor())

    def _read(self, cursor: Cursor) -> Iterator[Page]:
        newest = int(cursor.newest_id) if cursor.newest_id else 0
        lowest = int(cursor.until_id) if cursor.until_id else 0
        token: str | None = None
        for _ in range(self._max_pages):
            response = fetch(self._endpoint(), self._clock, self.name, since_id=cursor.since_id,
                             until_id=cursor.until_id, max_results=self._max_results,
                             tweet_fields=TWEET_FIELDS, expansions=EXPANSIONS, user_fields=USER_FIELDS,
                             **{self.page_param: token})
            timeline = parse_timeline(_utf8(response), self.name, response.headers.get("content-type", ""))
            ids = [int(m.external_id) for m in timeline.mentions]
            if ids:
                newest = max(newest, *ids)
                lowest = min(ids) if not lowest else min(lowest, *ids)
            token = timeline.next_token
            public = [m for m in timeline.mentions
                      if not self._own_user_id or m.raw.get("author_id") != self._own_user_id]
            if token is None:
                since = str(newest) if newest else cursor.since_id
                yield Page(public, Cursor(since_id=since).position())
                return
            in_progress = Cursor(cursor.since_id, str(newest), str(lowest)) if newest else None
            yield Page(public, in_progress.position() if in_progress else None)
        log.info("source %s: read %d pages, the rest waits for the next poll", self.name, self._max_pages)

    def _endpoint(self) -> Callable[..., requests.Response]:
        raise NotImplementedError


def _utf8(response: requests.Response) -> str:
    """JSON is UTF-8 (RFC 8259): decode it so, never by requests' charset guess, which can garble Thai."""
    try:
        return response.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"X sent a body that is not UTF-8: {exc}",
                         raw_body=response.content.decode("utf-8", errors="replace")) from None


class TwitterMentions(_SinceIdSource):
    """Tweets that @-mention the desk's account (GET /2/users/{id}/mentions)."""

    page_param = "pagination_token"  # tweepy's name for the mentions page token

    def __init__(self, client: tweepy.Client, user_id: str, clock: Clock, *, name: str = "twitter.mentions",
                 max_results: int = 100, max_pages: int = 10) -> None:
        super().__init__(name, client, clock, max_results=max_results, max_pages=max_pages, own_user_id=user_id)
        self.user_id = user_id

    def _endpoint(self) -> Callable[..., requests.Response]:
        client, user_id = self._client, self.user_id
        return lambda **params: client.get_users_mentions(user_id, **params)


class TwitterSearch(_SinceIdSource):
    """Recent tweets (7 days) matching the tracked Thai keywords (GET /2/tweets/search/recent)."""

    page_param = "next_token"  # search calls its page token next_token
    min_results = 10

    def __init__(self, client: tweepy.Client, query: str, clock: Clock, *, name: str = "twitter.search",
                 max_results: int = 100, max_pages: int = 10, own_user_id: str = "") -> None:
        super().__init__(name, client, clock, max_results=max_results, max_pages=max_pages, own_user_id=own_user_id)
        self.query = query

    def _endpoint(self) -> Callable[..., requests.Response]:
        client, query = self._client, self.query
        return lambda **params: client.search_recent_tweets(query, **params)
