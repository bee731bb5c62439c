"""Hashed character n-gram features for a whole batch, computed as array operations.

The normalised batch arrives as one string, SEP + text + SEP + text + … + SEP. Its code points
become one uint32 array; the polynomial hash of every n-gram (n = 1..ngram_max) is built by n
vectorised multiply-adds, n-grams that would cross into a neighbouring post are masked out (a
SEP may only sit at an n-gram's ends, where it marks the start or end of a post), and the hashes
fall into 2**bits buckets of one scipy CSR matrix. Each row is scaled by 1/sqrt(its n-gram
count), so long and short posts weigh alike. No Python loop runs per post or per n-gram.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from nlp.normalize import SEP

_MULTIPLIER = np.uint64(0x100000001B3)  # FNV-64 prime: the polynomial base
_MIX = np.uint64(0x9E3779B97F4A7C15)  # golden-ratio constant: spreads the hash over the top bits


@dataclass(frozen=True)
class HashSpec:
    """How texts become buckets: the hash space and the n-gram lengths."""

    bits: int = 18
    ngram_min: int = 1
    ngram_max: int = 4

    @property
    def size(self) -> int:
        return 1 << self.bits


def code_points(joined: str) -> np.ndarray:
    """The batch's code points as one uint32 array (SEP is 0)."""
    return np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def hash_ngrams(joined: str, spec: HashSpec) -> sp.csr_matrix:
    """Rows of hashed n-gram counts, one per post in `joined`, each scaled to unit-ish length."""
    codes = code_points(joined)
    is_sep = codes == ord(SEP)
    seps = np.cumsum(is_sep, dtype=np.int32)
    n_docs = int(seps[-1]) - 1 if len(codes) else 0
    length = len(codes)
    width = spec.ngram_max - spec.ngram_min + 1
    buckets = np.zeros((length, width), dtype=np.int32)
    valid = np.zeros((length, width), dtype=bool)
    rolling = codes.astype(np.uint64)
    for n in range(1, spec.ngram_max + 1):
        if n > 1:
            rolling = rolling[:-1] * _MULTIPLIER + codes[n - 1 :].astype(np.uint64)
        if n < spec.ngram_min:
            continue
        count = length - n + 1
        if count <= 0:
            break
        column = n - spec.ngram_min
        buckets[:count, column] = _bucket(rolling, n, spec.bits)
        valid[:count, column] = _valid_windows(is_sep, seps, n, count)
    # Row-major order walks positions left to right, so rows come out grouped by post.
    docs = np.broadcast_to((seps - 1)[:, None], (length, width))[valid]
    indices = buckets[valid]
    counts = np.bincount(docs, minlength=n_docs)[:n_docs] if n_docs else np.zeros(0, dtype=np.int64)
    indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    scale = (1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32)
    data = np.repeat(scale, counts)
    return sp.csr_matrix((data, indices, indptr), shape=(n_docs, spec.size))


def _bucket(rolling: np.ndarray, n: int, bits: int) -> np.ndarray:
    """Mix the polynomial hashes of n-grams and keep the top `bits` bits."""
    salt = np.uint64((0xC2B2AE3D27D4EB4F * n) & 0xFFFFFFFFFFFFFFFF)  # n-grams of other lengths land apart
    mixed = (rolling ^ (rolling >> np.uint64(31))) * _MIX + salt
    mixed ^= mixed >> np.uint64(29)
    mixed *= _MIX
    return (mixed >> np.uint64(64 - bits)).astype(np.int32)


def ngram_bucket(ngram: str, spec: HashSpec) -> int:
    """The bucket of one n-gram, exactly as hash_ngrams files it."""
    codes = code_points(ngram).astype(np.uint64)
    rolling = codes[:1]
    for code in codes[1:]:
        rolling = rolling * _MULTIPLIER + code
    return int(_bucket(rolling, len(ngram), spec.bits)[0])


def group_matrix(groups: Mapping[str, Sequence[str]], spec: HashSpec) -> sp.csr_matrix:
    """A (buckets × groups) 0/1 matrix: X @ G counts each group's words in every post.

    Words should be normalised already; each is cut to the longest n-gram the spec hashes.
    """
    rows, columns = [], []
    for column, words in enumerate(groups.values()):
        buckets = {ngram_bucket(word[: spec.ngram_max], spec) for word in words if word}
        rows.extend(sorted(buckets))
        columns.extend([column] * len(buckets))
    data = np.ones(len(rows), dtype=np.float32)
    return sp.csr_matrix((data, (rows, columns)), shape=(spec.size, len(groups)))


def _valid_windows(is_sep: np.ndarray, seps: np.ndarray, n: int, count: int) -> np.ndarray:
    """n-grams that stay inside one post: a SEP only at an end, and never a bare SEP or SEP SEP."""
    first = is_sep[:count]
    if n == 1:
        return ~first
    last = is_sep[n - 1 : n - 1 + count]
    # SEPs strictly inside the window: positions i+1 .. i+n-2.
    inside = seps[n - 2 : n - 2 + count] - seps[:count] if n > 2 else np.zeros(count, dtype=np.int32)
    ok = inside == 0
    if n == 2:
        ok &= ~(first & last)
    return ok
