"""Top terms and hashtags in a sample of posts: Thai word segmentation, our own stopwords, per-post counts."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from core.text import extract_hashtags

Tokenizer = Callable[[str], list[str]]

# Words too common in Thai posts to say anything: particles, pronouns, function words, generic verbs.
_STOPWORD_TEXT = """
ครับ ค่ะ คะ คับ ครับผม นะ นะคะ นะครับ จ้า จ้ะ จ๊ะ ค่า ฮะ เนอะ สิ ซิ เถอะ หรอก ละ ล่ะ เลย ด้วย หน่อย
ผม ฉัน เรา คุณ เขา หนู พี่ น้อง ท่าน กู มึง ตัวเอง ใคร
ที่ และ ของ ใน มี ไม่ ได้ ให้ ไป มา แล้ว จะ ก็ ว่า เป็น อยู่ กับ การ ความ ยัง ต้อง หรือ แต่ เพราะ ถ้า เมื่อ
จาก ถึง โดย ซึ่ง อย่าง นี้ นั้น โน้น ไหม มั้ย อะไร ยังไง ทำไม เท่าไหร่ ที่ไหน ไหน ช่วย กัน มาก ทุก บ้าง แค่
ก่อน หลัง ตอน วันนี้ เมื่อวาน พรุ่งนี้ คือ ทำ เอา ดู รู้ ขอ อีก ทั้ง เขา นั่น นี่ แบบ เรื่อง ครั้ง คน อัน ตัว
กว่า เกิน จน ยัง ๆ แถว ตรง เดียว เอง ซะ จริง ๆ ค่ะๆ หรือเปล่า เปล่า ใช่ ไม่ใช่ สอบถาม รบกวน ขอบคุณ
ตั้งแต่ ตอนนี้ อยาก ปี วัน เดือน เวลา เข้า รอ กด ที่นี่ แล้วก็ อะ อ่ะ นะคะ ค่ะ ครับ
the a an to of and is in on for it this that be are was with at by or not you we i
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_ELONGATION = re.compile(r"(.)\1{2,}")  # มากกกก → มาก, !!!! → !
_HAS_LETTER = re.compile(r"[a-z\u0e01-\u0e2e]")  # Latin or a Thai consonant
_URLISH = re.compile(r"^(?:https?|www\.)|\.(?:com|net|org|th)\b")


def default_tokenizer() -> Tokenizer:
    """PyThaiNLP with the nlpo3 engine (the fastest maximal-matching segmenter it offers)."""

    def tokenize(text: str) -> list[str]:
        from pythainlp.tokenize import word_tokenize  # imported on first use: it is slow to import

        return word_tokenize(text, engine="nlpo3", keep_whitespace=False)

    return tokenize


def clean_term(token: str) -> str:
    """The token as counted, or "" when it is not worth counting."""
    term = _ELONGATION.sub(r"\1", token.strip().lower())
    if len(term) < 2 or term in STOPWORDS or term.isdigit() or not _HAS_LETTER.search(term):
        return ""
    if _URLISH.search(term) or term.startswith(("@", "#")):
        return ""
    return term


def count_terms(texts: Iterable[str], tokenize: Tokenizer) -> tuple[Counter[str], int]:
    """How many posts use each term (a term repeated in one post counts once), and how many posts."""
    counts: Counter[str] = Counter()
    posts = 0
    for text in texts:
        posts += 1
        without_tags = re.sub(r"[#＃]\S+", " ", text)
        counts.update({term for term in map(clean_term, tokenize(without_tags)) if term})
    return counts, posts


def count_hashtags(texts: Iterable[str]) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    posts = 0
    for text in texts:
        posts += 1
        counts.update(set(extract_hashtags(text)))
    return counts, posts
