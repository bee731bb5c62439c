"""Thai Meteorological Department: the 7-day forecast by province and the weather warning news (v2, JSON).

Both come from data.tmd.go.th with uid/ukey and format=json, which answers PHP SimpleXML-style JSON: every
value is a string, one element is an object where several would be a list, and the forecast keeps its
seven days as parallel arrays (ForecastDate "dd/mm/YYYY", MaximumTemperature, ...), sometimes newest first.
The header's LastBuildDate ("2024-10-14 23:28:19", Bangkok time) is when TMD built the answer.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from broadcasts.feeds.base import (
    as_list,
    bangkok_time,
    clean,
    load_json,
    optional_amount,
    problem,
    reading,
    within,
)
from core.clock import BANGKOK
from core.ports import FeedReading

FORECAST, WARNING = "weather", "warning"
BUILD_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M:%S")
SAMPLE_FORECAST = json.dumps({
    "header": {"Title": "Weather Forecast 7 Days", "LastBuildDate": "2026-10-01 05:12:09", "status": "200 OK"},
    "Provinces": {"Province": [{
        "ProvinceNameThai": "กรุงเทพมหานคร", "ProvinceNameEnglish": "Bangkok",
        "SevenDaysForecast": {"ForecastDate": ["01/10/2026", "02/10/2026"], "MaximumTemperature": ["34.0", "33.5"],
                              "MinimumTemperature": ["25.0", "25.5"], "WindDirection": ["225", "270"],
                              "WindSpeed": ["10", "15"], "PercentRainCover": ["60", "40"],
                              "DescriptionThai": ["ฝนฟ้าคะนอง", "ฝนตกบางแห่ง"],
                              "DescriptionEnglish": ["Thunderstorms", "Isolated rain"],
                              "TemperatureThai": ["ปกติ", "ปกติ"], "TemperatureEnglish": ["Normal", "Normal"]}}]}},
    ensure_ascii=False)
SAMPLE_WARNING = json.dumps({
    "header": {"title": "Weather Warning News", "LastBuildDate": "2026-10-01 11:05:00", "status": "200 OK"},
    "WarningNews": {"IssueNo": "7", "AnnounceDateTime": "2026-10-01 11:00:00",
                    "TitleThai": "พายุฤดูร้อนบริเวณประเทศไทยตอนบน (ฉบับที่ 7)",
                    "TitleEnglish": "Summer storms over upper Thailand (No. 7)",
                    "DescriptionThai": "ขอให้ประชาชนระวังอันตรายจากฝนตกหนัก", "WarningTypeThai": "ประกาศเตือนภัย",
                    "DocumentFile": "https://www.tmd.go.th/warning"}}, ensure_ascii=False)


def parse_forecast(raw: str) -> FeedReading:
    """Each province's days in date order; ParseError on a changed shape or impossible temperatures."""
    document = load_json(FORECAST, raw)
    with reading(FORECAST, raw):
        issued = bangkok_time(_header(document)["LastBuildDate"], *BUILD_FORMATS)
        provinces: dict[str, list[dict[str, Any]]] = {}
        english: dict[str, list[dict[str, Any]]] = {}
        for province in as_list(document["Provinces"]["Province"]):
            name = clean(province["ProvinceNameThai"])
            if not name:
                raise problem(FORECAST, "a province without a Thai name", raw)
            days = _days(province["SevenDaysForecast"], raw)
            provinces[name] = days
            if clean(province.get("ProvinceNameEnglish")):
                english[clean(province["ProvinceNameEnglish"])] = days
        if not provinces:
            raise problem(FORECAST, "no provinces in the forecast", raw)
    return FeedReading(FORECAST, issued, {"provinces": provinces, "provinces_en": english, "built_at": issued})


def _days(forecast: dict[str, Any], raw: str) -> list[dict[str, Any]]:
    columns = {key: as_list(value) for key, value in forecast.items()}
    dates = columns["ForecastDate"]
    if not dates or any(len(column) != len(dates) for column in columns.values()):
        raise problem(FORECAST, "the forecast's parallel arrays differ in length", raw)
    days: list[dict[str, Any]] = []
    for index, text in enumerate(dates):
        def cell(key: str, index: int = index) -> Any:
            return columns[key][index] if key in columns else None

        top, low = optional_amount(cell("MaximumTemperature")), optional_amount(cell("MinimumTemperature"))
        for what, value in (("maximum temperature", top), ("minimum temperature", low)):
            if value is not None:
                within(FORECAST, what, value, Decimal(-10), Decimal(50), raw)
        rain = optional_amount(cell("PercentRainCover"))
        if rain is not None:
            within(FORECAST, "rain cover", rain, 0, 100, raw)
        direction = optional_amount(cell("WindDirection"))
        days.append({
            "date": bangkok_time(text, "%d/%m/%Y").astimezone(BANGKOK).date(),
            "max_temp": top, "min_temp": low,
            "rain_percent": int(rain) if rain is not None else None,
            "wind_direction": int(within(FORECAST, "wind direction", direction, 0, 360, raw))
            if direction is not None else None,
            "wind_speed": optional_amount(cell("WindSpeed")),
            "description": clean(cell("DescriptionThai")), "description_en": clean(cell("DescriptionEnglish")),
            "temperature": clean(cell("TemperatureThai")), "temperature_en": clean(cell("TemperatureEnglish")),
        })
    days.sort(key=lambda day: day["date"])
    return days


def parse_warnings(raw: str) -> FeedReading:
    """The warnings, newest first (`latest` is the newest or None); ParseError on a changed shape."""
    document = load_json(WARNING, raw)
    with reading(WARNING, raw):
        header = _header(document)
        built = header.get("LastBuildDate") or header.get("lastBuildDate") or header.get("lastBuidDate")
        if not built:
            raise problem(WARNING, "no LastBuildDate in the header", raw)
        issued = bangkok_time(built, *BUILD_FORMATS)
        warnings = [_warning(item, raw) for item in as_list(document.get("WarningNews"))]
        warnings.sort(key=lambda warning: warning["announced_at"], reverse=True)
    return FeedReading(WARNING, issued, {"warnings": warnings, "latest": warnings[0] if warnings else None,
                                         "built_at": issued})


def _warning(item: Any, raw: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise problem(WARNING, "a warning is not an object", raw)
    title = clean(item.get("TitleThai"))
    if not title:
        raise problem(WARNING, "a warning without a Thai title", raw)
    return {
        "issue_no": clean(item.get("IssueNo")),
        "announced_at": bangkok_time(item["AnnounceDateTime"], *BUILD_FORMATS),
        "title": title, "title_en": clean(item.get("TitleEnglish")),
        "description": clean(item.get("DescriptionThai")), "description_en": clean(item.get("DescriptionEnglish")),
        "type": clean(item.get("WarningTypeThai")), "url": clean(item.get("DocumentFile")),
    }


def _header(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict) or not isinstance(document.get("header"), dict):
        raise KeyError("header")
    header: dict[str, Any] = document["header"]
    status = str(header.get("status", "200 OK"))
    if not status.startswith("200"):
        raise ValueError(f"TMD status {status!r}")
    return header
