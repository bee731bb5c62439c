"""What every feed shares: fetching over HTTP with timeouts, and turning a payload into checked values."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from core.clock import BANGKOK
from core.errors import AuthExpired, ParseError, SourceError
from core.ports import FeedReading

DEFAULT_TIMEOUT = (5.0, 10.0)  # connect, read: a feed that hangs must not hold a scheduled post for long
_BE_YEAR = re.compile(r"(?<!\d)2[4-9]\d\d(?!\d)")
RAW_KEPT = 20_000  # characters of an unreadable body kept for diagnosis
USER_AGENT = "python-requests GCC1111-SocialDesk"  # Bangchak's bot check is reported to pass requests' own UA
Parser = Callable[[str], FeedReading]


class HttpFeed:
    """A feed read over HTTP: GET `url`, then `parse` the body (implements core.ports.Feed)."""

    def __init__(self, name: str, url: str, parse: Parser, *, params: Mapping[str, str] | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None) -> None:
        self.name = name
        self.url = url
        self._parse = parse
        self._params = dict(params or {})
        self._headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self._timeout = timeout
        self._session = session or requests.Session()

    def __repr__(self) -> str:
        return f"HttpFeed({self.name!r}, {self.url!r})"  # never the params: TMD's ukey travels there

    def latest(self) -> FeedReading:
        """Raises SourceError (unreachable, HTTP error) or ParseError (a changed format)."""
        return self._parse(self.fetch())

    def fetch(self) -> str:
        """The body as text; SourceError, AuthExpired or ParseError (not UTF-8) when it cannot be had."""
        try:
            response = self._session.get(self.url, params=self._params, headers=self._headers, timeout=self._timeout)
        except requests.Timeout:
            raise SourceError(f"{self.name}: no answer from the feed in time") from None
        except requests.RequestException as exc:
            raise SourceError(f"{self.name}: feed unreachable ({type(exc).__name__})") from None
        if response.status_code in (401, 403):
            raise AuthExpired(f"{self.name}: the feed refused our key (HTTP {response.status_code})")
        if response.status_code >= 400:
            raise SourceError(f"{self.name}: the feed answered HTTP {response.status_code}")
        try:
            return response.content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ParseError(f"{self.name}: the body is not UTF-8",
                             response.content[:RAW_KEPT].decode("latin-1")) from None


@contextmanager
def reading(feed: str, raw: str) -> Iterator[None]:
    """Any slip while reading a payload (a missing key, a wrong type, a bad number) becomes a ParseError."""
    try:
        yield
    except ParseError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, ArithmeticError, RecursionError) as exc:
        raise ParseError(f"{feed}: the feed's format changed ({type(exc).__name__}: {str(exc)[:200]})",
                         raw[:RAW_KEPT]) from None


def load_json(feed: str, raw: str) -> Any:
    """The body as JSON with exact decimals; ParseError (keeping the body) when it is not JSON."""
    try:
        return json.loads(raw, parse_float=Decimal)  # 66400.00 stays 66400.00, never a binary float
    except (ValueError, RecursionError):
        raise ParseError(f"{feed}: the body is not JSON", raw[:RAW_KEPT]) from None


def problem(feed: str, message: str, raw: str) -> ParseError:
    """A ParseError naming the feed and keeping (the start of) the raw body."""
    return ParseError(f"{feed}: {message}", raw[:RAW_KEPT])


def clean(value: object) -> str:
    """A feed string safe to put in a post: control and format characters removed, whitespace folded.

    Feed text is written by others; a stray RTL override, zero-width character or raw newline must not
    reach a public post. ZWJ stays (it holds emoji sequences together).
    """
    if value is None:
        return ""
    if not isinstance(value, str | int | float | Decimal):
        raise TypeError(f"expected text, got {type(value).__name__}")
    kept = "".join(ch if ch == "\u200d" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
                   else " " for ch in str(value))
    return " ".join(kept.split())


def amount(value: object) -> Decimal:
    """A price or measurement as Decimal: numbers, or strings with thousands separators."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int | float | Decimal):
        text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str):
        text = value.replace(",", "").strip()
    else:
        raise TypeError(f"not a number: {type(value).__name__}")
    try:
        found = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not found.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return found


def optional_amount(value: object) -> Decimal | None:
    """An amount, or None for the feed's "not announced yet" (empty, null, 0 for tomorrow's prices)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return amount(value)


def within(feed: str, what: str, value: Decimal, low: Decimal | int, high: Decimal | int, raw: str) -> Decimal:
    """Refuse an implausible number: better no post than a wrong price in public."""
    if not low <= value <= high:
        raise problem(feed, f"{what} {value} is outside the plausible {low}–{high}", raw)
    return value


def bangkok_time(text: str, *formats: str) -> datetime:
    """A wall-clock time written in Bangkok without a zone, as aware UTC."""
    # A Buddhist Era year (2569) becomes its Common Era one first: 29/02/2567 only parses as 2024.
    value = _BE_YEAR.sub(lambda found: str(int(found.group(0)) - 543), clean(text))
    for layout in formats:
        try:
            local = datetime.strptime(value, layout)
        except ValueError:
            continue
        return local.replace(tzinfo=BANGKOK).astimezone(UTC)
    raise ValueError(f"unreadable time {value!r}")


def as_list(value: Any) -> list[Any]:
    """PHP SimpleXML-style JSON writes one element as an object and several as a list: always a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
