"""Mention exports for analysts: JSON Lines or CSV, personal data redacted, streamed in batches."""

from __future__ import annotations

import csv
import json
from typing import TextIO

from core.clock import BANGKOK
from core.privacy import redact
from core.store import Store

FIELDS = ("id", "platform", "external_id", "source", "posted_at_utc", "posted_at_bangkok", "author",
          "text", "url", "thread_id", "parent_id", "stage")


def export_mentions(store: Store, fmt: str, handle: TextIO) -> int:
    """Write every mention to `handle`; returns how many were written."""
    writer = csv.DictWriter(handle, fieldnames=FIELDS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    count = 0
    for mention in store.mentions.iterate():
        row = {
            "id": mention.id,
            "platform": mention.platform.value,
            "external_id": mention.external_id,
            "source": mention.source,
            "posted_at_utc": mention.posted_at.isoformat(),
            "posted_at_bangkok": mention.posted_at.astimezone(BANGKOK).isoformat(),
            "author": redact(mention.author_name or mention.author_handle),
            "text": redact(mention.text),
            "url": mention.url,
            "thread_id": mention.thread_id,
            "parent_id": mention.parent_id,
            "stage": mention.stage.value,
        }
        if writer is not None:
            writer.writerow(row)
        else:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count
