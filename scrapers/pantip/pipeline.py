"""The item pipeline: each batch of mentions stored with the cursor it completes, in one transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from scrapy.crawler import Crawler

from core.store.mentions import MentionStore
from scrapers.pantip.job import CrawlOutcome
from scrapers.pantip.ledger import Batch, Ledger


class StorePipeline:
    """Stores every Batch through MentionStore.ingest and writes the crawl's report after each one.

    The store, job and report come from the spider (set up by scrapers.pantip.crawl), never from
    Scrapy settings: settings are logged at start-up, and the database URL may hold a password.
    """

    def __init__(self, crawler: Crawler) -> None:
        self._crawler = crawler
        self._ledger: Ledger | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self._spider()
        self._ledger = Ledger(spider.job.position)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Batch) or self._ledger is None:
            return item
        spider = self._spider()
        mentions: MentionStore = spider.mentions
        outcome: CrawlOutcome = spider.outcome
        after = self._ledger.applied(item.events)
        try:
            outcome.stored += mentions.ingest(spider.job.source, item.mentions, after.position())
        except sa.exc.SQLAlchemyError as exc:
            # The ledger keeps its old state, so no later cursor covers this batch: the next poll reads it again.
            outcome.errors.append(f"could not store a batch: {type(exc).__name__}: {exc}")
            return item
        self._ledger = after
        report: Path | None = spider.report_path
        if report is not None:
            outcome.save(report)
        return item

    def _spider(self) -> Any:
        assert self._crawler.spider is not None
        return self._crawler.spider
