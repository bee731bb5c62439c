"""Messenger conversations as a Source: what citizens write to the Page in private messages."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from core.clock import Clock
from core.domain import Mention, Platform
from core.ports import Page
from scrapers.facebook.client import GraphClient
from scrapers.facebook.parse import Thread, created_at, message_mention, thread
from scrapers.facebook.sweep import ThreadSweep

CONVERSATION_FIELDS = "id,updated_time"
MESSAGE_FIELDS = "id,message,from,to,created_time"


class MessengerSource:
    """Reads /{page}/conversations (newest-updated first, cursor paging only) and new messages in each."""

    platform = Platform.FACEBOOK

    def __init__(self, client: GraphClient, page_id: str, clock: Clock, *, name: str = "facebook.messenger",
                 page_size: int = 25, window_days: float = 14, overlap_seconds: float = 300) -> None:
        self.name = name
        self._client = client
        self._page_id = page_id
        self._page_size = page_size
        # Conversations have no time paging, but they are listed newest-updated first: the sweep stops
        # at the first one that has not changed since the last finished sweep.
        self._sweep = ThreadSweep(clock, window=timedelta(days=window_days),
                                  overlap=timedelta(seconds=overlap_seconds), sorted_by_update=True)

    def poll(self, position: dict[str, Any]) -> Iterator[Page]:
        """Pages of new messages, each with the cursor that covers it."""
        return self._sweep.run(position, self._list_conversations, self._read_conversation)

    def token_expires_at(self) -> datetime | None:
        return self._client.token_expires_at()

    def _list_conversations(self, after: str | None, started: datetime) -> tuple[Sequence[Thread], str | None]:
        page = self._client.page(f"{self._page_id}/conversations", platform="messenger",
                                 fields=CONVERSATION_FIELDS, limit=self._page_size, after=after)
        with self._client.reading():
            return [thread(item) for item in page.items], page.after

    def _read_conversation(self, conversation: Thread, floor: datetime) -> Iterator[list[Mention]]:
        after: str | None = None
        while True:
            page = self._client.page(f"{conversation.id}/messages", fields=MESSAGE_FIELDS,
                                     limit=self._page_size, after=after)
            batch: list[Mention] = []
            reached_floor = False
            with self._client.reading():
                for item in page.items:
                    if created_at(item) < floor:
                        reached_floor = True
                        break
                    found = message_mention(item, page_id=self._page_id, source=self.name)
                    if found is not None:
                        batch.append(found)
            yield batch
            if reached_floor or page.after is None:
                return
            after = page.after
