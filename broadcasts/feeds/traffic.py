"""Traffic and incidents from Longdo Traffic / iTIC (event.longdo.com/feed/json): a JSON array of events.

Each event: eid, title, title_en, description, description_en, latitude and longitude (strings), type
(a string code), icon, start and stop ("YYYY-MM-DD HH:MM:SS", Bangkok time), contributor, showlevel.
The feed has no build time of its own, so its issue time is the newest event's start: a feed whose newest
event is hours old has stopped updating.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from broadcasts.feeds.base import amount, bangkok_time, clean, load_json, problem, reading, within
from core.ports import FeedReading

NAME = "traffic"
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
SAMPLE = json.dumps([{
    "eid": "311111", "title": "อุบัติเหตุ ถ.วิภาวดีรังสิต ขาเข้า ก่อนถึงแยกเกษตร",
    "title_en": "Accident on Vibhavadi Rangsit Rd (inbound) before Kaset junction",
    "description": "รถชน 2 คัน กีดขวาง 1 ช่องทางซ้าย", "description_en": "Two cars, left lane blocked",
    "latitude": "13.8465", "longitude": "100.5601", "type": "accident", "icon": "accident",
    "start": "2026-10-01 07:40:00", "stop": "2026-10-01 09:40:00", "contributor": "itic_jsp", "showlevel": "12"}],
    ensure_ascii=False)


def parse_traffic(raw: str) -> FeedReading:
    """Events newest first; `active_at(now)` is left to templates via each event's start and stop."""
    document = load_json(NAME, raw)
    with reading(NAME, raw):
        if not isinstance(document, list):
            raise problem(NAME, "expected a JSON array of events", raw)
        events = [_event(item, raw) for item in document]
        if not events:
            raise problem(NAME, "the feed lists no events at all", raw)
        events.sort(key=lambda event: event["start"], reverse=True)
    return FeedReading(NAME, events[0]["start"], {"events": events, "latest": events[0]})


def _event(item: Any, raw: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise problem(NAME, "an event is not an object", raw)
    title = clean(item.get("title"))
    if not title:
        raise problem(NAME, "an event without a title", raw)
    start = bangkok_time(item["start"], *TIME_FORMATS)
    stop = bangkok_time(item["stop"], *TIME_FORMATS) if clean(item.get("stop")) else None
    return {
        "id": clean(item.get("eid")), "title": title, "title_en": clean(item.get("title_en")),
        "description": clean(item.get("description")), "description_en": clean(item.get("description_en")),
        "lat": within(NAME, "latitude", amount(item["latitude"]), Decimal(-90), Decimal(90), raw),
        "lon": within(NAME, "longitude", amount(item["longitude"]), Decimal(-180), Decimal(180), raw),
        "type": clean(item.get("type")), "contributor": clean(item.get("contributor")),
        "start": start, "stop": stop,
    }
