"""The classify stage: NEW mentions in the store → Classification rows, mentions moved to CLASSIFIED."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.ports import Classifier
from core.store.classifications import ClassificationStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageResult:
    classified: int
    batches: int


class ClassifyStage:
    """Claims NEW mentions in batches and classifies each batch in the transaction that claimed it.

    A crash before commit leaves the batch NEW, so the stage is restartable; a mention already
    classified is never claimed again, so re-running is harmless. Several processes may run it at once
    (on PostgreSQL the claim skips rows another worker holds).
    """

    def __init__(self, store: ClassificationStore, classifier: Classifier, batch_size: int = 500) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._store = store
        self._classifier = classifier
        self._batch_size = batch_size

    def run_once(self) -> int:
        """Classify one batch; returns how many mentions it classified (0 when the queue is empty)."""
        with self._store.claim(self._batch_size) as claim:
            if not claim.mentions:
                return 0
            results = self._classifier.classify([mention.text for mention in claim.mentions])
            saved = claim.save(results)
        log.info("classified %d mentions with %s", saved, self._classifier.version)
        return saved

    def run(self, max_batches: int | None = None) -> StageResult:
        """Classify batches until the queue is empty (or `max_batches` were done)."""
        total = batches = 0
        while max_batches is None or batches < max_batches:
            done = self.run_once()
            if done == 0:
                break
            total += done
            batches += 1
        return StageResult(classified=total, batches=batches)
