"""Thai dates, baht and arrows; each platform's length rules; cron in Asia/Bangkok, stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadcasts.occurrences import crontab_trigger, crontab_weekdays, next_occurrence, occurrences
from broadcasts.thai import baht, change, duration, number, thai_date, thai_datetime, thai_time, thai_weekday
from core.clock import BANGKOK
from core.domain import Broadcast, BroadcastStatus, Platform
from core.lengths import find_urls, measure, utf16_length, x_length

NEW_YEAR_BKK = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 00:00 on 1 January 2027 in Bangkok


def test_dates_are_buddhist_era_in_bangkok_time() -> None:
    assert thai_date(NEW_YEAR_BKK) == "1 มกราคม 2570"  # still 31 Dec in UTC: the Bangkok day is what counts
    assert thai_date(NEW_YEAR_BKK, "short") == "1 ม.ค. 2570"
    assert thai_date(NEW_YEAR_BKK, "short2") == "1 ม.ค. 70"
    assert thai_date(NEW_YEAR_BKK, "short", thai_digits=True) == "๑ ม.ค. ๒๕๗๐"
    assert thai_date(date(2026, 12, 5)) == "5 ธันวาคม 2569"
    assert thai_weekday(NEW_YEAR_BKK) == "วันศุกร์"
    assert thai_time(datetime(2026, 8, 4, 9, 15, tzinfo=UTC)) == "16:15 น."
    assert thai_datetime(datetime(2026, 8, 4, 9, 15, tzinfo=UTC)) == "4 ส.ค. 2569 เวลา 16:15 น."
    with pytest.raises(ValueError, match="naive"):
        thai_time(datetime(2026, 8, 4, 9, 15))


def test_baht_and_changes_read_naturally() -> None:
    assert baht(51300) == "51,300 บาท"
    assert baht(Decimal("64869.64")) == "64,869.64 บาท"
    assert baht("35.5") == "35.50 บาท"
    assert number(Decimal("66400.00")) == "66,400"
    assert number(25.5, 1) == "25.5"
    assert change(50) == "▲ 50 บาท"
    assert change(Decimal("-100")) == "▼ 100 บาท"
    assert change(0) == "➖ ไม่เปลี่ยนแปลง"
    assert change(Decimal("-0.40"), "", 2) == "▼ 0.40"
    assert change(None) == "ยังไม่ประกาศ"
    assert duration(timedelta(hours=2, minutes=5)) == "2 ชม. 5 นาที"
    with pytest.raises(ValueError):
        baht("ห้าสิบบาท")


@given(st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, allow_infinity=False, places=2))
def test_any_amount_formats_with_thousands_separators_and_an_arrow(value: Decimal) -> None:
    shown = change(value)
    assert shown.startswith("▲" if value > 0 else "▼" if value < 0 else "➖")
    assert Decimal(number(value).replace(",", "")) == value.quantize(Decimal(1) if value == int(value) else
                                                                     Decimal("0.01"))


def test_x_counts_thai_as_one_and_emoji_links_and_cjk_as_twitter_text_does() -> None:
    thai = "ราคาทองคำวันนี้ขึ้น"  # vowel and tone marks are code points of their own, each weighing 1
    assert x_length(thai) == len(thai)
    assert x_length("👍") == x_length("👍🏽") == x_length("👨‍👩‍👧") == x_length("🇹🇭") == x_length("☀️") == 2
    assert x_length("1️⃣") == 2
    assert x_length("中文") == 4 and x_length("▲ 50") == 5  # ▲ lies outside the light ranges
    assert x_length("“–”") == 3  # general punctuation counts 1
    assert x_length("e\u0301") == 1  # NFC first: é
    assert x_length("𝐀") == 2  # outside the Basic Multilingual Plane
    link = "https://www.thaigov.go.th/news/contents/details/12345?ref=gcc1111"
    assert x_length(f"ดู {link} ครับ") == len("ดู ") + 23 + len(" ครับ")
    assert find_urls("ดูที่ gcc1111.go.th/faq. หรือ example.com") == ["gcc1111.go.th/faq", "example.com"]
    assert find_urls("อีเมล a@b.com ไม่ใช่ลิงก์") == []


def test_each_channel_is_measured_its_own_way() -> None:
    text = "ประกาศ 📢 https://www.1111.go.th"
    assert measure(Platform.TWITTER, text) == 7 + 2 + 1 + 23
    assert measure(Platform.TELEGRAM, text) == utf16_length(text) == len(text) + 1  # 📢 is two UTF-16 units
    assert measure(Platform.FACEBOOK, text) == len(text)


@given(st.text(max_size=300))
def test_x_length_never_fails_and_never_undercounts_plain_code_points(text: str) -> None:
    weighted = x_length(text)
    assert weighted >= 0
    if not find_urls(text) and text.isascii():
        assert weighted == len(text)


def test_crontab_weekdays_mean_what_cron_users_expect() -> None:
    assert crontab_weekdays("1-5") == "mon,tue,wed,thu,fri"  # APScheduler 3 alone would read Tuesday–Saturday
    assert crontab_weekdays("0") == crontab_weekdays("7") == crontab_weekdays("sun") == "sun"
    assert crontab_weekdays("5-7") == "sun,fri,sat"
    assert crontab_weekdays("*/2") == "sun,tue,thu,sat"
    with pytest.raises(ValueError):
        crontab_trigger("0 9 1 * 1")  # crontab ORs day and weekday, APScheduler ANDs them: refused
    with pytest.raises(ValueError, match="5 ช่อง"):
        crontab_trigger("0 9 * *")


def _recurring(cron: str, approved: datetime) -> Broadcast:
    return Broadcast(title="t", channels=(Platform.TELEGRAM,), status=BroadcastStatus.APPROVED, author="a",
                     created_at=approved, approved_at=approved, cron=cron)


def test_a_weekday_morning_cron_runs_at_0930_bangkok_stored_as_0230_utc() -> None:
    monday = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 07:00 Monday in Bangkok
    times = occurrences(_recurring("30 9 * * 1-5", monday), monday, monday + timedelta(days=7))
    assert [t.astimezone(BANGKOK).strftime("%a %H:%M") for t in times] == [
        "Mon 09:30", "Tue 09:30", "Wed 09:30", "Thu 09:30", "Fri 09:30"]
    assert all(t.tzinfo is UTC and (t.hour, t.minute) == (2, 30) for t in times)


def test_bangkok_has_no_daylight_saving_so_every_day_is_the_same_utc_hour() -> None:
    # Europe changes clocks on 29 March and 25 October 2026; Asia/Bangkok never does. Computing in the zone
    # (not by adding 7 hours by hand) is what keeps this true by construction.
    start = datetime(2026, 3, 27, 0, 0, tzinfo=UTC)
    times = occurrences(_recurring("0 8 * * *", start), start, start + timedelta(days=5))
    assert {t.hour for t in times} == {1} and len(times) == 5
    one_off = Broadcast(title="t", channels=(Platform.TELEGRAM,), status=BroadcastStatus.APPROVED, author="a",
                        created_at=start, run_at=start + timedelta(hours=3))
    assert occurrences(one_off, start, start + timedelta(days=1)) == [start + timedelta(hours=3)]
    assert next_occurrence(one_off, start + timedelta(hours=3)) is None
