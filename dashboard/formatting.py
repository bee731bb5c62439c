"""How values look on screen: Buddhist Era dates in Bangkok time, SLA clocks, and public text made harmless."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from core.clock import BANGKOK

THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BE_OFFSET = 543  # Buddhist Era year = Common Era year + 543

# Bidirectional overrides, embeddings and isolates can flip how the rest of a page reads ("RLO" tricks).
# They are shown as visible marks instead of being obeyed.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_CONTROL_NAMES = {
    "\u202a": "LRE", "\u202b": "RLE", "\u202c": "PDF", "\u202d": "LRO", "\u202e": "RLO",
    "\u2066": "LRI", "\u2067": "RLI", "\u2068": "FSI", "\u2069": "PDI",
}
# Other invisible format characters a post may carry (C0/C1 controls other than tab and newline).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def when(moment: datetime | None, lang: str = "th", *, seconds: bool = False) -> str:
    """'24 พ.ย. 2569 10:15' (Thai, Buddhist Era) or '24 Nov 2026 10:15', in Bangkok time."""
    if moment is None:
        return "–"
    local = moment.astimezone(BANGKOK)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{day(local.date(), lang)} {clock}"


def day(value: date, lang: str = "th") -> str:
    if lang == "en":
        return f"{value.day} {EN_MONTHS[value.month - 1]} {value.year}"
    return f"{value.day} {THAI_MONTHS[value.month - 1]} {value.year + BE_OFFSET}"


def short_day(value: date, lang: str = "th") -> str:
    """'24 พ.ย.' or '24 Nov': chart axes."""
    months = EN_MONTHS if lang == "en" else THAI_MONTHS
    return f"{value.day} {months[value.month - 1]}"


def duration(span: timedelta, lang: str = "th") -> str:
    """'3 ชม. 20 นาที' / '3 h 20 min'; days when long."""
    minutes = int(abs(span).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    units = ("วัน", "ชม.", "นาที") if lang != "en" else ("d", "h", "min")
    parts = []
    if days:
        parts.append(f"{days} {units[0]}")
    if hours and len(parts) < 2:
        parts.append(f"{hours} {units[1]}")
    if not days and (mins or not parts):
        parts.append(f"{mins} {units[2]}")
    return " ".join(parts)


def public(text: str | None) -> str:
    """Text written by the public, made safe to show as text: bidi controls become visible marks.

    HTML escaping is the template engine's job (autoescape); this only removes what escaping cannot:
    characters that would silently reorder or hide what staff read.
    """
    if not text:
        return ""
    text = _BIDI_CONTROLS.sub(lambda m: f"[{_CONTROL_NAMES[m.group()]}]", text)
    return _CONTROLS.sub("\ufffd", text)


def clip(text: str | None, limit: int = 280) -> str:
    """At most `limit` characters of public text for lists, with an ellipsis when cut."""
    shown = public(text)
    return shown if len(shown) <= limit else shown[:limit].rstrip() + "…"


def safe_href(url: str | None) -> str:
    """The URL when it is a plain http(s) link, else empty (no javascript:, data: or other schemes)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return url.strip()


def local_path(target: str | None, fallback: str = "/") -> str:
    """`target` when it is a path on this site (never another host, never a scheme), else `fallback`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 0x20 for ch in target):
        return fallback
    return target
