"""Text helpers every stage shares: hashtags that keep Thai words whole."""

from __future__ import annotations

import unicodedata

HASH_SIGNS = frozenset("#＃")  # the ASCII sign and the full-width one Thai keyboards sometimes produce
MAX_HASHTAG = 150  # Instagram's own limit on one tag


def is_hashtag_char(char: str) -> bool:
    """Whether `char` can continue a hashtag: a letter, a digit, a combining mark or an underscore.

    Python's `\\w` leaves out combining marks (Unicode category M), and Thai writes its upper and
    lower vowels and its tone marks as combining marks, so `#(\\w+)` cuts "#แจ้งเหตุ" after "แจ".
    """
    return char == "_" or unicodedata.category(char)[0] in "LMN"


def extract_hashtags(text: str) -> list[str]:
    """The hashtags in `text`, lower-cased, without the sign, each once, in order of appearance."""
    tags: list[str] = []
    seen: set[str] = set()
    index, length = 0, len(text)
    while index < length:
        if text[index] not in HASH_SIGNS:
            index += 1
            continue
        end = index + 1
        while end < length and is_hashtag_char(text[end]):
            end += 1
        tag = text[index + 1 : end][:MAX_HASHTAG].lower()
        # A tag cannot start with a combining mark: there is no letter for it to sit on.
        if tag and unicodedata.category(tag[0])[0] != "M" and tag not in seen:
            seen.add(tag)
            tags.append(tag)
        index = end
    return tags


def hashtag_name(value: str) -> str:
    """A configured tag as Instagram names it: "#น้ำท่วม" or " น้ำท่วม " both give "น้ำท่วม"."""
    found = extract_hashtags("#" + value.strip().lstrip("#＃"))
    return found[0] if found else ""
