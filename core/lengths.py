"""How long a post is, counted the way each platform counts, and each platform's limit.

X (twitter-text v3 configuration, the rules X applies to a new post):
- the text is NFC-normalised first;
- every URL counts 23 (t.co), whatever its length; URLs are found with or without "https://";
- every emoji counts 2 however many code points build it (skin tones, ZWJ families, flags, keycaps);
- every other code point counts 1 inside U+0000–U+10FF (Latin, Thai, Arabic, Hebrew, Cyrillic …),
  U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 (general punctuation), and 2 anywhere else
  (CJK, most symbols such as ▲ ▼, anything outside the Basic Multilingual Plane).
So Thai counts 1 per code point (vowel and tone marks included), not 2: the 0–4351 range covers it.

Telegram: 4,096 characters of message text, counted in UTF-16 code units (an emoji outside the BMP is 2).
Facebook: a Page post may hold 63,206 characters.
"""

from __future__ import annotations

import re
import unicodedata

from core.domain import Platform

X_LIMIT = 280
TELEGRAM_LIMIT = 4096
FACEBOOK_LIMIT = 63_206
LIMITS = {Platform.TWITTER: X_LIMIT, Platform.TELEGRAM: TELEGRAM_LIMIT, Platform.FACEBOOK: FACEBOOK_LIMIT}
X_URL_LENGTH = 23
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

# --- URLs (after twitter-text's extractUrl: preceding char, optional protocol, domain, port, path, query) ---
_GTLDS = ("com|net|org|info|biz|gov|edu|mil|int|app|dev|io|co|me|tv|ly|news|online|site|shop|store|today|"
          "live|asia|global|world|network|media|cloud|tech|xyz|top|club|link|page|blog|bank|health|thai")
_TLD = rf"(?:{_GTLDS}|[a-z]{{2}})(?![a-z0-9@+-])"  # any two letters stand for a country-code TLD
_PATH_CHAR = r"[a-z0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&\u00c0-\u024f\u0400-\u04ff]"
_PATH_END = r"[a-z0-9=_#/+\-\u00c0-\u024f\u0400-\u04ff]"
_PARENS = rf"\((?:{_PATH_CHAR}+|\({_PATH_CHAR}*\))\)"
_PATH = rf"(?:/(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:@{_PATH_CHAR}+/))?)"
_QUERY = r"(?:\?[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@]*[a-z0-9\-_&=#/])"
_WITH_PROTOCOL = re.compile(
    rf"https?://(?:[^\s!-,./:-@\[-^`{{-~]+(?:-[^\s!-,./:-@\[-^`{{-~]+)*\.)+{_TLD}(?::\d+)?{_PATH}?{_QUERY}?",
    re.IGNORECASE)
_WITHOUT_PROTOCOL = re.compile(
    rf"(?<![a-z0-9@＠$#＃\-_./])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+{_TLD}(?::\d+)?{_PATH}?{_QUERY}?",
    re.IGNORECASE)

# --- emoji (what twemoji-parser finds: one emoji however many code points it takes) ---
_PICTOGRAPHIC = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2300, 0x23FF), (0x2B00, 0x2BFF), (0x25A0, 0x25FF),
                 (0x2190, 0x21FF), (0x2900, 0x297F), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3299))
_REGIONAL = (0x1F1E6, 0x1F1FF)
_SKIN = (0x1F3FB, 0x1F3FF)
_TAGS = (0xE0020, 0xE007F)
VS16, ZWJ, KEYCAP = "\ufe0f", "\u200d", "\u20e3"


def measure(channel: Platform, text: str) -> int:
    """The length `channel` counts for `text`."""
    if channel is Platform.TWITTER:
        return x_length(text)
    if channel is Platform.TELEGRAM:
        return utf16_length(text)
    return len(text)


def utf16_length(text: str) -> int:
    """Telegram's count: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def x_length(text: str) -> int:
    """X's weighted length of `text` (see the module docstring for the rules)."""
    normal = unicodedata.normalize("NFC", text)
    total = 0
    index = 0
    urls = _url_spans(normal)
    while index < len(normal):
        if index in urls:
            total += X_URL_LENGTH
            index = urls[index]
            continue
        end = _emoji_end(normal, index)
        if end > index:
            total += 2
            index = end
            continue
        total += 1 if _light(ord(normal[index])) else 2
        index += 1
    return total


def find_urls(text: str) -> list[str]:
    """The URLs X would shorten to t.co in `text`."""
    normal = unicodedata.normalize("NFC", text)
    return [normal[start:end] for start, end in sorted(_url_spans(normal).items())]


def _url_spans(text: str) -> dict[int, int]:
    spans: dict[int, int] = {}
    taken: list[tuple[int, int]] = []
    for pattern in (_WITH_PROTOCOL, _WITHOUT_PROTOCOL):
        for found in pattern.finditer(text):
            start, end = found.span()
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            if pattern is _WITHOUT_PROTOCOL and not found.group(0).isascii():
                continue
            taken.append((start, end))
            spans[start] = end
    return spans


def _light(code: int) -> bool:
    return any(low <= code <= high for low, high in _LIGHT)


def _within(code: int, span: tuple[int, int]) -> bool:
    return span[0] <= code <= span[1]


def _emoji_end(text: str, start: int) -> int:
    """Where the emoji starting at `start` ends, or `start` when none starts there."""
    code = ord(text[start])
    following = text[start + 1] if start + 1 < len(text) else ""
    if _within(code, _REGIONAL):
        return start + 2 if following and _within(ord(following), _REGIONAL) else start + 1
    keycap_base = text[start] in "0123456789#*"
    if keycap_base:
        rest = text[start + 1:start + 3]
        if rest.startswith(KEYCAP):
            return start + 2
        if rest == VS16 + KEYCAP:
            return start + 3
        return start
    pictographic = any(_within(code, span) for span in _PICTOGRAPHIC)
    if not pictographic and following != VS16:
        return start  # a text character (© with no VS16, a Thai letter): counted by its code point
    return _sequence_end(text, start + 1)


def _sequence_end(text: str, index: int) -> int:
    """Past the modifiers, tags and ZWJ-joined parts that belong to one emoji."""
    while index < len(text):
        code = ord(text[index])
        if text[index] == VS16 or _within(code, _SKIN) or _within(code, _TAGS) or text[index] == KEYCAP:
            index += 1
        elif text[index] == ZWJ and index + 1 < len(text) and any(
                _within(ord(text[index + 1]), span) for span in _PICTOGRAPHIC):
            index += 2
        else:
            break
    return index
