"""Hashed n-gram features: deterministic, independent of the batch, never crossing from one post to the next."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.features import HashSpec, group_matrix, hash_ngrams, ngram_bucket
from nlp.normalize import normalize_joined

SPEC = HashSpec(bits=16, ngram_min=1, ngram_max=4)
POSTS = st.lists(st.text(alphabet="กขคไหมะ่้ abc😀5", max_size=12), min_size=1, max_size=6)


def features(texts: list[str], spec: HashSpec = SPEC) -> np.ndarray:
    return hash_ngrams(normalize_joined(texts), spec).toarray()


@settings(max_examples=100, deadline=None)
@given(POSTS)
def test_each_row_is_the_same_alone_as_in_a_batch(texts: list[str]) -> None:
    together = features(texts)
    alone = np.vstack([features([text]) for text in texts])
    assert together.shape == (len(texts), SPEC.size)
    np.testing.assert_array_equal(together, alone)


@settings(max_examples=50, deadline=None)
@given(POSTS)
def test_hashing_is_deterministic(texts: list[str]) -> None:
    np.testing.assert_array_equal(features(texts), features(list(texts)))


def test_ngrams_are_counted_with_post_boundaries_and_scaled() -> None:
    # "ab": a, b, ^a, ab, b$, ^ab, ab$  and "^ab$" is 4 characters: 8 n-grams in all.
    row = hash_ngrams(normalize_joined(["ab"]), SPEC)
    assert row.nnz == 8
    np.testing.assert_allclose(row.data, 1 / np.sqrt(8), rtol=1e-6)
    assert ngram_bucket("ab", SPEC) in row.indices


def test_no_ngram_spans_two_posts() -> None:
    batch = hash_ngrams(normalize_joined(["ab", "cd"]), SPEC)
    assert ngram_bucket("bc", SPEC) not in batch.indices
    assert ngram_bucket("abcd", SPEC) not in batch.indices


def test_empty_posts_have_empty_rows() -> None:
    matrix = hash_ngrams(normalize_joined(["", "ก", ""]), SPEC)
    assert matrix.shape[0] == 3
    assert [matrix[i].nnz for i in range(3)] == [0, 4, 0]  # ก, ^ก, ก$, ^ก$


def test_group_matrix_counts_cue_words() -> None:
    spec = HashSpec(bits=16, ngram_min=2, ngram_max=4)
    groups = group_matrix({"fire": ("ไฟไหม้",), "thanks": ("ขอบคุณ",)}, spec)
    hashed = hash_ngrams(normalize_joined(["ไฟไหม้ที่ตลาด", "ขอบคุณครับ ขอบคุณ", "สวัสดี"]), spec)
    counts = (hashed @ groups).toarray()
    assert counts[0, 0] > 0 and counts[0, 1] == 0
    assert counts[1, 1] == np.float32(2 * hashed[1].data[0])  # "ขอบค" twice, at the row's scale
    assert counts[2].sum() == 0
