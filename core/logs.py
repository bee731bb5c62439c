"""Logging set-up: one line per event, personal data and secrets redacted before anything is written."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from core.privacy import redact


class RedactingFilter(logging.Filter):
    """Renders each record once, redacted, so neither personal data nor known secrets reach a handler."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        message = redact(record.getMessage())
        for secret in self._secrets:
            message = message.replace(secret, "***")
        record.msg, record.args = message, None
        return True


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Send our log records to standard error through the redacting filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    noisy_libraries = ("httpx", "httpcore", "urllib3", "apscheduler", "alembic", "scrapy", "telegram", "tweepy",
                       "instaloader", "bm25s", "uvicorn.access")
    for noisy in noisy_libraries:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
