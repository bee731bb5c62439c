"""The figures behind the Insight charts, with past days cached and today always live.

Aggregating a month of a million-mention desk takes the database seconds, but past days hardly
change: their figures are kept for `cache_seconds` and then refreshed behind the scenes (relabels show
up after that), while today's are read fresh on every request. Top terms come from a sample of each
week's latest posts.
"""

from __future__ import annotations

import bisect
import logging
import statistics
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from core.clock import BANGKOK, Clock
from core.store.insight import DayCount, InsightQueries
from dashboard.cache import Runner, StaleWhileRefresh, in_a_thread
from dashboard.terms import Tokenizer, count_hashtags, count_terms

log = logging.getLogger("gcc1111.dashboard")

SPIKE_HISTORY_DAYS = 28
SPIKE_SIGMAS = 3.0
SPIKE_MIN_HISTORY = 7  # days of history before a spike can be called
TERM_SAMPLE = 2000  # latest posts of each week whose words are counted
TOP_TERMS = 15
RESPONSE_BUCKETS = (("15m", 15 * 60), ("1h", 3600), ("4h", 4 * 3600), ("24h", 24 * 3600), ("more", None))


@dataclass(frozen=True)
class Volume:
    days: list[date]
    series: dict[str, list[int]]  # key (label or platform) -> count per day, aligned with days
    totals: list[int]
    spikes: list[date]


@dataclass(frozen=True)
class ResponseSummary:
    answered: int
    median_seconds: float | None
    p90_seconds: float | None
    buckets: list[tuple[str, int]]


@dataclass(frozen=True)
class TermShift:
    term: str
    this_week: int  # posts using it, out of the week's sample
    last_week: int
    this_share: float  # per 1,000 posts of the sample, comparable across weeks
    last_share: float


class InsightService:
    def __init__(self, queries: InsightQueries, clock: Clock, cache_seconds: float, tokenize: Tokenizer,
                 background: Runner = in_a_thread) -> None:
        self._queries = queries
        self._clock = clock
        self._cache = StaleWhileRefresh(clock, cache_seconds, background)
        self._background = background
        self._tokenize = tokenize
        self._warming = threading.Lock()
        self._warmed = False
        self.cache_seconds = cache_seconds

    def warm_in_background(self, days: int = 30) -> None:
        """Compute the default charts once, behind the scenes (the first sign-in calls this)."""
        with self._warming:
            if self._warmed:
                return
            self._warmed = True
        self._background(lambda: self._warm(days))

    def _warm(self, days: int) -> None:
        try:
            self.volume(days, "label")
            self.volume(days, "platform")
            self.complaints_by_agency(days)
            self.response_times(days)
            self.terms()
        except Exception:
            log.exception("warming the insight charts failed; they will be computed on first view")

    def volume(self, days: int, by: Literal["label", "platform"]) -> Volume:
        """Mentions per Bangkok day over the last `days` days (today included), with spike days marked."""
        today, today_start, start = self._window(days)
        history = self._cache.get(("volume", by, start, today),
                                  lambda: self._queries.volume(start, today_start, by))
        live: list[DayCount] = self._queries.volume(today_start, today_start + timedelta(days=1), by)
        day_list = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
        index = {d: i for i, d in enumerate(day_list)}
        series: dict[str, list[int]] = {}
        for item in [*history, *live]:
            if item.day in index:
                series.setdefault(item.key, [0] * days)[index[item.day]] += item.count
        totals = [sum(values[i] for values in series.values()) for i in range(days)]
        return Volume(day_list, dict(sorted(series.items())), totals, self._spikes(day_list, totals))

    def complaints_by_agency(self, days: int) -> list[tuple[str | None, int]]:
        today, today_start, start = self._window(days)
        history = self._cache.get(("agencies", start, today),
                                  lambda: self._queries.complaints_by_agency(start, today_start))
        merged: dict[str | None, int] = dict(history)
        for agency, count in self._queries.complaints_by_agency(today_start, today_start + timedelta(days=1)):
            merged[agency] = merged.get(agency, 0) + count
        return sorted(merged.items(), key=lambda item: (-item[1], item[0] or ""))

    def response_times(self, days: int) -> ResponseSummary:
        today, today_start, start = self._window(days)
        # Kept sorted: merging today's few answers into a month of them is then nearly free.
        history: list[float] = self._cache.get(
            ("response", start, today),
            lambda: sorted(r.seconds for r in self._queries.response_times(start, today_start)))
        live = self._queries.response_times(today_start, today_start + timedelta(days=1))
        return summarise_responses([*history, *sorted(r.seconds for r in live)])

    def terms(self) -> tuple[list[TermShift], list[TermShift]]:
        """(words, hashtags) used most in the last 7 days, each with its share the 7 days before."""
        return self._cache.get(("terms", self._window(1)[0]), self._count_terms)  # type: ignore[no-any-return]

    def _count_terms(self) -> tuple[list[TermShift], list[TermShift]]:
        now = self._clock.now()
        this_texts = self._queries.texts(now - timedelta(days=7), now, TERM_SAMPLE)
        last_texts = self._queries.texts(now - timedelta(days=14), now - timedelta(days=7), TERM_SAMPLE)
        words = compare(count_terms(this_texts, self._tokenize), count_terms(last_texts, self._tokenize))
        tags = compare(count_hashtags(this_texts), count_hashtags(last_texts))
        return words, tags

    def _spikes(self, day_list: list[date], totals: list[int]) -> list[date]:
        first = day_list[0] - timedelta(days=SPIKE_HISTORY_DAYS)
        first_start = _day_start(first)
        before = self._cache.get(("totals", first, day_list[0]),
                                 lambda: self._queries.daily_totals(first_start, _day_start(day_list[0])))
        counts = dict(before)
        counts.update(zip(day_list, totals, strict=True))
        return find_spikes(counts, day_list)

    def _window(self, days: int) -> tuple[date, datetime, datetime]:
        today = self._clock.now().astimezone(BANGKOK).date()
        today_start = _day_start(today)
        return today, today_start, today_start - timedelta(days=days - 1)


def find_spikes(counts: dict[date, int], days: list[date], *, history: int = SPIKE_HISTORY_DAYS,
                sigmas: float = SPIKE_SIGMAS, min_history: int = SPIKE_MIN_HISTORY) -> list[date]:
    """Days whose count is above the mean plus `sigmas` standard deviations of the `history` days before.

    Days missing from `counts` had no mentions. A day needs `min_history` days of history before it
    (counting from the first day that has any data) to be judged at all, and the spread counts as at
    least one mention.
    """
    if not counts:
        return []
    first_seen = min(counts)
    spikes = []
    for day in days:
        previous = [day - timedelta(days=n) for n in range(history, 0, -1)]
        previous = [d for d in previous if d >= first_seen]
        if len(previous) < min_history:
            continue
        values = [counts.get(d, 0) for d in previous]
        mean = statistics.fmean(values)
        # A perfectly flat history (spread 0) would make any one extra post a spike: allow at least 1.
        spread = max(statistics.pstdev(values), 1.0)
        if counts.get(day, 0) > mean + sigmas * spread:
            spikes.append(day)
    return spikes


def summarise_responses(seconds: list[float]) -> ResponseSummary:
    """How many answers fell in each bucket, and the median and 90th percentile wait."""
    ordered = sorted(seconds)  # two sorted runs (history, today) sort in linear time
    buckets: list[tuple[str, int]] = []
    below = 0
    for name, upper in RESPONSE_BUCKETS:
        reached = len(ordered) if upper is None else bisect.bisect_left(ordered, upper)
        buckets.append((name, reached - below))
        below = reached
    if not ordered:
        return ResponseSummary(0, None, None, buckets)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return ResponseSummary(len(ordered), statistics.median(ordered), p90, buckets)


def compare(this: tuple[Any, int], last: tuple[Any, int], top: int = TOP_TERMS) -> list[TermShift]:
    """This week's most used terms, each with its share last week (shares per 1,000 posts sampled)."""
    this_counts, this_posts = this
    last_counts, last_posts = last
    shifts = []
    for term, count in this_counts.most_common(top):
        before = last_counts.get(term, 0)
        shifts.append(TermShift(term, count, before, 1000 * count / max(1, this_posts),
                                1000 * before / max(1, last_posts)))
    return shifts


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BANGKOK).astimezone(UTC)
