"""The evaluation report: per-class precision/recall/F1, macro-F1, confusion matrix, agency, urgent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.domain import Classification, Label
from core.ports import Classifier
from nlp.corpus import Example, load_examples

LABEL_ORDER: tuple[str, ...] = (Label.INQUIRY.value, Label.COMPLAINT.value, Label.OTHER.value)


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    """What `gcc1111 evaluate` prints; also the figures the benchmark and training record."""

    n: int
    per_class: dict[str, ClassScores]
    macro_f1: float
    accuracy: float
    confusion: list[list[int]]  # rows: gold, columns: predicted, both in LABEL_ORDER
    agency_accuracy: float  # top-1 over posts whose gold agency is not null
    agency_n: int
    agency_accuracy_all: float  # over every post, null counting as a value to get right
    urgent_precision: float
    urgent_recall: float
    urgent_support: int
    model_version: str = ""
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "model_version": self.model_version,
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "per_class": {
                name: {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4),
                       "support": s.support}
                for name, s in self.per_class.items()
            },
            "confusion": {"labels": list(LABEL_ORDER), "rows_gold_columns_predicted": self.confusion},
            "agency_accuracy": round(self.agency_accuracy, 4),
            "agency_n": self.agency_n,
            "agency_accuracy_including_null": round(self.agency_accuracy_all, 4),
            "urgent_precision": round(self.urgent_precision, 4),
            "urgent_recall": round(self.urgent_recall, 4),
            "urgent_support": self.urgent_support,
        }


def score(
    gold_labels: Sequence[str],
    predicted_labels: Sequence[str],
    gold_agencies: Sequence[str | None],
    predicted_agencies: Sequence[str | None],
    gold_urgent: Sequence[bool],
    predicted_urgent: Sequence[bool],
) -> Report:
    """Compare predictions with gold annotations."""
    n = len(gold_labels)
    per_class = {}
    for name in LABEL_ORDER:
        tp = sum(g == name and p == name for g, p in zip(gold_labels, predicted_labels, strict=True))
        predicted = sum(p == name for p in predicted_labels)
        support = sum(g == name for g in gold_labels)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = ClassScores(precision, recall, f1, support)
    confusion = [
        [sum(g == row and p == column for g, p in zip(gold_labels, predicted_labels, strict=True))
         for column in LABEL_ORDER]
        for row in LABEL_ORDER
    ]
    with_agency = [(g, p) for g, p in zip(gold_agencies, predicted_agencies, strict=True) if g is not None]
    agency_hits = sum(g == p for g, p in with_agency)
    all_hits = sum(g == p for g, p in zip(gold_agencies, predicted_agencies, strict=True))
    urgent_tp = sum(g and p for g, p in zip(gold_urgent, predicted_urgent, strict=True))
    urgent_predicted = sum(predicted_urgent)
    urgent_support = sum(gold_urgent)
    return Report(
        n=n,
        per_class=per_class,
        macro_f1=sum(s.f1 for s in per_class.values()) / len(per_class),
        accuracy=sum(g == p for g, p in zip(gold_labels, predicted_labels, strict=True)) / n if n else 0.0,
        confusion=confusion,
        agency_accuracy=agency_hits / len(with_agency) if with_agency else 0.0,
        agency_n=len(with_agency),
        agency_accuracy_all=all_hits / n if n else 0.0,
        urgent_precision=urgent_tp / urgent_predicted if urgent_predicted else 0.0,
        urgent_recall=urgent_tp / urgent_support if urgent_support else 0.0,
        urgent_support=urgent_support,
    )


def score_classifications(examples: Sequence[Example], results: Sequence[Classification]) -> Report:
    """Score a classifier's output against the examples it was given."""
    return score(
        [e.label.value for e in examples],
        [r.label.value for r in results],
        [e.agency for e in examples],
        [r.agency for r in results],
        [e.urgent for e in examples],
        [r.urgent for r in results],
    )


def evaluate(classifier: Classifier, paths: Sequence[Path], batch_size: int = 2000) -> Report:
    """Classify every example in the JSONL files and score the result."""
    examples = load_examples(paths)
    results: list[Classification] = []
    for start in range(0, len(examples), batch_size):
        results.extend(classifier.classify([e.text for e in examples[start : start + batch_size]]))
    report = score_classifications(examples, results)
    return Report(**{**report.__dict__, "model_version": classifier.version})
