"""CSV and JSON exports of the filtered queue: streamed, personal data redacted, authors left out."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from starlette.responses import Response, StreamingResponse

from core.clock import BANGKOK
from core.privacy import redact
from core.store.desk import Labelled
from dashboard.pages.filters import parse_filter
from dashboard.web import Ctx

FIELDS = ("id", "platform", "posted_at_bangkok", "label", "agency", "urgent", "confidence", "model_version",
          "corrected", "stage", "text", "url", "thread_id")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


def export_csv(ctx: Ctx) -> Response:
    return _export(ctx, "csv")


def export_json(ctx: Ctx) -> Response:
    return _export(ctx, "json")


def _export(ctx: Ctx, fmt: str) -> Response:
    flt, shown = parse_filter(ctx)
    ctx.desk.deps.store.audit.record(ctx.me.username, "mention.export", fmt,
                                     filter={k: v for k, v in shown.items() if v})
    rows = (export_row(item) for item in ctx.desk.mentions.iterate(flt))
    stamp = ctx.desk.deps.clock.now().astimezone(BANGKOK).strftime("%Y%m%d-%H%M")
    body = _csv_lines(rows) if fmt == "csv" else _json_lines(rows)
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json; charset=utf-8"
    return StreamingResponse(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="mentions-{stamp}.{fmt}"',
    })


def export_row(item: Labelled) -> dict[str, Any]:
    mention, classification = item.mention, item.classification
    return {
        "id": mention.id,
        "platform": mention.platform.value,
        "posted_at_bangkok": mention.posted_at.astimezone(BANGKOK).isoformat(),
        "label": classification.label.value if classification else "unclassified",
        "agency": classification.agency if classification else None,
        "urgent": classification.urgent if classification else None,
        "confidence": round(classification.confidence, 4) if classification else None,
        "model_version": classification.model_version if classification else None,
        "corrected": item.corrected,
        "stage": mention.stage.value,
        "text": redact(mention.text),
        "url": mention.url,
        "thread_id": mention.thread_id,
    }


def _csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS)
    buffer.write("\ufeff")  # a byte-order mark, so spreadsheet programs read the Thai as UTF-8
    writer.writeheader()
    for count, row in enumerate(rows, 1):
        writer.writerow({key: _cell(value) for key, value in row.items()})
        if count % 500 == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _json_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for count, row in enumerate(rows):
        yield ("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]\n"


def _cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: public text starting like a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
