"""The `classify` contract: JSON Lines in, one JSON line out per input line, in order.

Input lines are {"id": …, "text": …} (other fields ignored). Each output line is
{"id", "label", "confidence", "agency", "agency_confidence", "urgent"}, or, for a line that cannot be
classified (invalid UTF-8, malformed JSON, no string "text", blank), {"id", "line", "error"} with the
1-based line number. One bad line never stops the batch. Texts are classified in batches for speed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from core.domain import Classification
from core.ports import Classifier

# A post longer than this is classified on its beginning: bounds memory for a pathological line.
MAX_TEXT_CHARS = 20_000


@dataclass(frozen=True)
class StreamStats:
    lines: int
    classified: int
    errors: int


@dataclass(frozen=True)
class ParsedLine:
    """One input line: the text to classify, or why it cannot be (with its id when there is one)."""

    line: int
    id: Any
    text: str | None = None
    error: str = ""


def classify_stream(classifier: Classifier, source: BinaryIO | Iterable[bytes], sink: BinaryIO,
                    batch_size: int = 1000) -> StreamStats:
    """Read JSONL bytes from `source`, write result lines to `sink`; returns counts."""
    lines = classified = errors = 0
    batch: list[ParsedLine] = []
    for pending in _parse(source):
        lines += 1
        batch.append(pending)
        if len(batch) >= batch_size:
            done, failed = _flush(classifier, batch, sink)
            classified, errors, batch = classified + done, errors + failed, []
    if batch:
        done, failed = _flush(classifier, batch, sink)
        classified, errors = classified + done, errors + failed
    return StreamStats(lines=lines, classified=classified, errors=errors)


def _parse(source: BinaryIO | Iterable[bytes]) -> Iterator[ParsedLine]:
    for number, raw in enumerate(source, start=1):
        yield parse_line(raw, number)


def parse_line(raw: bytes, number: int) -> ParsedLine:
    """One input line as text to classify, or as the error to report for it."""
    stripped = raw.rstrip(b"\r\n")
    try:
        decoded = stripped.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParsedLine(number, None, error=f"invalid UTF-8 at byte {exc.start}")
    if not decoded.strip():
        return ParsedLine(number, None, error="blank line: expected a JSON object")
    try:
        record = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return ParsedLine(number, None, error=f"malformed JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return ParsedLine(number, None, error="malformed JSON: nested too deeply")
    if not isinstance(record, dict):
        return ParsedLine(number, None, error="expected a JSON object with 'id' and 'text'")
    identifier = record.get("id")
    text = record.get("text")
    if not isinstance(text, str):
        problem = "missing 'text'" if text is None else "'text' must be a string"
        return ParsedLine(number, identifier, error=problem)
    return ParsedLine(number, identifier, text=text[:MAX_TEXT_CHARS])


def _flush(classifier: Classifier, batch: list[ParsedLine], sink: BinaryIO) -> tuple[int, int]:
    texts = [p.text for p in batch if p.text is not None]
    results = iter(classifier.classify(texts)) if texts else iter(())
    out = []
    for pending in batch:
        if pending.text is None:
            out.append(_encode({"id": pending.id, "line": pending.line, "error": pending.error}))
        else:
            out.append(_encode(result_record(pending.id, next(results))))
    sink.write(b"".join(out))
    sink.flush()
    return len(texts), len(batch) - len(texts)


def result_record(identifier: Any, result: Classification) -> dict[str, Any]:
    """The contract's output fields for one classified post."""
    return {
        "id": identifier,
        "label": result.label.value,
        "confidence": result.confidence,
        "agency": result.agency,
        "agency_confidence": result.agency_confidence,
        "urgent": result.urgent,
    }


def _encode(record: dict[str, Any]) -> bytes:
    try:
        return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # an id holding a lone surrogate: escape it rather than fail
        return (json.dumps(record, ensure_ascii=True) + "\n").encode("utf-8")
