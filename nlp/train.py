"""Deterministic training: hashed n-grams + cue groups → three linear heads (label, agency, urgent),
calibrated on cross-validated predictions of the training set itself (never on a test split)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GroupKFold, StratifiedKFold

from core.agencies import AGENCY_CODES
from core.domain import Label
from nlp.corpus import Example
from nlp.evaluate import Report, score
from nlp.features import HashSpec, group_matrix, hash_ngrams
from nlp.lexicon import all_groups
from nlp.model import LABELS, Calibration, ModelArrays, length_feature, softmax
from nlp.normalize import normalize_batch, normalize_joined

N_LABELS = len(LABELS)
N_AGENCIES = len(AGENCY_CODES)
ABSENT = -30.0  # bias of an agency class with no training example: never predicted


@dataclass(frozen=True)
class TrainParams:
    """Every knob of training; part of the model version, so changing one changes the version."""

    bits: int = 18
    ngram_min: int = 2
    ngram_max: int = 5
    alpha_label: float = 1e-4  # L2 strength of each head's linear SVM (SGD, hinge loss)
    alpha_agency: float = 1e-4
    alpha_urgent: float = 1e-4
    epochs: int = 30
    cue_scale: float = 1.0
    folds: int = 5
    seed: int = 1111
    # The urgent threshold: the highest one whose cross-author (grouped) out-of-fold recall reaches
    # urgent_recall at a precision of at least urgent_min_precision; failing that, the best F-beta.
    urgent_recall: float = 0.92
    urgent_min_precision: float = 0.75
    urgent_beta: float = 2.0
    prune_below: float = 1e-4  # bucket rows whose every weight is smaller than this are dropped

    @property
    def spec(self) -> HashSpec:
        return HashSpec(bits=self.bits, ngram_min=self.ngram_min, ngram_max=self.ngram_max)


@dataclass(frozen=True)
class Heads:
    """Weights over the design matrix's columns: (features × K) and a bias (K)."""

    weights: np.ndarray
    bias: np.ndarray


@dataclass(frozen=True)
class TrainResult:
    arrays: ModelArrays
    cross_validation: Report


def cue_groups(spec: HashSpec) -> sp.csr_matrix:
    """The lexicon as a (buckets × groups) matrix, words normalised like the posts."""
    normalised = {name: normalize_batch(list(words)) for name, words in all_groups().items()}
    return group_matrix(normalised, spec)


def design_matrix(texts: Sequence[str], params: TrainParams, groups: sp.csr_matrix) -> sp.csr_matrix:
    """[hashed n-grams | cue_scale × cue-group counts | length feature], one row per text."""
    features = hash_ngrams(normalize_joined(texts), params.spec)
    cues = (features @ groups) * params.cue_scale
    return sp.hstack([features, cues, sp.csr_matrix(length_feature(features))], format="csr")


def fit_heads(design: sp.csr_matrix, examples: Sequence[Example], params: TrainParams) -> Heads:
    """Fit the label, agency and urgent heads; columns of the result: label | agency | urgent."""
    n_features = design.shape[1]
    weights = np.zeros((n_features, N_LABELS + N_AGENCIES + 1))
    bias = np.zeros(N_LABELS + N_AGENCIES + 1)
    sample_weight = np.array([e.weight for e in examples])
    labels = np.array([LABELS.index(e.label) for e in examples])
    _fit_multiclass(design, labels, sample_weight, params.alpha_label, params, weights, bias, 0, N_LABELS)
    with_agency = np.array([e.agency is not None for e in examples])
    agencies = np.array([AGENCY_CODES.index(e.agency) if e.agency else -1 for e in examples])
    _fit_multiclass(design[with_agency], agencies[with_agency], sample_weight[with_agency], params.alpha_agency,
                    params, weights, bias, N_LABELS, N_AGENCIES)
    urgent = np.array([e.urgent for e in examples], dtype=int)
    column = N_LABELS + N_AGENCIES
    if urgent.min() == urgent.max():
        bias[column] = ABSENT if urgent.max() == 0 else -ABSENT
    else:
        model = _svm(params.alpha_urgent, params, class_weight="balanced")
        model.fit(design, urgent, sample_weight=sample_weight)
        weights[:, column] = model.coef_[0]
        bias[column] = model.intercept_[0]
    return Heads(weights=weights, bias=bias)


def _svm(alpha: float, params: TrainParams, class_weight: str | None = None) -> SGDClassifier:
    """A linear SVM trained by SGD: fast on sparse text, deterministic for a fixed seed (one thread)."""
    return SGDClassifier(loss="hinge", alpha=alpha, max_iter=params.epochs, tol=None, random_state=params.seed,
                         class_weight=class_weight)


def _fit_multiclass(design: sp.csr_matrix, targets: np.ndarray, sample_weight: np.ndarray, alpha: float,
                    params: TrainParams, weights: np.ndarray, bias: np.ndarray, offset: int, width: int) -> None:
    """One-vs-rest scores into columns offset..offset+width; classes never seen get an ABSENT bias."""
    bias[offset : offset + width] = ABSENT
    present = np.unique(targets)
    if len(present) == 1:
        bias[offset + present[0]] = 0.0
        return
    model = _svm(alpha, params)
    model.fit(design, targets, sample_weight=sample_weight)
    coef, intercept = model.coef_, model.intercept_
    if len(present) == 2:  # one score for two classes: make it two opposite scores
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    for row, target in enumerate(model.classes_):
        weights[:, offset + target] = coef[row]
        bias[offset + target] = intercept[row]


def logits(heads: Heads, design: sp.csr_matrix) -> np.ndarray:
    return np.asarray(design @ heads.weights) + heads.bias


def out_of_fold_logits(design: sp.csr_matrix, examples: Sequence[Example], params: TrainParams,
                       by_group: bool = False) -> np.ndarray:
    """Each example's logits from heads trained without it (stratified folds, or one fold per group)."""
    result = np.zeros((len(examples), N_LABELS + N_AGENCIES + 1))
    for train_rows, held_rows in _folds(examples, params, by_group):
        heads = fit_heads(design[train_rows], [examples[i] for i in train_rows], params)
        result[held_rows] = logits(heads, design[held_rows])
    return result


def _folds(examples: Sequence[Example], params: TrainParams, by_group: bool) -> list[tuple[np.ndarray, ...]]:
    rows = np.arange(len(examples))
    if by_group:
        groups = [e.group for e in examples]
        return list(GroupKFold(n_splits=len(set(groups))).split(rows, groups=groups))
    strata = [f"{e.label.value}:{e.urgent}" for e in examples]
    smallest = min(Counter(strata).values())
    if smallest < params.folds:  # too few of some kind for stratified folds on both: stratify on label only
        strata = [e.label.value for e in examples]
        smallest = min(Counter(strata).values())
    folds = max(2, min(params.folds, smallest))
    return list(StratifiedKFold(folds, shuffle=True, random_state=params.seed).split(rows, strata))


def calibrate(oof: np.ndarray, examples: Sequence[Example], params: TrainParams,
              grouped: np.ndarray | None = None) -> Calibration:
    """Temperatures and Platt scaling fitted on out-of-fold logits; the urgent threshold chosen on the
    grouped (cross-author) out-of-fold logits when there are any, as the test posts come from a new author."""
    labels = np.array([LABELS.index(e.label) for e in examples])
    label_temperature = _temperature(oof[:, :N_LABELS], labels)
    with_agency = np.array([e.agency is not None for e in examples])
    agencies = np.array([AGENCY_CODES.index(e.agency) for e in examples if e.agency])
    agency_temperature = (
        _temperature(oof[with_agency, N_LABELS : N_LABELS + N_AGENCIES], agencies) if with_agency.any() else 1.0
    )
    urgent = np.array([e.urgent for e in examples], dtype=int)
    if urgent.min() == urgent.max():
        return Calibration(label_temperature, agency_temperature)
    platt = LogisticRegression(C=1e4, max_iter=1000).fit(oof[:, -1:], urgent)
    slope, offset = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    chosen_on = oof if grouped is None else grouped
    probability = 1.0 / (1.0 + np.exp(-np.clip(chosen_on[:, -1] * slope + offset, -50, 50)))
    threshold = urgent_threshold(probability, urgent.astype(bool), params)
    return Calibration(label_temperature, agency_temperature, slope, offset, threshold)


def _temperature(logit: np.ndarray, target: np.ndarray) -> float:
    """The T > 0 that minimises the negative log-likelihood of softmax(logit / T)."""
    def loss(log_t: float) -> float:
        probability = softmax(logit / np.exp(log_t))
        return float(-np.mean(np.log(np.maximum(probability[np.arange(len(target)), target], 1e-12))))

    found = minimize_scalar(loss, bounds=(-4.0, 4.0), method="bounded", options={"xatol": 1e-4})
    return round(float(np.exp(found.x)), 4)


def urgent_threshold(probability: np.ndarray, gold: np.ndarray, params: TrainParams) -> float:
    """See TrainParams: recall target at a precision floor, else the best F-beta above the floor."""
    candidates = []
    for threshold in np.unique(np.round(probability, 4))[::-1]:
        predicted = probability >= threshold
        tp = int((predicted & gold).sum())
        if tp == 0:
            continue
        precision, recall = tp / int(predicted.sum()), tp / int(gold.sum())
        if precision >= params.urgent_min_precision:
            candidates.append((float(threshold), precision, recall))
    for threshold, _, recall in candidates:  # highest threshold first
        if recall >= params.urgent_recall:
            return threshold
    beta2 = params.urgent_beta**2
    best = max(candidates, key=lambda c: (1 + beta2) * c[1] * c[2] / (beta2 * c[1] + c[2]), default=None)
    return 0.5 if best is None else best[0]


def report_from_logits(oof: np.ndarray, examples: Sequence[Example], calibration: Calibration) -> Report:
    """Score out-of-fold logits the way the shipped model would decide."""
    label_index = oof[:, :N_LABELS].argmax(axis=1)
    agency_index = oof[:, N_LABELS : N_LABELS + N_AGENCIES].argmax(axis=1)
    predicted_labels = [LABELS[i].value for i in label_index]
    predicted_agencies = [
        None if LABELS[label] is Label.OTHER else AGENCY_CODES[agency]
        for label, agency in zip(label_index, agency_index, strict=True)
    ]
    urgent_logit = oof[:, -1] * calibration.urgent_slope + calibration.urgent_offset
    urgent = 1.0 / (1.0 + np.exp(-urgent_logit)) >= calibration.urgent_threshold
    return score(
        [e.label.value for e in examples], predicted_labels,
        [e.agency for e in examples], predicted_agencies,
        [e.urgent for e in examples], list(urgent),
    )


def model_version(examples: Sequence[Example], params: TrainParams) -> str:
    """thai-hash-lr-<12 hex digits of a hash of the data and the parameters>."""
    digest = hashlib.sha256()
    digest.update(json.dumps(asdict(params), sort_keys=True).encode())
    digest.update(json.dumps(all_groups(), sort_keys=True, ensure_ascii=False).encode())
    for e in examples:
        record = [e.text, e.label.value, e.agency, e.urgent, e.weight]
        digest.update(json.dumps(record, ensure_ascii=False).encode())
    return f"thai-hash-lr-{digest.hexdigest()[:12]}"


def train(examples: Sequence[Example], params: TrainParams | None = None) -> TrainResult:
    """Train, calibrate and package a model; the same examples and params always give the same bytes."""
    params = params or TrainParams()
    if len({e.label for e in examples}) < 2:
        raise ValueError("training needs examples of at least two labels")
    groups = cue_groups(params.spec)
    design = design_matrix([e.text for e in examples], params, groups)
    oof = out_of_fold_logits(design, examples, params)
    authors = {e.group for e in examples}
    grouped = out_of_fold_logits(design, examples, params, by_group=True) if len(authors) > 1 else None
    calibration = calibrate(oof, examples, params, grouped)
    heads = fit_heads(design, examples, params)
    report = report_from_logits(oof, examples, calibration)
    frequency = np.bincount(design.indices, minlength=design.shape[1])[: params.spec.size]
    arrays = package(heads, groups, params, calibration, model_version(examples, params), report, frequency)
    return TrainResult(arrays=arrays, cross_validation=report)


def package(heads: Heads, groups: sp.csr_matrix, params: TrainParams, calibration: Calibration, version: str,
            report: Report, frequency: np.ndarray) -> ModelArrays:
    """Fold the cue-group weights into the bucket weights and keep only buckets that matter.

    Rows are stored most frequent n-gram first, so the rows a batch touches most sit together in memory.
    """
    size = params.spec.size
    n_groups = groups.shape[1]
    bucket_weights = heads.weights[:size] + params.cue_scale * (groups @ heads.weights[size : size + n_groups])
    extra = heads.weights[size + n_groups :]
    keep = np.flatnonzero(np.abs(bucket_weights).max(axis=1) >= params.prune_below)
    keep = keep[np.lexsort((keep, -frequency[keep]))].astype(np.int32)
    info = {
        "params": asdict(params),
        "examples": int(report.n),
        "cross_validation": report.as_dict(),
    }
    return ModelArrays(
        version=version,
        spec=params.spec,
        agencies=AGENCY_CODES,
        buckets=keep,
        weights=bucket_weights[keep].astype(np.float32),
        extra=extra.astype(np.float32),
        bias=heads.bias.astype(np.float32),
        calibration=calibration,
        info=info,
    )
