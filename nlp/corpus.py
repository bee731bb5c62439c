"""Labelled examples: the JSONL corpus format ({text, label, agency, urgent, platform}) and its loader."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.agencies import AGENCY_CODES
from core.domain import Correction, Label
from core.errors import DeskError


class CorpusError(DeskError):
    """A corpus file or line that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    """One annotated post. `group` names its source (e.g. the author's file prefix) for grouped CV."""

    text: str
    label: Label
    agency: str | None
    urgent: bool
    group: str = ""
    weight: float = 1.0


def corpus_files(directory: Path) -> list[Path]:
    """Every *.jsonl file in `directory`, in name order (so training order never depends on the disk)."""
    return sorted(directory.glob("*.jsonl"))


def load_examples(paths: Iterable[Path], *, skipped: list[str] | None = None) -> list[Example]:
    """Read examples from JSONL files; bad lines raise CorpusError unless `skipped` collects them."""
    examples = []
    for path in paths:
        group = path.stem.split("-")[0]
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    examples.append(parse_example(line, group))
                except CorpusError as exc:
                    problem = f"{path.name}:{number}: {exc}"
                    if skipped is None:
                        raise CorpusError(problem) from None
                    skipped.append(problem)
    return examples


def parse_example(line: str, group: str = "") -> Example:
    """One JSONL line as an Example."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"not JSON ({exc.msg})") from None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise CorpusError("needs an object with a string 'text'")
    try:
        label = Label(record.get("label"))
    except ValueError:
        raise CorpusError(f"unknown label {record.get('label')!r}") from None
    agency = record.get("agency")
    if agency is not None and agency not in AGENCY_CODES:
        raise CorpusError(f"unknown agency {agency!r}")
    urgent = record.get("urgent", False)
    if not isinstance(urgent, bool):
        raise CorpusError(f"urgent must be true or false, not {urgent!r}")
    return Example(text=record["text"], label=label, agency=agency, urgent=urgent, group=group)


# Analysts relabelled these posts because the model got them wrong: let them count double.
CORRECTION_WEIGHT = 2.0


def examples_from_corrections(corrected: Iterable[tuple[str, Correction]]) -> list[Example]:
    """Analysts' corrections (with their mentions' texts) as training examples."""
    return [
        Example(text=text, label=c.label, agency=c.agency if c.label is not Label.OTHER else None,
                urgent=c.urgent, group="corrections", weight=CORRECTION_WEIGHT)
        for text, c in corrected
    ]
