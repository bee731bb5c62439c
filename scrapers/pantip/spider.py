"""The Pantip spider: tag, room and keyword listings, then each topic page and every page of its comments."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import JsonRequest, Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from core.errors import ParseError
from core.store.mentions import MentionStore
from scrapers.pantip.job import CrawlJob, CrawlOutcome, Unreadable
from scrapers.pantip.ledger import Batch, CommentsRead, ListingPage, TopicDone, TopicSeen
from scrapers.pantip.parse import (
    TopicRef,
    parse_comments,
    parse_listing,
    parse_search,
    parse_topic,
    topic_mention,
)

# The public constant the Pantip web front end sends with its API calls (base64 of "tester:tester").
API_HEADERS = {"ptauthorize": "Basic dGVzdGVyOnRlc3Rlcg==", "Accept": "application/json"}
COMMENTS_PER_PAGE = 100
LISTING_LIMIT = 50
DEFAULT_RETRY_AFTER = 900.0  # Pantip sends no Retry-After with its 429s (as far as third parties report)
MAX_KEPT_BODY = 200_000


class PantipSpider(scrapy.Spider):
    """Reads what the job asks for; every stored batch names the progress it completes (see ledger.py)."""

    name = "pantip"

    def __init__(self, job: CrawlJob, outcome: CrawlOutcome, mentions: MentionStore | None = None,
                 report_path: Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = job
        self.outcome = outcome
        self.mentions = mentions  # where StorePipeline stores each batch
        self.report_path = report_path  # where StorePipeline rewrites the outcome after each batch
        self.base = job.base_url.rstrip("/")
        known = dict(job.position.get("topics") or {})
        self._types = {int(tid): int(v.get("type") or 0) for tid, v in known.items() if v.get("type")}
        self._read = {int(tid): int(v.get("read") or 0) for tid, v in known.items()}
        self._floors = {k: int(v) for k, v in dict(job.position.get("listings") or {}).items()}
        self._scheduled: set[int] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PantipSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._spider_error, signal=signals.spider_error)
        return spider

    def _spider_error(self, failure: Failure, response: Response, spider: scrapy.Spider) -> None:
        # A bug or an unexpected answer in a callback: reported, and its topic stays unread.
        self.outcome.errors.append(f"{failure.type.__name__}: {failure.getErrorMessage()} at {response.url}")

    async def start(self) -> AsyncIterator[Request]:
        for tag in self.job.tags:
            yield self._listing_request(f"tag:{tag}", "tag_topic", {"tag_name": tag})
        for room in self.job.rooms:
            yield self._listing_request(f"room:{room}", "room_topic", {"room": room})
        for keyword in self.job.keywords:
            yield JsonRequest(
                f"{self.base}/api/search-service/search/getresult",
                data={"keyword": keyword, "page": 1, "rooms": [], "timebias": True},
                headers=API_HEADERS,
                callback=self.parse_search,
                errback=self.failed,
                cb_kwargs={"key": f"search:{keyword}"},
            )

    # --- listings -------------------------------------------------------------------------------
    def _listing_request(self, key: str, kind: str, params: dict[str, str], next_id: int | None = None,
                         seen: int = 0, page: int = 0) -> Request:
        query: dict[str, Any] = {**params, "limit": LISTING_LIMIT}
        if next_id is not None:
            query["next_id"] = next_id
        return Request(
            f"{self.base}/api/forum-service/forum/{kind}?{urlencode(query)}",
            headers=API_HEADERS,
            callback=self.parse_listing,
            errback=self.failed,
            cb_kwargs={"key": key, "kind": kind, "params": params, "seen": seen, "page": page},
        )

    def parse_listing(self, response: Response, key: str, kind: str, params: dict[str, str],
                      seen: int, page: int) -> Iterator[Any]:
        with self._readable(response):
            listing = parse_listing(_json(response), _text(response))
            seen += len(listing.topics)
            floor = self._floors.get(key, 0)
            more = (listing.next_id is not None and bool(listing.topics) and seen < self.job.max_topics
                    and min(t.tid for t in listing.topics) > floor)
            yield from self._listed(key, listing.topics, last=not more, page=page)
            if more:
                yield self._listing_request(key, kind, params, listing.next_id, seen, page + 1)

    def parse_search(self, response: Response, key: str) -> Iterator[Any]:
        with self._readable(response):
            listing = parse_search(_json(response), _text(response))
            yield from self._listed(key, listing.topics[: self.job.max_topics], last=True)

    def _listed(self, key: str, refs: list[TopicRef], last: bool, page: int = 0) -> Iterator[Any]:
        floor = self._floors.get(key, 0)
        owed = [ref for ref in refs if self._unread(ref, floor)]
        newest = max((ref.tid for ref in refs), default=0)
        yield Batch(events=[ListingPage(key, tuple(ref.tid for ref in owed), newest, last, page)])
        for ref in owed:
            if ref.tid not in self._scheduled:
                self._scheduled.add(ref.tid)
                yield self._topic_request(ref)

    def _unread(self, ref: TopicRef, floor: int) -> bool:
        if ref.tid in self._read:
            return self._read[ref.tid] < ref.comments or ref.tid not in self._types
        return ref.tid > floor  # an older topic we no longer track is not read again

    # --- topics and comments --------------------------------------------------------------------
    def _topic_request(self, ref: TopicRef) -> Request:
        if ref.tid in self._types:  # read before: only the comments pages that may hold new ones
            page = self._read.get(ref.tid, 0) // COMMENTS_PER_PAGE + 1
            return self._comments_request(ref.tid, self._types[ref.tid], page)
        return Request(f"{self.base}/topic/{ref.tid}", callback=self.parse_topic, errback=self.failed,
                       cb_kwargs={"ref": ref})

    def parse_topic(self, response: Response, ref: TopicRef) -> Iterator[Any]:
        with self._readable(response):
            topic = parse_topic(ref.tid, _text(response))
            self._types[ref.tid] = topic.topic_type
            events: list[Any] = [TopicSeen(ref.tid, topic.topic_type)]
            if ref.comments == 0:
                events.append(TopicDone(ref.tid))
            yield Batch([topic_mention(topic, self.job.source)], events)
            if ref.comments:
                yield self._comments_request(ref.tid, topic.topic_type, 1)

    def _comments_request(self, tid: int, topic_type: int, page: int) -> Request:
        query = {"tid": tid, "param": f"page{page}", "type": topic_type, "time": f"{random.random():.16f}"}
        return Request(
            f"{self.base}/forum/topic/render_comments?{urlencode(query)}",
            # Without this header Pantip answers with a whole HTML page (status 200) instead of the JSON.
            headers={"X-Requested-With": "XMLHttpRequest", "Accept": "application/json, text/javascript, */*",
                     "Referer": f"{self.base}/topic/{tid}"},
            callback=self.parse_comments,
            errback=self.failed,
            cb_kwargs={"tid": tid, "topic_type": topic_type, "page": page},
        )

    def parse_comments(self, response: Response, tid: int, topic_type: int, page: int) -> Iterator[Any]:
        with self._readable(response):
            found = parse_comments(tid, _json(response), _text(response), self.job.source)
            upto = max(found.last_comment_no, self._read.get(tid, 0))
            more = page * COMMENTS_PER_PAGE < found.max_comments
            events: list[Any] = [CommentsRead(tid, upto)]
            if not more:
                events.append(TopicDone(tid))
            yield Batch(found.mentions, events)
            if more:
                yield self._comments_request(tid, topic_type, page + 1)

    # --- failures -------------------------------------------------------------------------------
    def failed(self, failure: Failure) -> Iterable[Any]:
        """A request that got no usable answer: robots.txt, 429, 5xx, timeouts, refused connections."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            self.outcome.skipped_by_robots.append(request.url)
            ref = request.cb_kwargs.get("ref")
            tid = ref.tid if ref is not None else request.cb_kwargs.get("tid")
            # Never allowed to read it: it must not hold its listing's cursor back for ever.
            return [Batch(events=[TopicDone(tid)])] if tid is not None else []
        if failure.check(HttpError) and failure.value.response.status == 429:
            retry_after = failure.value.response.headers.get("Retry-After")
            self.outcome.retry_after = _seconds(retry_after, DEFAULT_RETRY_AFTER)
            raise CloseSpider("rate_limited")
        if failure.check(HttpError):
            self.outcome.errors.append(f"HTTP {failure.value.response.status} for {request.url}")
        else:
            self.outcome.errors.append(f"{failure.type.__name__}: {failure.getErrorMessage()} for {request.url}")
        return []

    def _readable(self, response: Response) -> _Readable:
        return _Readable(self.outcome, response)


class _Readable:
    """Turns a ParseError in a callback into a saved sample; the topic stays unread, the crawl goes on."""

    def __init__(self, outcome: CrawlOutcome, response: Response) -> None:
        self._outcome = outcome
        self._response = response

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> bool:
        if isinstance(exc, ParseError):
            self._outcome.unreadable.append(Unreadable(self._response.url, str(exc), exc.raw_body[:MAX_KEPT_BODY]))
            return True
        return False


def _text(response: Response) -> str:
    return response.body.decode("utf-8-sig", errors="replace")


def _json(response: Response) -> Any:
    """The body as JSON; Pantip puts a UTF-8 byte order mark in front of its comments JSON."""
    try:
        return json.loads(_text(response))
    except ValueError as exc:
        raise ParseError(f"{response.url}: not JSON ({exc})", _text(response)) from exc


def _seconds(value: bytes | None, default: float) -> float:
    try:
        return max(1.0, float(value.decode())) if value else default
    except ValueError:
        return default
