"""Bangchak retail oil prices (Bangkok), today's and tomorrow's when a change is announced.

GET https://www.bangchak.co.th/api/oilprice answers {"code":200,"data":{...,"items":[...]}}; the mirror
oil-price.bangchak.co.th/ApiOilPrice2/th answers a one-element list whose "OilList" is a JSON *string*.
Both carry the same item fields: OilName (Thai), OilNameEng, PriceYesterday, PriceToday, PriceTomorrow,
PriceDifTomorrow (tomorrow is 0 or empty until announced), and the same dates: OilDateNow (the day the
prices are for, dd/mm/yyyy), OilPriceDate/OilPriceTime (when the current prices were set), OilRemark2
("ราคามีผล ณ วันที่ 4 ส.ค. 69 เวลา 05.00 น."). Both shapes are read; the issue time is OilDateNow.
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
from core.ports import FeedReading

NAME = "oil"
LOW, HIGH = Decimal(5), Decimal(200)  # THB per litre (or kg for NGV)
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
SAMPLE = json.dumps({"code": 200, "message": "success", "data": {
    "OilDateNow": "01/10/2026", "OilPriceDate": "30/09/2026", "OilPriceTime": "17:30",
    "OilRemark2": "ราคามีผล ณ วันที่ 1 ต.ค. 69 เวลา 05.00 น.",
    "items": [
        {"OilName": "ไฮ ดีเซล S", "OilNameEng": "Hi Diesel S", "PriceToday": "32.94", "PriceTomorrow": "33.44",
         "PriceDifTomorrow": "0.50"},
        {"OilName": "แก๊สโซฮอล์ 95 S EVO", "OilNameEng": "Gasohol 95 S EVO", "PriceToday": "37.05",
         "PriceTomorrow": "37.05", "PriceDifTomorrow": "0.00"},
    ]}}, ensure_ascii=False)


def parse_oil(raw: str) -> FeedReading:
    """Today's prices per product; ParseError on a changed shape or an implausible price."""
    document = load_json(NAME, raw)
    with reading(NAME, raw):
        header, items = _parts(document, raw)
        issued = bangkok_time(header["OilDateNow"], *DATE_FORMATS)
        prices = [price for price in (_item(item, raw) for item in items) if price is not None]
        if not prices:
            raise problem(NAME, "no product has a price today", raw)
        set_at = header.get("OilPriceDate")
        data = {
            "products": prices,  # not "items": in a template oil.items would be the dict's method
            "prices": {key: price for price in prices for key in (price["name_en"], price["name"]) if key},
            "effective_date": issued,
            "price_set_at": bangkok_time(f"{set_at} {header.get('OilPriceTime') or '00:00'}",
                                         *(f"{f} %H:%M" for f in DATE_FORMATS)) if set_at else issued,
            "remark": clean(header.get("OilRemark2")),
            "tomorrow_announced": any(price["tomorrow"] is not None for price in prices),
        }
    return FeedReading(NAME, issued, data)


def _parts(document: Any, raw: str) -> tuple[dict[str, Any], list[Any]]:
    if isinstance(document, dict) and isinstance(document.get("data"), dict):
        header = document["data"]
        return header, as_list(header["items"])
    if isinstance(document, list) and document and isinstance(document[0], dict):
        header = document[0]
        listed = header["OilList"]
        items = json.loads(listed, parse_float=Decimal) if isinstance(listed, str) else listed
        return header, as_list(items)
    raise problem(NAME, "expected {data: {items: [...]}} or [{OilList: ...}]", raw)


def _item(item: Any, raw: str) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        raise problem(NAME, "an item is not an object", raw)
    today = optional_amount(item.get("PriceToday"))
    if today is None or today == 0:
        return None  # a product not sold today (the feed keeps discontinued ones with an empty price)
    name = clean(item.get("OilName"))
    within(NAME, f"price of {name or '?'}", today, LOW, HIGH, raw)
    tomorrow = optional_amount(item.get("PriceTomorrow"))
    if tomorrow is not None and tomorrow == 0:
        tomorrow = None
    if tomorrow is not None:
        within(NAME, f"tomorrow's price of {name or '?'}", tomorrow, LOW, HIGH, raw)
    return {
        "name": name,
        "name_en": clean(item.get("OilNameEng")),
        "today": today,
        "tomorrow": tomorrow,
        "change_tomorrow": (tomorrow - today) if tomorrow is not None else None,
    }
