"""The Page feed as a Source: visitors' posts, and the public's comments and replies on every recent post."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from core.clock import Clock
from core.domain import Mention, Platform
from core.ports import Page
from scrapers.facebook.client import GraphClient
from scrapers.facebook.parse import Thread, comment_mention, created_at, post_mention, thread
from scrapers.facebook.sweep import ThreadSweep

POST_FIELDS = "id,message,created_time,updated_time,from,permalink_url,status_type"
COMMENT_FIELDS = "id,message,created_time,from,parent{id},permalink_url"


class PageFeedSource:
    """Reads /{page}/feed (since the watch window) and each changed post's comments with filter=stream.

    The Page's own posts and replies are not mentions, but comments under the Page's own posts are.
    Comments on posts older than the window are left to the webhook.
    """

    platform = Platform.FACEBOOK

    def __init__(self, client: GraphClient, page_id: str, clock: Clock, *, name: str = "facebook.feed",
                 page_size: int = 25, window_days: float = 14, overlap_seconds: float = 300) -> None:
        self.name = name
        self._client = client
        self._page_id = page_id
        self._page_size = page_size
        self._window = timedelta(days=window_days)
        self._sweep = ThreadSweep(clock, window=self._window, overlap=timedelta(seconds=overlap_seconds),
                                  sorted_by_update=False)

    def poll(self, position: dict[str, Any]) -> Iterator[Page]:
        """Pages of new posts and comments, each with the cursor that covers it."""
        return self._sweep.run(position, self._list_posts, self._read_post)

    def token_expires_at(self) -> datetime | None:
        return self._client.token_expires_at()

    def _list_posts(self, after: str | None, started: datetime) -> tuple[Sequence[Thread], str | None]:
        since = int((started - self._window).timestamp())
        page = self._client.page(f"{self._page_id}/feed", fields=POST_FIELDS, since=since,
                                 limit=self._page_size, after=after)
        with self._client.reading():
            return [thread(item) for item in page.items], page.after

    def _read_post(self, post: Thread, floor: datetime) -> Iterator[list[Mention]]:
        with self._client.reading():
            visitor_post = post_mention(post.item, page_id=self._page_id, source=self.name)
        first = [visitor_post] if visitor_post is not None and visitor_post.posted_at >= floor else []
        after: str | None = None
        while True:
            page = self._client.page(f"{post.id}/comments", filter="stream", order="reverse_chronological",
                                     fields=COMMENT_FIELDS, limit=self._page_size, after=after)
            batch, reached_floor = self._comments(page.items, post.id, floor)
            yield first + batch
            first = []
            if reached_floor or page.after is None:
                return
            after = page.after

    def _comments(self, items: list[dict[str, Any]], post_id: str, floor: datetime) -> tuple[list[Mention], bool]:
        """Newest-first comments down to the floor (the same second is re-read: the store ignores repeats)."""
        batch: list[Mention] = []
        with self._client.reading():
            for item in items:
                if created_at(item) < floor:
                    return batch, True
                found = comment_mention(item, post_id=post_id, page_id=self._page_id, source=self.name)
                if found is not None:
                    batch.append(found)
        return batch, False
