"""Training is deterministic: the same data and parameters give the same weights, version and file bytes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from nlp_support import POSTS, write_corpus

from core.domain import Correction, Label
from nlp.corpus import CorpusError, Example, examples_from_corrections, load_examples
from nlp.model import ThaiClassifier, write_model
from nlp.train import TrainParams, train, urgent_threshold

TINY = TrainParams(bits=14, folds=2, epochs=5)

def test_same_data_gives_identical_weights_version_and_bytes(tmp_path: Path) -> None:
    examples = load_examples(write_corpus(tmp_path / "data", POSTS))
    first, second = train(examples, TINY), train(examples, TINY)

    assert first.arrays.version == second.arrays.version
    np.testing.assert_array_equal(first.arrays.weights, second.arrays.weights)
    np.testing.assert_array_equal(first.arrays.buckets, second.arrays.buckets)
    assert first.arrays.calibration == second.arrays.calibration
    write_model(first.arrays, tmp_path / "1.npz")
    write_model(second.arrays, tmp_path / "2.npz")
    assert (tmp_path / "1.npz").read_bytes() == (tmp_path / "2.npz").read_bytes()


def test_different_data_or_params_change_the_version(tmp_path: Path) -> None:
    examples = load_examples(write_corpus(tmp_path / "data", POSTS))
    version = train(examples, TINY).arrays.version
    assert train(examples[:-1], TINY).arrays.version != version
    assert train(examples, replace(TINY, alpha_label=1e-3)).arrays.version != version


def test_a_trained_model_classifies_its_own_kind_of_post(tmp_path: Path) -> None:
    examples = load_examples(write_corpus(tmp_path / "data", POSTS))
    result = train(examples, replace(TINY, epochs=30))
    write_model(result.arrays, tmp_path / "m.npz")
    classifier = ThaiClassifier.load(tmp_path / "m.npz")
    labels = [c.label for c in classifier.classify([text for text, *_ in POSTS])]
    assert sum(label.value == gold for label, (_, gold, _, _) in zip(labels, POSTS, strict=True)) >= len(POSTS) - 2
    assert result.cross_validation.n == len(POSTS)
    assert result.arrays.info["cross_validation"]["n"] == len(POSTS)


def test_corrections_become_weighted_examples() -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    corrected = [("ไฟดับทั้งหมู่บ้าน", Correction(1, Label.COMPLAINT, "MOI", False, "analyst", at)),
                 ("ขอบคุณค่ะ", Correction(2, Label.OTHER, "MOI", False, "analyst", at))]
    examples = examples_from_corrections(corrected)
    assert examples[0] == Example("ไฟดับทั้งหมู่บ้าน", Label.COMPLAINT, "MOI", False, "corrections", 2.0)
    assert examples[1].agency is None  # `other` never has an agency


def test_bad_corpus_lines_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "a-01.jsonl"
    good = '{"text": "ok", "label": "other", "agency": null, "urgent": false}'
    path.write_text(good + '\n{"text": "x", "label": "rant"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"a-01.jsonl:2: unknown label"):
        load_examples([path])
    skipped: list[str] = []
    assert len(load_examples([path], skipped=skipped)) == 1 and len(skipped) == 1


def test_urgent_threshold_reaches_the_recall_target_above_the_precision_floor() -> None:
    probability = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    gold = np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 0], dtype=bool)
    params = replace(TINY, urgent_recall=0.9, urgent_min_precision=0.7)
    assert urgent_threshold(probability, gold, params) == pytest.approx(0.3)  # recall 1.0 at precision 5/7
