"""The feed readers over real HTTP against the feeds stand-in: formats, sanity checks, failures, cache, freshness."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadcasts.feeds import FeedProblem, FeedSet, max_ages
from broadcasts.feeds.base import HttpFeed
from broadcasts.feeds.catalog import PARSERS, SAMPLES
from broadcasts.feeds.gold import parse_gold
from broadcasts.feeds.oil import parse_oil
from config.broadcast_wiring import build_feeds
from config.settings import load_settings
from core.clock import BANGKOK, ManualClock
from core.errors import ParseError, SourceError
from sandbox.feeds import PATHS, TMD_UID, TMD_UKEY, FeedsSandbox


@pytest.fixture
def feeds_server(clock: ManualClock) -> Iterator[FeedsSandbox]:
    server = FeedsSandbox(clock)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def feeds(feeds_server: FeedsSandbox, clock: ManualClock) -> FeedSet:
    return build_feeds(load_settings(feeds_server.env()), clock)


def test_gold_is_read_with_bangkok_local_time_and_exact_baht(feeds: FeedSet, feeds_server: FeedsSandbox,
                                                            clock: ManualClock) -> None:
    announced = feeds_server.announce_gold(66_300, 66_500, at=clock.now() - timedelta(minutes=5))
    reading = feeds.fresh("gold")
    assert reading.issued_at == announced.at.replace(microsecond=0) and reading.issued_at.tzinfo is UTC
    assert (reading.data["bar_buy"], reading.data["bar_sell"]) == (Decimal("66300.0"), Decimal("66500.0"))
    assert (reading.data["change"], reading.data["announcement"]) == (Decimal(100), 10)
    asked = feeds_server.requests_to(PATHS["gold"])[0]
    assert asked.query == {"readjson": "false"} and asked.headers["referer"] == "https://www.goldtraders.or.th/"


def test_oil_weather_warning_traffic_and_earthquake_are_read_from_their_real_formats(
        feeds: FeedSet, feeds_server: FeedsSandbox, clock: ManualClock) -> None:
    oil = feeds.fresh("oil").data
    diesel = oil["prices"]["Hi Diesel S"]
    assert (diesel["name"], diesel["today"], diesel["change_tomorrow"]) == ("ไฮ ดีเซล S", Decimal("32.94"),
                                                                            Decimal("0.50"))
    assert oil["effective_date"].astimezone(BANGKOK).date() == clock.now().astimezone(BANGKOK).date()

    weather = feeds.fresh("weather").data["provinces"]["กรุงเทพมหานคร"]
    assert [d["date"] for d in weather] == sorted(d["date"] for d in weather)  # served newest first
    assert len(weather) == 7
    assert isinstance(weather[0]["date"], date) and weather[0]["max_temp"] == Decimal("34.0")
    tmd = feeds_server.requests_to(PATHS["weather"])[0].query
    assert tmd == {"uid": TMD_UID, "ukey": TMD_UKEY, "format": "json"}

    warning = feeds.fresh("warning").data  # one warning: SimpleXML writes it as an object, not a list
    assert warning["latest"]["title"].startswith("พายุฤดูร้อน") and len(warning["warnings"]) == 1

    traffic = feeds.fresh("traffic").data["events"]
    assert [e["id"] for e in traffic] == ["311111", "311098"] and traffic[1]["stop"] is None

    quake = feeds.fresh("earthquake").data["latest"]
    assert quake["magnitude"] == Decimal("3.1") and quake["time"] == feeds_server.quakes[0].at.replace(microsecond=0)


def test_a_changed_format_is_a_parse_error_that_keeps_the_body(feeds_server: FeedsSandbox) -> None:
    for name in PATHS:
        feeds_server.change_format(name)
        feed = HttpFeed(name, feeds_server.url + PATHS[name], PARSERS[name])
        with pytest.raises(ParseError) as refused:
            feed.latest()
        assert refused.value.raw_body and name in str(refused.value)


def test_a_server_error_or_no_server_is_a_source_error(feeds_server: FeedsSandbox) -> None:
    feeds_server.server_error("gold", 502)
    gold = HttpFeed("gold", feeds_server.url + PATHS["gold"], parse_gold)
    with pytest.raises(SourceError, match="HTTP 502"):
        gold.latest()
    assert gold.latest().data["bar_sell"] == Decimal("66400.0")  # the next read works: nothing stuck
    address = feeds_server.url + PATHS["gold"]
    feeds_server.stop()
    with pytest.raises(SourceError, match="unreachable"):  # a new connection: the old one was kept alive
        HttpFeed("gold", address, parse_gold).latest()


def test_implausible_numbers_are_refused_rather_than_published() -> None:
    sample = json.loads(SAMPLES["gold"])
    for field, value in (("bL_SellPrice", 6_640), ("oM965_BuyPrice", 1_000_000), ("bL_BuyPrice", 99_000)):
        with pytest.raises(ParseError):  # out of 10k–100k, or a buying price above the selling one
            parse_gold(json.dumps({**sample, field: value}))
    oil = json.loads(SAMPLES["oil"])
    oil["data"]["items"][0]["PriceToday"] = "329.40"  # a misplaced decimal point
    with pytest.raises(ParseError, match="outside the plausible"):
        parse_oil(json.dumps(oil, ensure_ascii=False))


def test_the_cache_answers_within_its_ttl_and_never_keeps_a_failure(feeds: FeedSet, feeds_server: FeedsSandbox,
                                                                    clock: ManualClock) -> None:
    first = feeds.fresh("gold")
    clock.advance(299)
    assert feeds.fresh("gold") is first and len(feeds_server.requests_to(PATHS["gold"])) == 1
    clock.advance(2)
    feeds_server.server_error("gold")
    with pytest.raises(FeedProblem, match="ติดต่อแหล่งข้อมูลไม่ได้"):
        feeds.fresh("gold")
    assert feeds.fresh("gold").issued_at == first.issued_at  # the failure was not cached
    assert len(feeds_server.requests_to(PATHS["gold"])) == 3


def test_old_data_or_a_time_in_the_future_is_not_fresh(feeds: FeedSet, feeds_server: FeedsSandbox,
                                                      clock: ManualClock) -> None:
    feeds_server.make_stale("gold", timedelta(hours=9))  # yesterday's last announcement is not today's price
    with pytest.raises(FeedProblem, match=r"เก่าเกิน 8 ชม\."):
        feeds.fresh("gold")
    feeds_server.make_stale("traffic", timedelta(hours=4))
    with pytest.raises(FeedProblem, match="stale"):
        feeds.fresh("traffic")
    feeds_server.announce_gold(66_000, 66_100, at=clock.now() + timedelta(hours=7))  # a UTC/local mix-up
    clock.advance(301)
    with pytest.raises(FeedProblem, match="อนาคต"):
        feeds.fresh("gold")


def test_each_feed_has_its_own_age_limit_and_settings_override_it() -> None:
    limits = max_ages({"gold": 60}, fallback_minutes=1440)
    assert limits["gold"] == timedelta(hours=1) and limits["traffic"] == timedelta(hours=3)
    settings = load_settings({"GCC1111_FEEDS__MAX_AGE_MINUTES_BY_FEED__OIL": "90"})
    assert settings.feeds.max_age_minutes_by_feed == {"oil": 90}


# --- parsers never crash: they parse or raise ParseError -------------------------------------------------------
JSON_FEEDS = sorted(name for name in PARSERS if name != "earthquake")
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
                   st.just("01/13/2026"), st.just("99,999,999.99"), st.just("NaN"), st.just([]), st.just({}))


def _mutate(document: Any, draw: Any, depth: int = 0) -> Any:
    """Replace, drop or keep parts of a real payload at random, all the way down."""
    if isinstance(document, dict):
        mutated = {}
        for key, value in document.items():
            choice = draw(st.integers(0, 9))
            if choice == 0:
                continue  # a field disappears
            mutated[key] = draw(LEAVES) if choice == 1 else _mutate(value, draw, depth + 1)
        return mutated
    if isinstance(document, list):
        return [_mutate(value, draw, depth + 1) for value in document if draw(st.integers(0, 9))]
    return draw(LEAVES) if draw(st.integers(0, 5)) == 0 else document


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(name=st.sampled_from(JSON_FEEDS), data=st.data())
def test_json_parsers_parse_or_refuse_mangled_payloads(name: str, data: st.DataObject) -> None:
    mangled = _mutate(json.loads(SAMPLES[name]), data.draw)
    try:
        PARSERS[name](json.dumps(mangled, ensure_ascii=False))
    except ParseError as exc:
        assert exc.raw_body


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(PARSERS)), cut=st.integers(0, 4000), junk=st.text(max_size=30))
def test_parsers_parse_or_refuse_truncated_and_spliced_bodies(name: str, cut: int, junk: str) -> None:
    body = SAMPLES[name]
    for candidate in (body[:cut], body[:cut] + junk + body[cut:], junk):
        with contextlib.suppress(ParseError):  # the only acceptable failure
            PARSERS[name](candidate)


def test_the_earthquake_reader_refuses_entity_tricks() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            "<rss><channel><lastBuildDate>&b;</lastBuildDate></channel></rss>")
    with pytest.raises(ParseError):
        PARSERS["earthquake"](bomb)


def test_a_reading_from_the_sample_is_realistic() -> None:
    reading = PARSERS["gold"](SAMPLES["gold"])
    assert reading.issued_at == datetime(2026, 10, 1, 10, 27, tzinfo=UTC)  # 17:27 Bangkok
