"""The FAQ knowledge base: approved answers per agency, found with BM25 over Thai word tokens."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import bm25s
import numpy as np
import yaml

from core.errors import ConfigError

Tokenizer = Callable[[str], list[str]]

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_NOISE = re.compile(r"[^\w\u0e00-\u0e7f]+")
_REPEAT = re.compile(r"(.)\1{2,}")
# Politeness particles and fillers: they say nothing about which service is meant.
_FILLERS = frozenset(
    [
        "ครับ",
        "ค่ะ",
        "คะ",
        "คับ",
        "ค่า",
        "จ้า",
        "จ้ะ",
        "นะ",
        "นะคะ",
        "นะครับ",
        "หน่อย",
        "ด้วย",
        "ขอ",
        "สอบถาม",
        "อยาก",
        "ทราบ",
        "รบกวน",
        "ทำ",
        "ยังไง",
        "อย่างไร",
        "ไหม",
        "มั้ย",
        "บ้าง",
        "คือ",
        "ว่า",
        "ที่",
        "จะ",
        "ได้",
        "ต้อง",
        "การ",
        "เรื่อง",
        "แล้ว",
        "หรือ",
        "และ",
        "กับ",
        "ให้",
        "ของ",
        "มี",
        "เป็น",
        "ไป",
        "มา",
        "ใน",
        "the",
        "a",
        "an",
        "to",
        "how",
        "do",
        "i",
        "is",
        "what",
        "can",
        "please",
    ]
)


@dataclass(frozen=True)
class FaqEntry:
    """One question/answer pair staff maintain in config/faq/<agency>.yaml."""

    id: str
    agency: str
    status: str  # approved | draft
    review_by: date
    source: str
    title: str
    questions: tuple[str, ...]
    answer_th: str
    answer_en: str
    questions_en: tuple[str, ...] = ()  # how people ask it in English, so English posts find it too

    def answers_public(self, today: date) -> bool:
        """Only approved entries still inside their review date answer the public automatically."""
        return self.status == "approved" and not self.needs_review(today)

    def needs_review(self, today: date) -> bool:
        return self.review_by < today


@dataclass(frozen=True)
class Match:
    entry: FaqEntry
    score: float  # BM25, for ranking
    coverage: float  # 0..1: share of the question's informative words the entry covers (the threshold)


def load_faq(directory: Path) -> list[FaqEntry]:
    """Every entry in every YAML file of `directory`; a broken file is a ConfigError naming it."""
    entries: list[FaqEntry] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
            for item in items:
                entries.append(
                    FaqEntry(
                        id=str(item["id"]),
                        agency=str(item["agency"]),
                        status=str(item.get("status", "draft")),
                        review_by=_as_date(item["review_by"]),
                        source=str(item.get("source", "")),
                        title=str(item.get("title", "")),
                        questions=tuple(str(q) for q in item.get("questions") or ()),
                        answer_th=str(item["answer_th"]).strip(),
                        answer_en=str(item.get("answer_en", "")).strip(),
                        questions_en=tuple(str(q) for q in item.get("questions_en") or ()),
                    )
                )
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"FAQ file {path}: {exc!r}") from None
    ids = [e.id for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"FAQ ids used twice: {', '.join(duplicates)}")
    return entries


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def thai_tokenizer() -> Tokenizer:
    """PyThaiNLP word tokens (the Rust nlpo3 engine), normalised, fillers dropped."""
    from pythainlp.tokenize import word_tokenize

    def tokenize(text: str) -> list[str]:
        cleaned = _REPEAT.sub(r"\1", text.lower().translate(_THAI_DIGITS))
        words = word_tokenize(_NOISE.sub(" ", cleaned), engine="nlpo3", keep_whitespace=False)
        return [w for w in (w.strip() for w in words) if w and w not in _FILLERS]

    return tokenize


class KnowledgeBase:
    """Ranks FAQ entries for a question; each entry is indexed by its title and sample questions."""

    def __init__(self, entries: Sequence[FaqEntry], tokenize: Tokenizer) -> None:
        self.entries = list(entries)
        self._tokenize = tokenize
        documents = [tokenize(" ".join((e.title, *e.questions, *e.questions_en))) for e in self.entries]
        self._vocabulary = {token for doc in documents for token in doc}
        self._documents = [set(doc) for doc in documents]
        frequency: dict[str, int] = {}
        for doc in self._documents:
            for token in doc:
                frequency[token] = frequency.get(token, 0) + 1
        count = max(len(documents), 1)
        self._idf = {t: float(np.log(1 + (count - f + 0.5) / (f + 0.5))) for t, f in frequency.items()}
        self._index = bm25s.BM25()
        if documents:
            self._index.index(documents, show_progress=False)

    def search(self, question: str, k: int = 3) -> list[Match]:
        """The best entries for `question`, best first (empty when no word of it is known)."""
        tokens = self._tokenize(question)
        known = [t for t in tokens if t in self._vocabulary]
        if not known or not self.entries:
            return []
        ids, scores = self._index.retrieve([known], k=min(k, len(self.entries)), show_progress=False)
        weight = sum(self._idf.get(t, max(self._idf.values())) for t in set(tokens))
        matches = []
        for entry_index, score in zip(ids[0], scores[0], strict=True):
            if score <= 0:
                continue
            covered = sum(self._idf[t] for t in set(known) & self._documents[int(entry_index)])
            matches.append(Match(self.entries[int(entry_index)], float(score), covered / weight if weight else 0.0))
        return matches

    def best_answer(self, question: str, min_coverage: float, today: date) -> Match | None:
        """The top match if it is confident enough and allowed to answer the public; None otherwise."""
        matches = self.search(question, k=1)
        if not matches:
            return None
        top = matches[0]
        if top.coverage < min_coverage or not top.entry.answers_public(today):
            return None
        return top
