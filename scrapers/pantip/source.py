"""PantipSource: the listener's view of a Pantip crawl that runs, and stores, in a child process."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core.domain import Platform
from core.errors import ParseError, RateLimited, SourceError
from core.ports import Page
from scrapers.pantip.job import DATABASE_URL_ENV, CrawlJob, CrawlOutcome

log = logging.getLogger("gcc1111.pantip")
GRACE_SECONDS = 10.0  # after SIGTERM on a crawl that overran, before SIGKILL
LOG_TAIL_LINES = 15


@dataclass
class PantipSource:
    """Runs `python -m scrapers.pantip.crawl` and turns its report into what the listener expects.

    The child stores each batch with its cursor itself (the item pipeline, one transaction per
    batch), so a crawl killed at any point loses nothing and the next one resumes: the page this
    source yields only carries the count the child stored. A 429 becomes RateLimited, a page the
    crawl could not read a ParseError with its body, anything else that went wrong a SourceError.
    """

    job: CrawlJob
    database_url: str = field(repr=False)
    timeout_seconds: float = 1800.0
    python: str = sys.executable
    name: str = "pantip"
    platform: Platform = field(default=Platform.PANTIP, init=False)
    running: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def poll(self, position: dict[str, Any]) -> Iterator[Page]:
        job = replace(self.job, source=self.name, position=position)
        with tempfile.TemporaryDirectory(prefix="gcc1111-pantip-") as folder:
            report = Path(folder) / "report.json"
            crawl_log = Path(folder) / "crawl.log"
            returncode = self._crawl(job, Path(folder) / "job.json", report, crawl_log)
            outcome = CrawlOutcome.load(report) or CrawlOutcome()
            tail = _tail(crawl_log)
        if outcome.skipped_by_robots:
            log.info("pantip: robots.txt forbids %d pages, not read: %s", len(outcome.skipped_by_robots),
                     ", ".join(outcome.skipped_by_robots[:5]))
        yield Page([], None, stored=outcome.stored)
        failure = _failure(outcome, returncode, tail)
        if failure is not None:
            raise failure

    @property
    def pid(self) -> int | None:
        """The running crawl's process id, while there is one."""
        return self.running.pid if self.running is not None else None

    def _crawl(self, job: CrawlJob, job_file: Path, report: Path, crawl_log: Path) -> int:
        job_file.write_text(job.to_json(), encoding="utf-8")
        command = [self.python, "-m", "scrapers.pantip.crawl", "--job", str(job_file), "--report", str(report)]
        # The crawl needs none of the app's own settings and secrets (tokens, keys): only the database.
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GCC1111_")}
        env[DATABASE_URL_ENV] = self.database_url
        with crawl_log.open("wb") as stderr:
            self.running = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,  # noqa: S603 - our module
                                            stdout=subprocess.DEVNULL, stderr=stderr)
            try:
                return self.running.wait(timeout=self.timeout_seconds)
            except subprocess.TimeoutExpired:
                return self._stop_overrun()
            finally:
                self.running = None

    def _stop_overrun(self) -> int:
        assert self.running is not None
        log.warning("pantip: crawl still running after %.0f s; stopping it", self.timeout_seconds)
        self.running.terminate()
        try:
            return self.running.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.running.kill()
            return self.running.wait()


def _failure(outcome: CrawlOutcome, returncode: int, tail: str) -> SourceError | None:
    """The one error the listener should act on, most urgent first."""
    if outcome.retry_after is not None:
        return RateLimited("Pantip answered 429 Too Many Requests", outcome.retry_after)
    if returncode != 0 or not outcome.finished:
        if returncode < 0:
            how = f"was killed by {signal.Signals(-returncode).name}"
        else:
            how = f"exited with code {returncode}" if returncode else "ended without finishing"
        return SourceError(f"the Pantip crawl {how}; {outcome.stored} mentions were stored before that. {tail}")
    others = len(outcome.errors) + len(outcome.unreadable) - 1
    also = f" (and {others} other failures)" if others > 0 else ""
    if outcome.unreadable:
        first = outcome.unreadable[0]
        return ParseError(f"{first.error} [{first.url}]{also}", _samples(outcome))
    if outcome.errors:
        return SourceError(f"{outcome.errors[0]}{also}")
    return None


def _samples(outcome: CrawlOutcome) -> str:
    """Every unreadable body of the crawl in one saved sample, each under its address and error."""
    if len(outcome.unreadable) == 1:
        return outcome.unreadable[0].raw_body
    return "\n".join(f"===== {item.url}\n===== {item.error}\n{item.raw_body}" for item in outcome.unreadable)


def _tail(crawl_log: Path) -> str:
    try:
        lines = crawl_log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-LOG_TAIL_LINES:])
