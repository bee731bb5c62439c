"""Thai social-media text normalisation, done for a whole batch at once so it stays fast.

In order: lower-case; Thai digits to Arabic, full-width ASCII to ASCII, every kind of whitespace and
control character to a space, lone surrogates to U+FFFD; zero-width characters, variation selectors
and emoji skin tones dropped; broken sara am and doubled Thai marks repaired; elongations folded
(มากกกก → มาก, ค่ะะะ → ค่ะ, 55555 → 555); e-mails, URLs and @mentions replaced by placeholder tokens,
hashtags by a placeholder plus their words; spaces collapsed; chat spellings and Isan, northern and
southern dialect words mapped to standard Thai. Emoji stay: they carry signal.

Character-level steps run as numpy operations over the code points of the joined batch; the
pattern steps (placeholders, dialect) run only on the posts that a vectorised check flags. The
result is a fixed point: normalising it again changes nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

import numpy as np

URL = "⟨url⟩"
USER = "⟨user⟩"
TAG = "⟨tag⟩"
EMAIL = "⟨email⟩"
PLACEHOLDERS = (URL, USER, TAG, EMAIL)

# The batch is joined on this character; a text that itself contains it is cleaned of it first.
SEP = "\x00"

_THAI = "\u0e00-\u0e7f"
_SPACE = 0x20
_SARA_AA, _SARA_AM, _NIKHAHIT = 0x0E32, 0x0E33, 0x0E4D
_TONES = (0x0E48, 0x0E49, 0x0E4A, 0x0E4B)
_MARKS = (0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F))  # above/below vowels, tones, marks
_INVISIBLE = (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xFE0E, 0xFE0F, 0x00AD)
_SKIN_TONES = (0x1F3FB, 0x1F3FF)

_EMAIL = re.compile(r"[0-9a-z_.+-]+@[0-9a-z-]+(?:\.[0-9a-z-]+)+")
_URL = re.compile(
    r"[0-9a-z](?:(?<=h)ttps?://[^\s\x00]+|(?<=w)ww\.[^\s\x00]+"
    r"|[0-9a-z.-]*\.(?:com|net|org|co|ly|me|io|th|gl|cc)(?![0-9a-z])(?:/[^\s\x00]*)?)"
)
_MENTION = re.compile(rf"@[0-9a-z_.{_THAI}-]+")
_HASHTAG = re.compile(rf"#([0-9a-z_{_THAI}]+)")

# Chat spellings and dialect words whose standard form is unambiguous in this domain.
DIALECT: dict[str, str] = {
    # question particles and chat spellings
    "มั้ย": "ไหม", "มั๊ย": "ไหม", "ไม๊": "ไหม", "มั๋ย": "ไหม", "ป่ะ": "ไหม", "ป่าว": "เปล่า",
    "รึเปล่า": "หรือเปล่า", "ทามมาย": "ทำไม", "ทำมัย": "ทำไม", "ทามไม": "ทำไม", "ยังงัย": "ยังไง",
    "ยังงาย": "ยังไง", "ยังไร": "ยังไง", "เมื่อไร่": "เมื่อไหร่", "เมื่อไร": "เมื่อไหร่",
    "เท่าไร": "เท่าไหร่", "ครัช": "ครับ", "คร้าบ": "ครับ", "คับผม": "ครับผม", "คร่ะ": "ค่ะ",
    "ค๊ะ": "คะ", "ค้ะ": "คะ", "เปง": "เป็น",
    # Isan
    "บ่ได้": "ไม่ได้", "บ่มี": "ไม่มี", "บ่แม่น": "ไม่ใช่", "บ่ฮู้": "ไม่รู้", "บ่เคย": "ไม่เคย",
    "บ่ทราบ": "ไม่ทราบ", "บ่เป็น": "ไม่เป็น", "บ่ไป": "ไม่ไป", "บ่มา": "ไม่มา", "บ่ให้": "ไม่ให้",
    "แม่นบ่": "ใช่ไหม", "เฮ็ด": "ทำ", "เบิ่ง": "ดู", "อีหยัง": "อะไร", "จั่งใด๋": "อย่างไร",
    "จั่งได๋": "อย่างไร", "จังได๋": "อย่างไร", "ยามใด๋": "เมื่อไหร่", "อยู่ไส": "อยู่ที่ไหน",
    "ไปไส": "ไปไหน", "ข่อย": "ฉัน", "เด้อ": "นะ", "ฮู้": "รู้",
    # northern
    "กิ๋น": "กิน", "ปิ๊ก": "กลับ", "จะไดนัก": "มากเลย", "ใจ้": "ใช่",
    # southern
    "หรอย": "อร่อย", "แหลง": "พูด", "ไม่หอน": "ไม่เคย", "พรือ": "อย่างไร", "ทำไหร่": "ทำอะไร",
    "ยะไหร": "ทำอะไร",
}
_DIALECT = re.compile("|".join(sorted(map(re.escape, DIALECT), key=len, reverse=True)))
_PREFIX_BITS = 18  # a 256 KB bitmap stays in cache; false hits only cost a regex call


def normalize(text: str) -> str:
    """Normalise one post (see the module docstring)."""
    return normalize_batch([text])[0]


def normalize_batch(texts: Sequence[str]) -> list[str]:
    """Normalise many posts together."""
    return normalize_joined(texts)[1:-1].split(SEP) if texts else []


def normalize_joined(texts: Sequence[str]) -> str:
    """The normalised batch as SEP + text + SEP + … + SEP, the layout the feature hasher reads."""
    joined = SEP + SEP.join(texts) + SEP
    if joined.count(SEP) != len(texts) + 1:
        joined = SEP + SEP.join(text.replace(SEP, " ") for text in texts) + SEP
    return _clean(joined)


def _clean(joined: str) -> str:
    codes = _fold(_map_characters(_code_points(joined.lower())))
    docs = _decode(codes).split(SEP)
    for index in _docs_where(codes, _placeholder_candidates(codes)):
        docs[index] = _placeholders(docs[index])
    codes = _collapse_spaces(_code_points(SEP.join(docs)))
    docs = _decode(codes).split(SEP)
    changed = []
    for index in _docs_where(codes, _dialect_candidates(codes)):
        docs[index], count = _DIALECT.subn(_dialect_word, docs[index])
        if count:
            changed.append(index)
    if changed:
        # A mapped word can meet a neighbour and make a new run to fold: clean those posts again.
        again = normalize_batch([docs[index] for index in changed])
        for index, text in zip(changed, again, strict=True):
            docs[index] = text
    return SEP.join(docs)


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()


def _decode(codes: np.ndarray) -> str:
    return codes.astype("<u4", copy=False).tobytes().decode("utf-32-le")


@functools.cache
def _character_table() -> tuple[np.ndarray, np.ndarray]:
    """What each BMP code point becomes, and which ones are dropped."""
    table = np.arange(0x10000, dtype=np.uint32)
    table[0x0E50:0x0E5A] = np.arange(0x30, 0x3A)  # ๐-๙
    table[0xFF01:0xFF5F] = np.arange(0x21, 0x7F)  # full-width ASCII
    table[0x01:0x20] = _SPACE  # control characters, tab and newline included
    table[0x7F:0xA0] = _SPACE
    table[[code for code in range(0x10000) if chr(code).isspace()]] = _SPACE
    table[0xD800:0xE000] = 0xFFFD  # lone surrogates (from "\ud800" in JSON) cannot be encoded
    dropped = np.zeros(0x10000, dtype=bool)
    dropped[list(_INVISIBLE)] = True
    return table, dropped


def _map_characters(codes: np.ndarray) -> np.ndarray:
    table, dropped = _character_table()
    small = codes < 0x10000
    keep = ~((codes >= _SKIN_TONES[0]) & (codes <= _SKIN_TONES[1]))
    keep[small] &= ~dropped[codes[small]]
    codes[small] = table[codes[small]]
    return codes[keep]


def _fold(codes: np.ndarray) -> np.ndarray:
    """Repair sara am and fold repeated characters until nothing changes."""
    while True:
        repaired = _repair_sara_am(codes)
        folded = _fold_runs(repaired)
        if len(folded) == len(codes) and np.array_equal(folded, codes):
            return folded
        codes = folded


def _repair_sara_am(codes: np.ndarray) -> np.ndarray:
    """ํ + า → ำ (a tone mark typed between them moves before), and ำ + tone → tone + ำ."""
    codes = codes.copy()
    keep = np.ones(len(codes), dtype=bool)
    for at in np.flatnonzero(codes[:-1] == _NIKHAHIT):
        if codes[at + 1] == _SARA_AA:
            codes[at], keep[at + 1] = _SARA_AM, False
        elif codes[at + 1] in _TONES and at + 2 < len(codes) and codes[at + 2] == _SARA_AA:
            codes[at], codes[at + 1], keep[at + 2] = codes[at + 1], _SARA_AM, False
    tone_after = np.flatnonzero((codes[:-1] == _SARA_AM) & (codes[1:] >= _TONES[0]) & (codes[1:] <= _TONES[-1]))
    for at in tone_after:
        if keep[at] and keep[at + 1]:
            codes[at], codes[at + 1] = codes[at + 1], codes[at]
    return codes[keep]


def _is_mark(codes: np.ndarray) -> np.ndarray:
    return (codes == _MARKS[0]) | ((codes >= 0x0E34) & (codes <= 0x0E3A)) | ((codes >= 0x0E47) & (codes <= 0x0E4E))


def _fold_runs(codes: np.ndarray) -> np.ndarray:
    """Doubled Thai marks to one; 3+ repeats of a letter, emoji or sign to one; 5555 to 555."""
    repeats = np.flatnonzero(codes[1:] == codes[:-1]) + 1  # positions equal to their left neighbour
    if len(repeats) == 0:
        return codes
    # Group the repeats into runs: a run of length k contributes k-1 consecutive positions.
    first = np.concatenate(([True], repeats[1:] != repeats[:-1] + 1))
    run_of = np.cumsum(first) - 1
    run_start = repeats[first] - 1
    run_length = np.bincount(run_of) + 1
    chars = codes[run_start]
    digit = (chars >= 0x30) & (chars <= 0x39)
    keep = run_length.copy()
    mark = _is_mark(chars)
    keep[mark] = 1
    keep[~digit & ~mark & (chars != _SPACE) & (chars != 0) & (run_length >= 3)] = 1
    run_end = run_start + run_length
    before = codes[np.maximum(run_start - 1, 0)]
    after = codes[np.minimum(run_end, len(codes) - 1)]
    lone = ~((before >= 0x30) & (before <= 0x39) & (run_start > 0))
    lone &= ~((after >= 0x30) & (after <= 0x39) & (run_end < len(codes)))
    keep[(chars == ord("5")) & (run_length >= 4) & lone] = 3
    offset = repeats - run_start[run_of]  # 1 for the second character of a run, 2 for the third…
    dropped = repeats[offset >= keep[run_of]]
    if len(dropped) == 0:
        return codes
    kept = np.ones(len(codes), dtype=bool)
    kept[dropped] = False
    return codes[kept]


def _collapse_spaces(codes: np.ndarray) -> np.ndarray:
    """One space between words, none at either end of a post."""
    space = codes == _SPACE
    previous = np.concatenate(([0], codes[:-1]))
    codes = codes[~(space & ((previous == _SPACE) | (previous == 0)))]
    following = np.concatenate((codes[1:], [0]))
    return codes[~((codes == _SPACE) & (following == 0))]


def _docs_where(codes: np.ndarray, positions: np.ndarray) -> list[int]:
    """Indices (in SEP-split order, where 0 is the empty piece before the first post) of posts hit."""
    if len(positions) == 0:
        return []
    seps = np.cumsum(codes == 0)
    return [int(i) for i in np.unique(seps[positions])]


def _placeholder_candidates(codes: np.ndarray) -> np.ndarray:
    """Positions that could be part of an e-mail, URL, mention or hashtag: '@', '#', '://', 'x.y'."""
    ascii_word = ((codes >= 0x30) & (codes <= 0x39)) | ((codes >= 0x61) & (codes <= 0x7A)) | (codes == 0x2D)
    letter = (codes >= 0x61) & (codes <= 0x7A)
    hits = (codes == 0x40) | (codes == 0x23)
    hits[1:-1] |= (codes[1:-1] == 0x2E) & ascii_word[:-2] & letter[2:]
    hits[:-2] |= (codes[:-2] == 0x3A) & (codes[1:-1] == 0x2F) & (codes[2:] == 0x2F)
    return np.flatnonzero(hits)


def _placeholders(text: str) -> str:
    text = _EMAIL.sub(f" {EMAIL} ", text)
    text = _URL.sub(f" {URL} ", text)
    text = _MENTION.sub(f" {USER} ", text)
    return _HASHTAG.sub(_hashtag, text)


def _hashtag(match: re.Match[str]) -> str:
    return f" {TAG} {match.group(1).replace('_', ' ')} "


@functools.cache
def _dialect_hashes() -> dict[int, np.ndarray]:
    """For each dialect word length, a bitmap of the words' hashes."""
    bitmaps: dict[int, np.ndarray] = {}
    for word in DIALECT:
        bitmap = bitmaps.setdefault(len(word), np.zeros(1 << _PREFIX_BITS, dtype=bool))
        bitmap[_rolling_hashes(_code_points(word), [len(word)])[len(word)]] = True
    return bitmaps


def _rolling_hashes(codes: np.ndarray, lengths: Iterable[int]) -> dict[int, np.ndarray]:
    """Hash (into _PREFIX_BITS bits) of the n-gram at every position, for each n in `lengths`."""
    wanted = set(lengths)
    rolling = codes.astype(np.uint64)
    hashes = {}
    for n in range(1, max(wanted) + 1):
        if n > 1:
            rolling = rolling[:-1] * np.uint64(1_000_003) + codes[n - 1 :].astype(np.uint64)
        if n in wanted:
            hashes[n] = ((rolling * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - _PREFIX_BITS)).astype(np.int64)
    return hashes


def _dialect_candidates(codes: np.ndarray) -> np.ndarray:
    if len(codes) < 3:
        return np.zeros(0, dtype=np.int64)
    bitmaps = _dialect_hashes()
    hashes = _rolling_hashes(codes, [n for n in bitmaps if n <= len(codes)])
    hits = [np.flatnonzero(bitmaps[n][hashed]) for n, hashed in hashes.items()]
    return np.concatenate(hits) if hits else np.zeros(0, dtype=np.int64)


def _dialect_word(match: re.Match[str]) -> str:
    return DIALECT[match.group(0)]
