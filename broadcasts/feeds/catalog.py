"""The feeds a template may use, by name: each cached, with its own freshness limit and a preview sample."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

import requests

from broadcasts.feeds import earthquake, gold, oil, traffic, weather
from broadcasts.feeds.base import HttpFeed, Parser
from broadcasts.feeds.cache import CachedFeed, staleness
from core.clock import Clock
from core.errors import DeskError, ParseError, SourceError
from core.ports import Feed, FeedReading

LABELS = {
    "gold": "ราคาทองคำ (Gold Traders Association)",
    "oil": "ราคาน้ำมัน (Bangchak)",
    "weather": "พยากรณ์อากาศ 7 วัน (TMD)",
    "warning": "ประกาศเตือนภัยสภาพอากาศ (TMD)",
    "traffic": "ข้อมูลจราจร (Longdo/iTIC)",
    "earthquake": "รายงานแผ่นดินไหว (TMD)",
}
PARSERS: dict[str, Parser] = {
    "gold": gold.parse_gold, "oil": oil.parse_oil, "weather": weather.parse_forecast,
    "warning": weather.parse_warnings, "traffic": traffic.parse_traffic, "earthquake": earthquake.parse_earthquakes,
}
SAMPLES = {"gold": gold.SAMPLE, "oil": oil.SAMPLE, "weather": weather.SAMPLE_FORECAST,
           "warning": weather.SAMPLE_WARNING, "traffic": traffic.SAMPLE, "earthquake": earthquake.SAMPLE}
# How old each publisher's own timestamp may be before a post using it is held (minutes). Gold is announced
# several times a trading day, so yesterday's last price is not today's; oil is dated by the day its prices
# are for; the 7-day forecast is rebuilt every evening; traffic events arrive every few minutes.
DEFAULT_MAX_AGE_MINUTES = {"gold": 8 * 60, "oil": 26 * 60, "weather": 30 * 60, "warning": 24 * 60,
                           "traffic": 3 * 60, "earthquake": 24 * 60}
TMD_FEEDS = ("weather", "warning")


class FeedProblem(DeskError):
    """A template's feed cannot be used now: unreachable, unreadable or too old. The post is held."""

    def __init__(self, feed: str, reason: str) -> None:
        super().__init__(reason)
        self.feed = feed
        self.reason = reason


@dataclass(frozen=True)
class FeedSpec:
    """One feed as configured: the (cached) reader, its age limit, its name for staff, its preview sample."""

    feed: Feed
    max_age: timedelta
    label: str
    sample: Callable[[], FeedReading]


class FeedSet:
    """Every configured feed by name; `fresh(name)` is the only way publishing reads one."""

    def __init__(self, specs: Mapping[str, FeedSpec], clock: Clock) -> None:
        self._specs = dict(specs)
        self._clock = clock

    @property
    def names(self) -> frozenset[str]:
        """The configured feeds' names (what templates may read)."""
        return frozenset(self._specs)

    def label(self, name: str) -> str:
        """The feed's name for staff, in Thai with its publisher."""
        return self._specs[name].label

    def fresh(self, name: str) -> FeedReading:
        """The latest reading when it is within the feed's age limit; FeedProblem (with the reason) otherwise."""
        spec = self._specs[name]
        try:
            found = spec.feed.latest()
        except ParseError as exc:
            raise FeedProblem(name, f"{spec.label}: อ่านข้อมูลไม่ได้ รูปแบบอาจเปลี่ยน ({exc})") from None
        except SourceError as exc:
            raise FeedProblem(name, f"{spec.label}: ติดต่อแหล่งข้อมูลไม่ได้ ({exc})") from None
        reason = staleness(found, self._clock.now(), spec.max_age, spec.label)
        if reason is not None:
            raise FeedProblem(name, reason)
        return found

    def sample(self, name: str) -> FeedReading:
        """A realistic reading for previews when the live feed cannot be used."""
        return self._specs[name].sample()


def max_ages(configured: Mapping[str, float], fallback_minutes: float) -> dict[str, timedelta]:
    """Per-feed limits: the configured one, else the built-in default, else the general fallback."""
    return {name: timedelta(minutes=configured.get(name, DEFAULT_MAX_AGE_MINUTES.get(name, fallback_minutes)))
            for name in PARSERS}


def http_feeds(urls: Mapping[str, str], clock: Clock, *, ttl_seconds: float, max_age: Mapping[str, timedelta],
               tmd_uid: str = "", tmd_ukey: str = "", session: requests.Session | None = None) -> FeedSet:
    """The standard feeds read over HTTP from `urls` (name → URL); a feed with no URL is left out."""
    shared = session or requests.Session()
    specs: dict[str, FeedSpec] = {}
    for name, parse in PARSERS.items():
        url = urls.get(name, "")
        if not url:
            continue
        params = {"uid": tmd_uid, "ukey": tmd_ukey, "format": "json"} if name in TMD_FEEDS else {}
        headers = {"Referer": gold.REFERER} if name == "gold" else {}
        feed = HttpFeed(name, url, parse, params=params, headers=headers, session=shared)
        specs[name] = FeedSpec(CachedFeed(feed, clock, ttl_seconds), max_age[name], LABELS[name],
                               _sampler(parse, SAMPLES[name]))
    return FeedSet(specs, clock)


def _sampler(parse: Parser, payload: str) -> Callable[[], FeedReading]:
    return lambda: parse(payload)
