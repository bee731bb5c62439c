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
_HANDLE_OR_LINK = re.compile(r"@[A-Za-z0-9_.]+|https?://\S+|www\.\S+")
_NOISE = re.compile(r"[^\w\u0e00-\u0e7f]+")
_REPEAT = re.compile(r"(\D)\1{2,}")  # elongations (หายยยย); digits repeat on purpose (1111, 1555)
_THAI_ABBREVIATION_DOT = re.compile(r"(?<=[\u0e01-\u0e2e])\.")  # ปชช. รพ. ภ.ง.ด. สคบ.
# A closing particle glued to the last word can capture its end in the dictionary ("ไหนคะ" → ไห + นคะ).
_CLOSING_PARTICLE = re.compile(r"(ครับ|คับ|ค้าบ|ค่ะ|คะ)(?=[^\u0e00-\u0e7f]|$)")
_SECTION = re.compile(r"(?:มาตรา|ม)\s*(33|39|40)(?!\d)")  # ม.33, ม39, มาตรา 40: social-security sections
# Politeness particles, question words and chat fillers (Thai, dialect and English): they say nothing about
# which service is meant, and a long post full of them must not look less covered than a terse one.
_FILLERS = frozenset(
    [
        "ครับ", "ครับผม", "คับ", "ค้าบ", "ฮะ", "ค่ะ", "คะ", "ค่า", "จ้า", "จ้ะ", "จ๊ะ", "นะ", "นะคะ", "นะครับ",
        "เด้อ", "เจ้า", "หนิ", "เนี่ย", "เนาะ", "เนอะ", "อะ", "อ่ะ", "ล่ะ", "หน่อย", "ด้วย", "ขอ", "สอบถาม", "อยาก",
        "ทราบ", "อยากรู้", "รู้", "ฮู้", "รบกวน", "ทำ", "เฮ็ด", "ยังไง", "ไง", "อย่างไร", "ทำไง", "จั่งได๋", "พรือ",
        "ไหม", "มั้ย", "มัย", "ป่ะ", "ป่าว", "เปล่า", "หรือเปล่า", "บ่", "บ้าง", "คือ", "ว่า", "ที่", "จะ", "ได้",
        "ต้อง", "การ", "เรื่อง", "แล้ว", "หรือ", "และ", "กับ", "ให้", "ของ", "มี", "เป็น", "ไป", "มา", "ใน", "อยู่",
        "แต่", "ก็", "เลย", "ดี", "ไร", "อะไร", "ตอน", "นี้", "ตอนนี้", "อันนี้", "กัน", "เรา", "ผม", "ฉัน", "หนู",
        "ดิฉัน", "พี่", "เขา", "ตัวเอง", "ช่วย", "ยัง", "ใช่", "ไหน", "ใด", "ใด๋", "พอดี", "จริงๆ",
        "the", "a", "an", "to", "of", "for", "in", "on", "at", "by", "with", "from", "into", "about", "as", "and",
        "or", "but", "if", "so", "it", "its", "this", "that", "these", "those", "there", "here", "how", "do",
        "does", "did", "i", "me", "my", "mine", "we", "our", "us", "you", "your", "he", "she", "they", "them",
        "their", "is", "are", "am", "was", "were", "be", "been", "being", "can", "could", "should", "would", "will",
        "shall", "may", "might", "must", "what", "which", "who", "whom", "when", "where", "why", "please", "hi",
        "hello", "hey", "thanks", "thank", "any", "anyone", "anybody", "someone", "some", "just", "still", "get",
        "got", "also", "too", "very", "really", "not", "no", "yes", "ok", "okay",
    ]
)
# Spellings people post for the same thing as the FAQ's wording, mapped to one form before indexing, so
# "พาสปอต", "พาส" and "passport" meet "พาสปอร์ต". Text-level because some span several tokenizer words.
_SPELLINGS = (
    (re.compile(r"หนังสือเดินทาง|พาสปอต|พาสปอร์ท|พาสสปอร์ต|passport"), "พาสปอร์ต"),
    (re.compile(r"บัตรประจำตัวประชาชน|บัตร\s*ปชช|(?<!บัตร)ปชช"), "บัตรประชาชน"),
    (re.compile(r"ใบอนุญาตขับรถ|ใบอนุญาตขับขี่|ใบขับรถ|driving licen[cs]e|driver\W?s licen[cs]e"), "ใบขับขี่"),
    (re.compile(r"มอเตอร์ไซค์|มอไซค์|มอไซ|รถจักรยานยนต์"), "มอเตอร์ไซค์"),
    (re.compile(r"แอปพลิเคชัน|แอพพลิเคชั่น|แอพ|แอป"), "app"),  # the dictionary splits แอป
    (re.compile(r"ลิ้งค์|ลิงค์|ลิ้ง"), "ลิงก์"),
    (re.compile(r"เช็ค|เช็ก"), "ตรวจสอบ"),
    (re.compile(r"บัตรคนจน"), "บัตรสวัสดิการ"),
    (re.compile(r"คนแก่|คนชรา|คนเฒ่า"), "ผู้สูงอายุ"),
    (re.compile(r"คนว่างงาน"), "ว่างงาน"),
    (re.compile(r"ไฟทาง"), "ไฟถนน"),
    (re.compile(r"กรุงเทพมหานคร|กรุงเทพฯ|กทม"), "กรุงเทพ"),
    (re.compile(r"(?<!น้ำ)ท่วม"), "น้ำท่วม"),
    (re.compile(r"ทราฟฟี่\s*ฟองดูว์|ทราฟฟี่"), "traffy"),
    (re.compile(r"อายัด"), "ระงับ"),
    (re.compile(r"อัพเดต|อัพเดท|อัปเดท"), "อัปเดต"),
    (re.compile(r"มหาลัย"), "มหาวิทยาลัย"),
    (re.compile(r"ลงชื่อ"), "ลงทะเบียน"),
    (re.compile(r"พ่อแม่"), "พ่อ แม่"),
    (re.compile(r"สิทธิ์"), "สิทธิ"),
    (re.compile(r"licen[cs]e"), "licence"),
    (re.compile(r"legaliz"), "legalis"),
)
# Single words with the same meaning (after tokenising).
_SAME_WORD = {"พาส": "พาสปอร์ต", "รพ": "โรงพยาบาล", "ตังค์": "เงิน", "ไส": "ที่ไหน"}
_STATUSES = ("approved", "draft")
_MAX_CHARS = 2000  # a question, not an essay: longer posts are cut before tokenising
_UNKNOWN_WEIGHT = 2.0  # an unknown word: a detail of the citizen's situation, or a topic the FAQ lacks
_RIVAL_PENALTY = 0.5  # how much the runner-up's fit lowers the best entry's confidence
_SINGLE_WORD_FACTOR = 0.5  # one shared word is thin evidence when the question says more


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
    coverage: float  # 0..1: confidence the entry answers the question, what the threshold applies to

    def refusal(self, min_coverage: float, today: date) -> str | None:
        """Why this match may not answer the public automatically, or None when it may (the one rule)."""
        if self.coverage < min_coverage:
            return "no confident answer in the knowledge base"
        if self.entry.status != "approved":
            return f"answer is a draft ({self.entry.id})"
        if self.entry.needs_review(today):
            return f"answer is past its review date ({self.entry.id})"
        return None


def load_faq(directory: Path) -> list[FaqEntry]:
    """Every entry in every YAML file of `directory`; a broken file is a ConfigError naming it."""
    entries: list[FaqEntry] = []
    first_file: dict[str, Path] = {}
    for path in sorted(directory.glob("*.yaml")):
        for entry in _load_file(path):
            if entry.id in first_file:
                raise ConfigError(f"FAQ file {path}: id {entry.id!r} is already used in {first_file[entry.id]}")
            first_file[entry.id] = path
            entries.append(entry)
    return entries


def _load_file(path: Path) -> list[FaqEntry]:
    try:
        items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"FAQ file {path}: {exc}") from None
    except ValueError as exc:  # YAML itself reads 2027-13-45 as an impossible date
        raise ConfigError(f"FAQ file {path}: {exc}; review_by must be a real date (YYYY-MM-DD)") from None
    if not isinstance(items, list):
        raise ConfigError(f"FAQ file {path}: expected a list of entries")
    entries = []
    for number, item in enumerate(items, start=1):
        try:
            entries.append(_entry(item))
        except KeyError as exc:
            raise ConfigError(f"FAQ file {path}, entry {number}: missing {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"FAQ file {path}, entry {number}: {exc}") from None
    return entries


def _entry(item: object) -> FaqEntry:
    """One YAML mapping as an entry; KeyError, TypeError or ValueError say what is wrong with it."""
    if not isinstance(item, dict):
        raise TypeError("an entry must be a mapping of fields")
    status = str(item.get("status", "draft"))
    if status not in _STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(_STATUSES)}")
    answer_th = str(item["answer_th"] or "").strip()
    if not answer_th:
        raise ValueError("answer_th is empty")
    return FaqEntry(
        id=str(item["id"]),
        agency=str(item["agency"]),
        status=status,
        review_by=_as_date(item["review_by"]),
        source=str(item.get("source", "")),
        title=str(item.get("title", "")),
        questions=_texts(item, "questions"),
        answer_th=answer_th,
        answer_en=str(item.get("answer_en") or "").strip(),
        questions_en=_texts(item, "questions_en"),
    )


def _texts(item: dict[str, object], key: str) -> tuple[str, ...]:
    value = item.get(key) or []
    if not isinstance(value, list):
        raise TypeError(f"{key} must be a list")
    return tuple(str(text) for text in value)


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"review_by {value!r} is not a date (YYYY-MM-DD)") from None


def thai_tokenizer() -> Tokenizer:
    """PyThaiNLP word tokens (the Rust nlpo3 engine), normalised, fillers dropped, variant spellings merged."""
    from pythainlp.tokenize import word_tokenize
    from pythainlp.util import normalize

    def tokenize(text: str) -> list[str]:
        words = word_tokenize(normalize(_clean(text)), engine="nlpo3", keep_whitespace=False)
        tokens = (_SAME_WORD.get(w, w) for w in (_english_stem(w.strip()) for w in words))
        return [t for t in tokens if t and t not in _FILLERS]

    return tokenize


def _clean(text: str) -> str:
    """Lower case, Arabic digits, no handles or links, elongations folded, variant spellings merged."""
    # Lone surrogates (possible in a Python str, never in UTF-8) would make the Rust tokenizer fail.
    text = text[:_MAX_CHARS].encode("utf-8", "replace").decode("utf-8").lower().translate(_THAI_DIGITS)
    text = _REPEAT.sub(r"\1", _HANDLE_OR_LINK.sub(" ", text))
    text = _CLOSING_PARTICLE.sub(r" \1", text)
    text = _SECTION.sub(r"มาตรา \1", _THAI_ABBREVIATION_DOT.sub("", text))
    for pattern, canonical in _SPELLINGS:
        text = pattern.sub(f" {canonical} ", text)
    return _NOISE.sub(" ", text)


def _english_stem(word: str) -> str:
    """A light suffix stripper so "expires", "expired" and "expire" meet; Thai words pass unchanged."""
    if not word.isascii() or not word.isalpha() or len(word) <= 4:
        return word
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + replacement
    return word


class KnowledgeBase:
    """Ranks FAQ entries for a question; each entry is indexed by its title and Thai and English questions."""

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
        """The best entries for `question`, best first (empty when no word of it is known).

        Coverage is the confidence the threshold applies to: the share of what the question says that
        the entry covers, less half the share its strongest rival covers (nothing when a rival covers as
        much: a question that fits several entries equally well is not answered), and halved when it
        rests on a single shared word although the question says more.
        """
        tokens = self._tokenize(question)
        known = {t for t in tokens if t in self._vocabulary}
        if not known or not self.entries:
            return []
        # One more than asked: how well the runner-up fits tells whether the question is specific.
        ids, scores = self._index.retrieve([sorted(known)], k=min(k + 1, len(self.entries)), show_progress=False)
        weight, said = self._weight(tokens), len(set(tokens))
        ranked = [(int(i), float(score), self._share(known, int(i), weight, said))
                  for i, score in zip(ids[0], scores[0], strict=True) if score > 0]
        matches = []
        for position, (index, score, share) in enumerate(ranked[:k]):
            rival = max((s for p, (_, _, s) in enumerate(ranked) if p != position), default=0.0)
            confidence = share - _RIVAL_PENALTY * rival if share > rival else 0.0  # a tie is no answer
            matches.append(Match(self.entries[index], score, max(0.0, min(1.0, confidence))))
        return matches

    def _share(self, known: set[str], index: int, weight: float, said: int) -> float:
        shared = known & self._documents[index]
        share = sum(self._idf[t] for t in shared) / weight
        return share * _SINGLE_WORD_FACTOR if len(shared) == 1 and said > 1 else share

    def _weight(self, tokens: list[str]) -> float:
        """How much the question says: known words by IDF, each unknown word a fixed amount.

        An unknown word is either a detail of the citizen's situation (a district, a date) or a sign the
        FAQ lacks the topic; it counts, but less than the rarest known word. Fragments of one word the
        tokenizer did not know (two letters or fewer, in a row) count once; bare numbers count nothing.
        """
        total, previous_unknown = 0.0, False
        for token in dict.fromkeys(tokens):
            if token in self._vocabulary:
                total += self._idf[token]
                previous_unknown = False
            elif not token.isdigit():
                if not (previous_unknown and len(token) <= 2):
                    total += _UNKNOWN_WEIGHT
                previous_unknown = True
        return total or 1.0

    def best_answer(self, question: str, min_coverage: float, today: date) -> Match | None:
        """The top match if it is confident enough and allowed to answer the public; None otherwise."""
        matches = self.search(question, k=1)
        if not matches:
            return None
        top = matches[0]
        return top if top.refusal(min_coverage, today) is None else None
