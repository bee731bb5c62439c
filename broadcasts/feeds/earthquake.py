"""TMD earthquake reports: the RSS 2.0 feed earthquake.tmd.go.th/feed/rss_inside.xml (or rss_tmd.xml).

Items carry title (place, "ประเทศเมียนมา (Myanmar)"), link, comments (distance from a Thai district),
geo:lat, geo:long, tmd:magnitude, tmd:depth (km), tmd:time ("2025-03-28 22:15:02 UTC", really UTC: the
description shows the same moment in Thai time) and pubDate. The channel's lastBuildDate (RFC 822) is the
issue time. Elements are matched by local name: third parties quote different namespace URIs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XmlError

from defusedxml import ElementTree

from broadcasts.feeds.base import RAW_KEPT, amount, clean, problem, reading, within
from core.errors import ParseError
from core.ports import FeedReading

NAME = "earthquake"
SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:geo="http://www.w3.org/2003/01/geo/wgs84_pos#" xmlns:tmd="http://www.tmd.go.th">
<channel><title>Earthquake in Thailand</title><link>https://earthquake.tmd.go.th</link>
<lastBuildDate>Thu, 01 Oct 2026 12:03:11 +0700</lastBuildDate>
<item><title>ประเทศเมียนมา (Myanmar)</title>
<link>https://earthquake.tmd.go.th/inside-info.html?earthquake=13017</link>
<geo:lat>18.340</geo:lat><geo:long>96.458</geo:long><tmd:depth>10</tmd:depth><tmd:magnitude>3.1</tmd:magnitude>
<tmd:time>2026-10-01 04:15:02 UTC</tmd:time>
<comments>ทางทิศตะวันตกเฉียงเหนือของ อ.แม่สะเรียง จ.แม่ฮ่องสอน ประมาณ 157 กม.</comments>
<pubDate>Thu, 01 Oct 2026 11:23:18 +0700</pubDate></item>
</channel></rss>"""


def parse_earthquakes(raw: str) -> FeedReading:
    """Reports newest first (`latest` is the newest or None); ParseError on unreadable XML or values."""
    try:
        root = ElementTree.fromstring(raw.encode("utf-8"))
    except (XmlError, ValueError) as exc:  # defusedxml's refusals (entities, DTDs) are ValueErrors
        raise ParseError(f"{NAME}: unreadable XML ({type(exc).__name__})", raw[:RAW_KEPT]) from None
    with reading(NAME, raw):
        channel = _child(root, "channel")
        if _local(root.tag) != "rss" or channel is None:
            raise problem(NAME, "not an RSS document", raw)
        quakes = [_quake(item, raw) for item in channel if _local(item.tag) == "item"]
        quakes.sort(key=lambda quake: quake["time"], reverse=True)
        built = _text(channel, "lastBuildDate")
        if built:
            issued = _rfc822(built)
        elif quakes:
            issued = max(quake["published_at"] for quake in quakes)
        else:
            raise problem(NAME, "neither lastBuildDate nor any item", raw)
    return FeedReading(NAME, issued, {"quakes": quakes, "latest": quakes[0] if quakes else None})


def _quake(item: Element, raw: str) -> dict[str, Any]:
    time_text = _text(item, "time")
    if not time_text.endswith(" UTC"):
        raise problem(NAME, f"tmd:time {time_text!r} does not end in ' UTC'", raw)
    moment = datetime.strptime(time_text.removesuffix(" UTC"), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    published = _text(item, "pubDate")
    return {
        "title": _text(item, "title"),
        "place": _text(item, "comments"),
        "link": _text(item, "link"),
        "magnitude": within(NAME, "magnitude", amount(_text(item, "magnitude")), Decimal(0), Decimal(10), raw),
        "depth": within(NAME, "depth", amount(_text(item, "depth")), Decimal(0), Decimal(800), raw),
        "lat": within(NAME, "latitude", amount(_text(item, "lat")), Decimal(-90), Decimal(90), raw),
        "lon": within(NAME, "longitude", amount(_text(item, "long")), Decimal(-180), Decimal(180), raw),
        "time": moment,
        "published_at": _rfc822(published) if published else moment,
    }


def _rfc822(text: str) -> datetime:
    moment = parsedate_to_datetime(text)
    if moment.tzinfo is None:
        raise ValueError(f"no time zone in {text!r}")
    return moment.astimezone(UTC)


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _child(parent: Element, name: str) -> Element | None:
    return next((child for child in parent if _local(child.tag) == name), None)


def _text(parent: Element, name: str) -> str:
    child = _child(parent, name)
    return clean(child.text) if child is not None else ""
