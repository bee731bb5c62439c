"""Which language a post is written in, as far as replying goes: Thai, English, or something we can't read."""

from __future__ import annotations

import enum


class ReplyLanguage(enum.StrEnum):
    THAI = "th"
    ENGLISH = "en"
    UNSUPPORTED = "unsupported"


def _is_thai(ch: str) -> bool:
    return "\u0e00" <= ch <= "\u0e7f"


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def reply_language(text: str) -> ReplyLanguage:
    """Thai if it has Thai letters, English if mostly Latin letters, otherwise unsupported.

    Thai-English code switching ("ต่อ passport ยังไง") is Thai; a post of only emoji, digits or a link
    is treated as Thai, the desk's default, since there is no language to mirror.
    """
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return ReplyLanguage.THAI
    thai = sum(1 for ch in letters if _is_thai(ch))
    latin = sum(1 for ch in letters if _is_latin(ch))
    if thai and thai >= 0.2 * len(letters):
        return ReplyLanguage.THAI
    if latin >= 0.6 * len(letters):
        return ReplyLanguage.ENGLISH
    if thai:
        return ReplyLanguage.THAI
    return ReplyLanguage.UNSUPPORTED
