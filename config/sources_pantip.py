"""Builds the Pantip source from settings: one crawl per poll, run in a child process that stores as it goes."""

from __future__ import annotations

from config.settings import Settings
from core.clock import Clock
from core.ports import Source
from scrapers.pantip.job import CrawlJob
from scrapers.pantip.source import PantipSource


def pantip_sources(settings: Settings, clock: Clock, database_url: str | None = None) -> list[Source]:
    """The Pantip crawl of tracked tags, rooms and keywords; [] when none is configured.

    `database_url` is where the child process stores what it reads: the app's own store
    (settings.store_url) unless given.
    """
    section = settings.pantip
    if not section.enabled:
        return []
    job = CrawlJob(
        source="pantip",
        base_url=section.base_url,
        tags=list(section.tags),
        rooms=list(section.rooms),
        keywords=list(section.keywords),
        download_delay=section.download_delay,
        autothrottle_start_delay=section.autothrottle_start_delay,
        max_topics=section.max_topics,
    )
    url = database_url or settings.store_url
    return [PantipSource(job, url, timeout_seconds=section.crawl_timeout_seconds)]
