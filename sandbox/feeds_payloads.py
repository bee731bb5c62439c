"""The Thai data feeds' wire formats, written the way each publisher writes them (see platforms.md section 6)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

from core.clock import BANGKOK


@dataclass
class Gold:
    """One GTA announcement."""

    bar_buy: Decimal
    bar_sell: Decimal
    ornament_buy: Decimal
    ornament_sell: Decimal
    at: datetime  # aware; written as Bangkok wall-clock time without an offset, as GTA does
    seq: int
    change: Decimal = Decimal(0)
    change_today: Decimal = Decimal(0)
    price_id: int = 87_700


@dataclass
class Product:
    """One Bangchak product's price today and tomorrow."""

    name: str
    name_en: str
    today: Decimal
    tomorrow: Decimal | None = None  # None: not announced (the feed writes 0)


@dataclass
class DayForecast:
    """One province's forecast for one day, in TMD's strings."""

    day: date
    high: str
    low: str
    rain: str
    wind_direction: str
    wind_speed: str
    description: str
    description_en: str


@dataclass
class Warning:
    """One TMD weather warning."""

    issue_no: int
    at: datetime
    title: str
    title_en: str
    description: str


@dataclass
class Event:
    """One Longdo/iTIC traffic event."""

    eid: int
    title: str
    title_en: str
    description: str
    lat: str
    lon: str
    kind: str
    start: datetime
    stop: datetime | None


@dataclass
class Quake:
    """One TMD earthquake report."""

    title: str
    place: str
    magnitude: str
    depth: str
    lat: str
    lon: str
    at: datetime
    number: int


def _local(moment: datetime, layout: str) -> str:
    return moment.astimezone(BANGKOK).strftime(layout)


def gold_json(gold: Gold) -> str:
    """GET /api/GoldPrices/Latest?readjson=false: one object, numbers as JSON numbers, asTime without zone."""
    return json.dumps({
        "goldPriceID": gold.price_id, "asTime": _local(gold.at, "%Y-%m-%dT%H:%M:%S"), "seq": gold.seq,
        "priceSeq": gold.seq, "bL_BuyPrice": float(gold.bar_buy), "bL_SellPrice": float(gold.bar_sell),
        "oM965_BuyPrice": float(gold.ornament_buy), "oM965_SellPrice": float(gold.ornament_sell),
        "oM965_BuyGPrice": round(float(gold.ornament_buy) / 15.16, 2), "goldSpot": 4165.0, "bahtPerUSD": 33.68,
        "priceChangeFromPrevRow": float(gold.change), "priceChangeFromPrevDayLast": float(gold.change_today),
    })


def oil_json(products: list[Product], today: date, set_at: datetime) -> str:
    """GET /api/oilprice: {"code":200,"data":{...,"items":[...]}}, prices as strings, tomorrow 0 until announced."""
    be_short = f"{today.day} {_MONTHS_SHORT[today.month - 1]} {(today.year + 543) % 100:02d}"
    items = [{
        "OilName": p.name, "OilNameEng": p.name_en, "PriceYesterday": f"{p.today:.2f}", "PriceToday": f"{p.today:.2f}",
        "PriceTomorrow": f"{p.tomorrow:.2f}" if p.tomorrow is not None else "0",
        "PriceDifYesterday": "0.00",
        "PriceDifTomorrow": f"{(p.tomorrow - p.today):.2f}" if p.tomorrow is not None else "0",
        "Icon": f"https://www.bangchak.co.th/images/oil/{p.name_en.replace(' ', '-').lower()}.png",
    } for p in products]
    return json.dumps({"code": 200, "message": "success", "data": {
        "OilDateNow": today.strftime("%d/%m/%Y"), "OilPriceDate": _local(set_at, "%d/%m/%Y"),
        "OilPriceTime": _local(set_at, "%H:%M"), "OilRemark": "ราคาขายปลีกในเขตกรุงเทพมหานคร",
        "OilRemark2": f"ราคามีผล ณ วันที่ {be_short} เวลา 05.00 น.", "items": items}}, ensure_ascii=False)


_MONTHS_SHORT = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")


def forecast_json(provinces: dict[tuple[str, str], list[DayForecast]], built: datetime) -> str:
    """WeatherForecast7Days/v2 format=json: SimpleXML-style, all strings, parallel arrays, newest day first."""
    listed = []
    for (thai, english), days in provinces.items():
        ordered = sorted(days, key=lambda d: d.day, reverse=True)  # as one real capture lists them
        listed.append({"ProvinceNameThai": thai, "ProvinceNameEnglish": english, "SevenDaysForecast": {
            "ForecastDate": [d.day.strftime("%d/%m/%Y") for d in ordered],
            "MaximumTemperature": [d.high for d in ordered], "MinimumTemperature": [d.low for d in ordered],
            "WindDirection": [d.wind_direction for d in ordered], "WindSpeed": [d.wind_speed for d in ordered],
            "PercentRainCover": [d.rain for d in ordered], "DescriptionThai": [d.description for d in ordered],
            "DescriptionEnglish": [d.description_en for d in ordered],
            "TemperatureThai": ["ปกติ" for _ in ordered], "TemperatureEnglish": ["Normal" for _ in ordered]}})
    return json.dumps({"header": {"Title": "Weather Forecast 7 Days", "Description": "พยากรณ์อากาศ 7 วันข้างหน้า",
                                  "Uri": "https://data.tmd.go.th/api/WeatherForecast7Days/v2/",
                                  "LastBuildDate": _local(built, "%Y-%m-%d %H:%M:%S"),
                                  "CopyRight": "Thai Meteorological Department", "Generator": "TMD",
                                  "status": "200 OK"},
                       "Provinces": {"Province": listed}}, ensure_ascii=False)


def warnings_json(warnings: list[Warning], built: datetime) -> str:
    """WeatherWarningNews/v2 format=json: one warning is an object, several a list (SimpleXML's habit)."""
    items = [{"IssueNo": str(w.issue_no), "AnnounceDateTime": _local(w.at, "%Y-%m-%d %H:%M:%S"),
              "TitleThai": w.title, "TitleEnglish": w.title_en, "DescriptionThai": w.description,
              "DescriptionEnglish": "", "DocumentFile": f"https://www.tmd.go.th/warning/{w.issue_no}",
              "WarningTypeThai": "ประกาศเตือนภัย", "WarningTypeEnglish": "Warning"} for w in warnings]
    news: Any = items[0] if len(items) == 1 else items
    return json.dumps({"@attributes": {"version": "2.0"},
                       "header": {"title": "Weather Warning News", "description": "ข่าวเตือนภัย",
                                  "uri": "https://data.tmd.go.th/api/WeatherWarningNews/v2/",
                                  "LastBuildDate": _local(built, "%Y-%m-%d %H:%M:%S"),
                                  "copyRight": "Thai Meteorological Department", "generator": "TMD",
                                  "status": "200 OK"},
                       "WarningNews": news}, ensure_ascii=False)


def traffic_json(events: list[Event]) -> str:
    """event.longdo.com/feed/json: a bare array, coordinates as strings, Bangkok times without zone."""
    return json.dumps([{
        "eid": str(e.eid), "title": e.title, "title_en": e.title_en, "description": e.description,
        "description_en": "", "latitude": e.lat, "longitude": e.lon, "type": e.kind, "icon": e.kind,
        "start": _local(e.start, "%Y-%m-%d %H:%M:%S"),
        "stop": _local(e.stop, "%Y-%m-%d %H:%M:%S") if e.stop else "",
        "contributor": "itic_jsp", "showlevel": "12"} for e in events], ensure_ascii=False)


def earthquake_rss(quakes: list[Quake], built: datetime) -> str:
    """earthquake.tmd.go.th/feed/rss_inside.xml: RSS 2.0 with geo: and tmd: elements, tmd:time in UTC."""
    items = []
    for q in quakes:
        local = q.at.astimezone(BANGKOK)
        items.append(
            f"<item><title>{escape(q.title)}</title>"
            f"<link>https://earthquake.tmd.go.th/inside-info.html?earthquake={q.number}</link>"
            f"<geo:lat>{q.lat}</geo:lat><geo:long>{q.lon}</geo:long><tmd:depth>{q.depth}</tmd:depth>"
            f"<tmd:magnitude>{q.magnitude}</tmd:magnitude>"
            f"<tmd:time>{q.at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC</tmd:time><comments>{escape(q.place)}</comments>"
            f"<pubDate>{format_datetime(local + timedelta(minutes=8))}</pubDate>"
            f"<description><![CDATA[ แผ่นดินไหว {escape(q.title)} <br>{local:%Y-%m-%d %H:%M:%S} น.<br>"
            f"Lat. {q.lat} , Long. {q.lon}<br>ขนาด {q.magnitude} <br><br> ]]></description></item>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:geo="http://www.w3.org/2003/01/geo/" xmlns:tmd="http://www.earthquake.tmd.go.th">'
            "<channel><title>TMD Earthquake</title><link>https://earthquake.tmd.go.th</link>"
            "<description>รายงานแผ่นดินไหว กรมอุตุนิยมวิทยา</description><language>th</language>"
            f"<lastBuildDate>{format_datetime(built.astimezone(BANGKOK))}</lastBuildDate>"
            + "".join(items) + "</channel></rss>")

