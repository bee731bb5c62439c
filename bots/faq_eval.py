"""How well the FAQ knowledge base answers the public: figures on a held-out file of real-style questions."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bots.knowledge import KnowledgeBase, Match
from core.errors import ConfigError

# Thresholds staff can choose between: 0.30, 0.35 … 0.90.
SWEEP = tuple(round(0.30 + 0.05 * step, 2) for step in range(13))


@dataclass(frozen=True)
class Example:
    """One citizen post and the FAQ entry that answers it (None: the FAQ does not cover it)."""

    text: str
    expected: str | None


@dataclass(frozen=True)
class Outcome:
    """What the desk would do with one example at one threshold."""

    example: Example
    top: Match | None  # the best match, whatever its coverage or status
    answered: Match | None  # the match actually posted to the public, if any
    public_expected: str | None  # the expected entry if it may answer the public, else None

    @property
    def verdict(self) -> str:
        """answered-correct, answered-wrong, abstained-correct or abstained-missed."""
        if self.answered is not None:
            return "answered-correct" if self.answered.entry.id == self.public_expected else "answered-wrong"
        return "abstained-correct" if self.public_expected is None else "abstained-missed"


@dataclass(frozen=True)
class Report:
    """The figures for one threshold; `covered` counts examples whose entry may answer the public."""

    threshold: float
    today: date  # drafts and entries past their review date on this day never answer
    outcomes: tuple[Outcome, ...]

    def count(self, verdict: str) -> int:
        return sum(1 for o in self.outcomes if o.verdict == verdict)

    @property
    def answered(self) -> int:
        return self.count("answered-correct") + self.count("answered-wrong")

    @property
    def covered(self) -> int:
        return sum(1 for o in self.outcomes if o.public_expected is not None)

    @property
    def precision(self) -> float:
        """Share of automatic answers that were the right entry: what the public experiences."""
        return self.count("answered-correct") / self.answered if self.answered else 1.0

    @property
    def coverage(self) -> float:
        """Share of covered questions that got an automatic answer (right or wrong)."""
        answered_covered = sum(1 for o in self.outcomes if o.public_expected is not None and o.answered is not None)
        return answered_covered / self.covered if self.covered else 0.0

    @property
    def accuracy_at_1(self) -> float:
        """Ranking quality: the top match is the expected entry, among examples with one (any status)."""
        labelled = [o for o in self.outcomes if o.example.expected is not None]
        right = sum(1 for o in labelled if o.top is not None and o.top.entry.id == o.example.expected)
        return right / len(labelled) if labelled else 0.0

    @property
    def held_back(self) -> int:
        """Confident matches not posted because the entry is a draft or past its review date."""
        return sum(1 for o in self.outcomes if o.answered is None and o.top is not None
                   and o.top.coverage >= self.threshold and not o.top.entry.answers_public(self.today))

    def errors(self) -> list[Outcome]:
        """The wrong automatic answers, the ones staff must look at first."""
        return [o for o in self.outcomes if o.verdict == "answered-wrong"]


def load_examples(path: Path) -> list[Example]:
    """Read a JSONL file of {"text": ..., "expected": id or null}; a bad line is a ConfigError naming it."""
    examples = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"evaluation file {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text, expected = item["text"], item["expected"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError(f"evaluation file {path}, line {number}: {exc!r}") from None
        if not isinstance(text, str) or not (expected is None or isinstance(expected, str)):
            raise ConfigError(f"evaluation file {path}, line {number}: text must be text, expected an id or null")
        examples.append(Example(text, expected))
    return examples


def unknown_ids(examples: Iterable[Example], knowledge: KnowledgeBase) -> list[str]:
    """Expected ids that name no entry (a typo in the file would silently count as a miss)."""
    known = {e.id for e in knowledge.entries}
    return sorted({x.expected for x in examples if x.expected is not None and x.expected not in known})


def evaluate(knowledge: KnowledgeBase, examples: Sequence[Example], threshold: float, today: date) -> Report:
    """The figures at one threshold, deciding as triage does (the tokenizer drops handles and links)."""
    return sweep(knowledge, examples, (threshold,), today)[0]


def sweep(knowledge: KnowledgeBase, examples: Sequence[Example], thresholds: Sequence[float],
          today: date) -> list[Report]:
    """The figures at several thresholds, searching each example once."""
    public = {e.id for e in knowledge.entries if e.answers_public(today)}
    tops = []
    for example in examples:
        matches = knowledge.search(example.text, k=1)
        tops.append(matches[0] if matches else None)
    reports = []
    for threshold in thresholds:
        outcomes = tuple(
            Outcome(example, top, _posted(top, threshold, today),
                    example.expected if example.expected in public else None)
            for example, top in zip(examples, tops, strict=True)
        )
        reports.append(Report(threshold, today, outcomes))
    return reports


def _posted(top: Match | None, threshold: float, today: date) -> Match | None:
    """What triage would post: the top match when Match.refusal finds no reason not to."""
    return top if top is not None and top.refusal(threshold, today) is None else None
