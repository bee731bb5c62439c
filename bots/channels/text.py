"""Outgoing text made safe and short enough: personal data redacted, each platform's length limit kept politely."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

from core.lengths import utf16_length, x_length
from core.privacy import redact

Measure = Callable[[str], int]
__all__ = ["FACEBOOK_COMMENT_LIMIT", "FACEBOOK_POST_LIMIT", "MESSENGER_LIMIT", "TELEGRAM_LIMIT", "X_LIMIT", "outgoing",
           "same_text", "shorten", "utf16_length", "x_length"]  # the lengths come from core, one set of rules

ELLIPSIS = "…"
TELEGRAM_LIMIT = 4096  # characters after entity parsing; counted here in UTF-16 units, the stricter reading
X_LIMIT = 280  # weighted characters
MESSENGER_LIMIT = 2000
FACEBOOK_COMMENT_LIMIT = 8000
FACEBOOK_POST_LIMIT = 60000
URL = re.compile(r"https?://\S+")
def outgoing(text: str, limit: int, measure: Measure = len) -> str:
    """Redact personal data, then fit `text` within `limit`.

    When it is too long the first part is shortened at a word or syllable boundary and ends in "…",
    while the closing lines (the official source's link, "โทร 1111") are kept: the citizen can still
    read the whole answer there.
    """
    safe = redact(text).strip()
    if measure(safe) <= limit:
        return safe
    lines = safe.split("\n")
    footer: list[str] = []
    while len(lines) > 1 and measure("\n".join([lines[-1], *footer])) <= limit // 2:
        footer.insert(0, lines.pop())
    tail = "\n" + "\n".join(footer) if footer else ""
    body = "\n".join(lines)
    room = limit - measure(ELLIPSIS + tail)
    fitted = shorten(body, room, measure) + ELLIPSIS + tail
    while measure(fitted) > limit and room > 0:  # joining can change a count (a link ending at the cut)
        room -= max(1, measure(fitted) - limit)
        fitted = shorten(body, room, measure) + ELLIPSIS + tail
    return fitted if measure(fitted) <= limit else shorten(safe, limit - measure(ELLIPSIS), measure) + ELLIPSIS


def shorten(text: str, room: int, measure: Measure = len) -> str:
    """The longest start of `text` within `room`, never cutting a Thai vowel or tone mark from its letter."""
    if room <= 0:
        return ""
    low, high = 0, len(text)  # the longest prefix that fits, by binary search (measure grows with length)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= room:
            low = middle
        else:
            high = middle - 1
    cut = low
    while 0 < cut < len(text) and _joins_previous(text[cut]):
        cut -= 1  # a combining mark belongs with the letter before it: drop both
    for link in URL.finditer(text):
        if link.start() < cut < link.end():
            cut = link.start()  # half a link is a broken link: drop it whole
    space = text.rfind(" ", 0, cut)
    if cut < len(text) and space > cut * 0.7:
        cut = space  # prefer a phrase boundary (Thai separates phrases with spaces) when one is near
    return text[:cut].rstrip(" ,;:-")


def _joins_previous(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\u200d\ufe0f"


def same_text(ours: str, theirs: str) -> bool:
    """Whether a platform's copy of a message is the text we sent: links may be rewritten, entities escaped."""
    return _comparable(ours) == _comparable(theirs)


def _comparable(text: str) -> str:
    unescaped = html.unescape(unicodedata.normalize("NFC", text))
    return " ".join(URL.sub("<link>", unescaped).split())
