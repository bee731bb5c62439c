"""`python -m scrapers.pantip.crawl --job JOB --report REPORT`: one Pantip crawl in a process of its own.

Twisted's reactor cannot be restarted inside the long-lived app, so PantipSource runs this as a
child process. The database URL comes in the environment (GCC1111_CRAWL_DATABASE_URL), the job
as a JSON file; the report (CrawlOutcome) is rewritten after every stored batch and once more at
the end with finished=true.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from sqlalchemy.engine import make_url

from core.clock import SystemClock
from core.logs import configure_logging
from core.store.engine import open_engine
from core.store.mentions import MentionStore
from scrapers.pantip.job import DATABASE_URL_ENV, CrawlJob, CrawlOutcome
from scrapers.pantip.spider import PantipSpider

USER_AGENT = "GCC1111SocialDesk/0.1 (Government Contact Center 1111; +https://www.1111.go.th)"
log = logging.getLogger("gcc1111.pantip")


def crawl_settings(job: CrawlJob) -> dict[str, Any]:
    """Polite by default: robots.txt obeyed, AutoThrottle on, a delay between requests, 429 never retried."""
    return {
        "BOT_NAME": "gcc1111",
        "USER_AGENT": USER_AGENT,
        "ROBOTSTXT_OBEY": True,  # Scrapy's own default is False; only its project template turns it on
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": job.autothrottle_start_delay,
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_DELAY": job.download_delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_TIMEOUT": job.request_timeout,
        "RETRY_TIMES": 1,
        # Not 429: a rate limit ends the crawl at once and the listener backs off.
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
        "COOKIES_ENABLED": False,
        # A child crawl opens no ports of its own: no telnet console, no remote-control HTTP server (2.19).
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "EXTENSIONS": {"scrapy.extensions.feedexport.FeedExporter": None},
        "ITEM_PIPELINES": {"scrapers.pantip.pipeline.StorePipeline": 300},
        # A callback's batch is stored before the request it yields next is scheduled (a page's comments
        # are in the database before the next page is asked for).
        "CONCURRENT_ITEMS": 1,
    }


def run(job: CrawlJob, database_url: str, report: Path) -> CrawlOutcome:
    """Crawl once, storing as it goes; returns the finished report."""
    outcome = CrawlOutcome()
    # The app has migrated the database already; the store's own module would pull in alembic for nothing.
    engine = open_engine(database_url)
    try:
        process = CrawlerProcess(crawl_settings(job), install_root_handler=False)
        process.crawl(PantipSpider, job=job, outcome=outcome, mentions=MentionStore(engine, SystemClock()),
                      report_path=report)
        process.start()
    finally:
        engine.dispose()
    outcome.finished = True
    outcome.save(report)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scrapers.pantip.crawl", description=__doc__.splitlines()[0])
    parser.add_argument("--job", type=Path, required=True, help="the CrawlJob as a JSON file")
    parser.add_argument("--report", type=Path, required=True, help="where to write the CrawlOutcome")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    database_url = os.environ.get(DATABASE_URL_ENV, "")
    if not database_url:
        print(f"{DATABASE_URL_ENV} is not set", file=sys.stderr)
        return 2
    configure_logging(args.log_level, secrets=[make_url(database_url).password or ""])
    job = CrawlJob.from_json(args.job.read_text(encoding="utf-8"))
    outcome = run(job, database_url, args.report)
    log.info("pantip crawl for %s: %d new mentions, %d failures, %d unreadable, %d skipped by robots.txt",
             job.source, outcome.stored, len(outcome.errors), len(outcome.unreadable),
             len(outcome.skipped_by_robots))
    return 0


if __name__ == "__main__":
    sys.exit(main())
