"""The shipped classifier: hashed n-grams into three calibrated linear heads (label, agency, urgent)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from core.domain import Classification, Label
from core.errors import DeskError
from nlp.features import HashSpec, code_points, hash_ngrams
from nlp.normalize import normalize_joined

DEFAULT_MODEL = Path(__file__).resolve().parent / "model" / "classifier.npz"
LABELS: tuple[Label, ...] = (Label.INQUIRY, Label.COMPLAINT, Label.OTHER)
# Emoji-only, punctuation-only and empty posts are `other` by the labelling guide.
NO_TEXT_CONFIDENCE = 0.99


class ModelError(DeskError):
    """The model file is missing, unreadable or from an incompatible format."""


@dataclass(frozen=True)
class Calibration:
    """Temperatures for the two softmax heads, Platt scaling and the decision threshold for urgent."""

    label_temperature: float = 1.0
    agency_temperature: float = 1.0
    urgent_slope: float = 1.0
    urgent_offset: float = 0.0
    urgent_threshold: float = 0.5


@dataclass(frozen=True)
class ModelArrays:
    """Everything a classifier needs, as stored in the .npz file.

    weights has one row per hash bucket listed in `buckets` (other buckets weigh nothing) and the
    columns label (3) | agency (len(agencies)) | urgent (1); `extra` weighs the per-post length feature.
    """

    version: str
    spec: HashSpec
    agencies: tuple[str, ...]
    buckets: np.ndarray
    weights: np.ndarray
    extra: np.ndarray
    bias: np.ndarray
    calibration: Calibration
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scores:
    """Calibrated probabilities for a batch: label (n×3), agency (n×agencies), urgent (n)."""

    label: np.ndarray
    agency: np.ndarray
    urgent: np.ndarray
    no_text: np.ndarray


class ThaiClassifier:
    """Implements core.ports.Classifier; loads in well under a second, holds no database or network."""

    def __init__(self, arrays: ModelArrays) -> None:
        self._arrays = arrays
        width = arrays.weights.shape[1]
        # Buckets the model never saw map to a final all-zero row.
        self._rows = np.full(arrays.spec.size, len(arrays.buckets), dtype=np.int32)
        self._rows[arrays.buckets] = np.arange(len(arrays.buckets), dtype=np.int32)
        self._weights = np.vstack([arrays.weights.astype(np.float32), np.zeros((1, width), np.float32)])
        self._agency_codes = arrays.agencies

    @classmethod
    def load(cls, path: Path | None = None) -> ThaiClassifier:
        """Read a model file (default: the one shipped in nlp/model/)."""
        return cls(read_model(path or DEFAULT_MODEL))

    @property
    def version(self) -> str:
        return self._arrays.version

    @property
    def arrays(self) -> ModelArrays:
        return self._arrays

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        """Label, agency and urgency for each text, in order."""
        if not texts:
            return []
        scores = self.score(texts)
        return self.decide(scores)

    def score(self, texts: Sequence[str]) -> Scores:
        """Calibrated probabilities for every head."""
        joined = normalize_joined(texts)
        features = hash_ngrams(joined, self._arrays.spec)
        compact = sp.csr_matrix(
            (features.data, self._rows[features.indices], features.indptr),
            shape=(features.shape[0], self._weights.shape[0]),
        )
        logits = compact @ self._weights
        logits += length_feature(features) @ self._arrays.extra
        logits += self._arrays.bias
        return self._probabilities(logits, _no_text(joined, len(texts)))

    def decide(self, scores: Scores) -> list[Classification]:
        """Turn probabilities into Classifications (argmax label, top agency unless `other`)."""
        calibration = self._arrays.calibration
        label_index = scores.label.argmax(axis=1)
        label_index[scores.no_text] = LABELS.index(Label.OTHER)
        label_confidence = scores.label.max(axis=1)
        label_confidence[scores.no_text] = NO_TEXT_CONFIDENCE
        ranked = np.argsort(-scores.agency, axis=1, kind="stable")[:, :2]
        top = np.take_along_axis(scores.agency, ranked[:, :1], axis=1)[:, 0]
        urgent = ((scores.urgent >= calibration.urgent_threshold) & ~scores.no_text).tolist()
        is_other = label_index == LABELS.index(Label.OTHER)
        # `other` goes to no agency; the best guess stays visible as the runner-up.
        agency_confidence = np.where(is_other, label_confidence, top)
        version = self.version
        codes = self._agency_codes
        results = []
        rows = zip(label_index.tolist(), np.round(label_confidence, 4).tolist(), ranked.tolist(),
                   np.round(agency_confidence, 4).tolist(), urgent, np.round(scores.urgent, 4).tolist(),
                   is_other.tolist(), strict=True)
        for label_at, confidence, (first, second), agency_score, is_urgent, urgent_score, other in rows:
            results.append(
                Classification(
                    label=LABELS[label_at],
                    confidence=confidence,
                    agency=None if other else codes[first],
                    agency_confidence=agency_score,
                    agency_runner_up=codes[first] if other else codes[second],
                    urgent=is_urgent,
                    urgent_score=urgent_score,
                    model_version=version,
                )
            )
        return results

    def _probabilities(self, logits: np.ndarray, no_text: np.ndarray) -> Scores:
        calibration = self._arrays.calibration
        n_agencies = len(self._agency_codes)
        label = softmax(logits[:, :3] / calibration.label_temperature)
        agency = softmax(logits[:, 3 : 3 + n_agencies] / calibration.agency_temperature)
        urgent_logit = logits[:, 3 + n_agencies] * calibration.urgent_slope + calibration.urgent_offset
        urgent = 1.0 / (1.0 + np.exp(-np.clip(urgent_logit, -50, 50)))
        return Scores(label=label, agency=agency, urgent=urgent, no_text=no_text)


def length_feature(features: sp.csr_matrix) -> np.ndarray:
    """One column: the row scale 1/sqrt(n-gram count), large for short posts."""
    counts = np.diff(features.indptr)
    return (1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32)[:, None]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _no_text(joined: str, n_docs: int) -> np.ndarray:
    """Posts without a Thai or Latin letter or a digit (empty, emoji or punctuation only)."""
    codes = code_points(joined)
    doc = np.cumsum(codes == 0) - 1
    letters = (
        ((codes >= 0x0E01) & (codes <= 0x0E2E))
        | ((codes >= 0x61) & (codes <= 0x7A))
        | ((codes >= 0x30) & (codes <= 0x39))
    )
    return np.bincount(doc[letters], minlength=n_docs)[:n_docs] == 0


def write_model(arrays: ModelArrays, path: Path) -> None:
    """Save as a compressed .npz whose bytes depend only on the model (fixed zip timestamps)."""
    meta = {
        "format": 1,
        "version": arrays.version,
        "spec": {"bits": arrays.spec.bits, "ngram_min": arrays.spec.ngram_min, "ngram_max": arrays.spec.ngram_max},
        "agencies": list(arrays.agencies),
        "calibration": arrays.calibration.__dict__,
        "info": arrays.info,
    }
    members = {
        "meta": np.frombuffer(json.dumps(meta, sort_keys=True, ensure_ascii=False).encode(), dtype=np.uint8),
        "buckets": arrays.buckets.astype(np.int32),
        "weights": arrays.weights.astype(np.float16),
        "extra": arrays.extra.astype(np.float32),
        "bias": arrays.bias.astype(np.float32),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in members.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())
    temporary.replace(path)


def read_model(path: Path) -> ModelArrays:
    """Load a model written by write_model; raises ModelError with the path on any problem."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(bytes(stored["meta"]).decode())
            if meta.get("format") != 1:
                raise ModelError(f"{path}: unknown model format {meta.get('format')!r}")
            spec = HashSpec(**meta["spec"])
            return ModelArrays(
                version=meta["version"],
                spec=spec,
                agencies=tuple(meta["agencies"]),
                buckets=stored["buckets"],
                weights=stored["weights"],
                extra=stored["extra"],
                bias=stored["bias"],
                calibration=Calibration(**meta["calibration"]),
                info=meta.get("info", {}),
            )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelError(f"cannot read model {path}: {exc}") from None
