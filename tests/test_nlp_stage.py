"""The classify stage over the store, on SQLite and PostgreSQL: atomic, idempotent, restartable."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from core.domain import Classification, Correction, Label, Mention, MentionStage, Platform
from core.store import Store
from core.store.schema import mentions
from nlp.model import ThaiClassifier
from nlp.stage import ClassifyStage


def mention(external_id: str, text: str) -> Mention:
    return Mention(Platform.FACEBOOK, external_id, text, datetime(2026, 11, 20, 3, tzinfo=UTC), "facebook.feed")


TEXTS = ["บัตรประชาชนหายต้องทำยังไงคะ", "ไฟถนนดับมาสองอาทิตย์แล้ว", "ขอบคุณค่ะ", "🙏", "ไฟไหม้ตึก มีคนติดอยู่ ช่วยด้วย"]


class RecordingClassifier:
    """A fake of core.ports.Classifier that remembers each batch and can fail on demand."""

    version = "fake-1"

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.fail = fail

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        self.batches.append(list(texts))
        if self.fail:
            raise RuntimeError("model crashed")
        return [Classification(Label.OTHER, 0.5, None, 0.5, False, 0.0, self.version, "MOI") for _ in texts]


def ingest(store: Store, texts: Sequence[str]) -> list[int]:
    store.mentions.ingest("facebook.feed", [mention(str(i), t) for i, t in enumerate(texts)], None)
    return [m.id for m in sorted(store.mentions.latest(100), key=lambda m: m.id or 0) if m.id is not None]


def test_stage_classifies_every_new_mention_once_with_the_real_model(store: Store) -> None:
    ids = ingest(store, TEXTS)
    classifier = ThaiClassifier.load()
    stage = ClassifyStage(store.classifications, classifier, batch_size=2)

    result = stage.run()

    assert (result.classified, result.batches) == (5, 3)
    assert store.mentions.count(MentionStage.NEW) == 0 and store.mentions.count(MentionStage.CLASSIFIED) == 5
    stored = [store.classifications.get(i) for i in ids]
    assert all(c is not None and c.model_version == classifier.version for c in stored)
    assert stored == [replace_id(c, i) for c, i in zip(classifier.classify(TEXTS), ids, strict=True)]
    assert stage.run().classified == 0  # nothing left: re-running is harmless


def replace_id(classification: Classification, mention_id: int) -> Classification:
    return replace(classification, mention_id=mention_id)


def test_a_failing_batch_leaves_its_mentions_new(store: Store) -> None:
    ingest(store, TEXTS[:3])
    failing = RecordingClassifier(fail=True)
    with pytest.raises(RuntimeError, match="model crashed"):
        ClassifyStage(store.classifications, failing, batch_size=10).run_once()
    assert store.mentions.count(MentionStage.NEW) == 3
    assert store.classifications.pending() == 3

    working = RecordingClassifier()
    assert ClassifyStage(store.classifications, working, batch_size=10).run_once() == 3
    assert working.batches == [TEXTS[:3]]  # oldest first, in id order
    assert store.classifications.pending() == 0


def test_an_analysts_classification_is_never_overwritten(store: Store) -> None:
    first, second = ingest(store, TEXTS[:2])
    with store.classifications.claim(limit=1) as claim:
        assert [m.id for m in claim.mentions] == [first]
        analyst = Classification(Label.COMPLAINT, 1.0, "BMA", 1.0, True, 1.0, "analyst")
        claim.save([analyst])
    # Say an operator puts the mention back to NEW: the classifier runs again but keeps the existing row.
    with store.engine.begin() as conn:
        conn.execute(sa.update(mentions).where(mentions.c.id == first).values(stage=MentionStage.NEW.value))
    assert ClassifyStage(store.classifications, RecordingClassifier(), batch_size=5).run().classified == 2
    assert store.classifications.get(first) == Classification(Label.COMPLAINT, 1.0, "BMA", 1.0, True, 1.0, "analyst",
                                                              mention_id=first)
    later = store.classifications.get(second)
    assert later is not None and later.model_version == "fake-1"
    assert store.mentions.count(MentionStage.NEW) == 0


def test_saving_the_wrong_number_of_results_is_refused(store: Store) -> None:
    ingest(store, TEXTS[:2])
    with pytest.raises(ValueError, match="1 classifications for 2"), store.classifications.claim(limit=5) as claim:
        claim.save(RecordingClassifier().classify(["one"]))
    assert store.classifications.pending() == 2


def test_two_workers_claim_disjoint_batches_on_postgresql(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): there is no second concurrent claim")
    ingest(store, TEXTS)
    with store.classifications.claim(limit=2) as first, store.classifications.claim(limit=10) as second:
        assert [m.text for m in first.mentions] == TEXTS[:2]
        assert [m.text for m in second.mentions] == TEXTS[2:]
        second.save(RecordingClassifier().classify([m.text for m in second.mentions]))
        first.save(RecordingClassifier().classify([m.text for m in first.mentions]))
    assert store.classifications.pending() == 0


def test_corrections_are_kept_and_listed_with_their_texts(store: Store) -> None:
    first, second = ingest(store, TEXTS[:2])
    at = datetime(2026, 11, 21, tzinfo=UTC)
    store.classifications.record_correction(Correction(first, Label.COMPLAINT, "MOI", False, "somchai", at))
    store.classifications.record_correction(Correction(second, Label.INQUIRY, "MOI", False, "somchai", at))
    store.classifications.record_correction(Correction(first, Label.INQUIRY, "MOI", True, "suda", at))

    assert [c.by for c in store.classifications.corrections()] == ["somchai", "somchai", "suda"]
    corrected = store.classifications.corrected_texts()
    assert [(text, c.label, c.urgent) for text, c in corrected] == [
        (TEXTS[0], Label.INQUIRY, True),  # the latest correction of a mention wins
        (TEXTS[1], Label.INQUIRY, False),
    ]
    assert corrected[0][1].at == at
