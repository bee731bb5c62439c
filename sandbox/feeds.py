"""Thai public data feeds stand-in: TMD forecast and warnings, GTA gold, Bangchak oil, Longdo traffic, TMD quakes.

Each is served at its real path, in its real format (sandbox/feeds_payloads.py), from state the tests set:
gold and oil prices with their announcement times, a stale feed (its own timestamp pushed back), a 5xx, or
a changed format. Times are taken from the stand-in's clock, so a ManualClock moves the feeds' "now" too.
Known differences from the real services: TMD's uid/ukey are accepted whatever they are (the stand-in only
records them), and there is no rate limiting or bot check.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from core.clock import BANGKOK, Clock, SystemClock
from sandbox.feeds_payloads import (
    DayForecast,
    Event,
    Gold,
    Product,
    Quake,
    Warning,
    earthquake_rss,
    forecast_json,
    gold_json,
    oil_json,
    traffic_json,
    warnings_json,
)
from sandbox.seed import SeedPost
from sandbox.server import Failure, Handler, PlatformServer, Request, Response, json_response, text_response

PATHS = {
    "weather": "/api/WeatherForecast7Days/v2/",
    "warning": "/api/WeatherWarningNews/v2/",
    "gold": "/api/GoldPrices/Latest",
    "oil": "/api/oilprice",
    "traffic": "/feed/json",
    "earthquake": "/feed/rss_inside.xml",
}
TMD_UID, TMD_UKEY = "gcc1111", "sandbox-tmd-ukey"
JSON = "application/json; charset=utf-8"
CHANGED = {  # what each feed looks like after its publisher "redesigns" it
    "gold": (json_response({"status": "success", "response": {"price": {"gold_bar": {"buy": "66,200.00"}}}}), JSON),
    "oil": (text_response("<!DOCTYPE html><html><body><h1>ราคาน้ำมัน</h1><table></table></body></html>"), ""),
    "weather": (text_response('<?xml version="1.0"?><WeatherForecast7Days><Provinces/></WeatherForecast7Days>',
                              content_type="text/xml; charset=utf-8"), ""),
    "warning": (json_response({"header": {"status": "200 OK"}, "Warnings": []}), JSON),
    "traffic": (json_response({"events": []}), JSON),
    "earthquake": (text_response("<html><body>Service moved</body></html>"), ""),
}
PROVINCES = {("กรุงเทพมหานคร", "Bangkok"): (34, 26, 60), ("เชียงใหม่", "Chiang Mai"): (31, 21, 40),
             ("เชียงราย", "Chiang Rai"): (30, 20, 30), ("ขอนแก่น", "Khon Kaen"): (33, 24, 30),
             ("นครราชสีมา", "Nakhon Ratchasima"): (32, 23, 20), ("ชลบุรี", "Chon Buri"): (33, 26, 40),
             ("ภูเก็ต", "Phuket"): (31, 25, 70), ("สงขลา", "Songkhla"): (31, 24, 60)}
SKIES = (("ฝนฟ้าคะนอง", "Thunderstorms"), ("มีเมฆบางส่วน", "Partly cloudy"), ("ฝนตกบางแห่ง", "Isolated rain"))


class FeedsSandbox(PlatformServer):
    """The six feeds on one loopback server; tests change what they say through the methods below."""

    name = "feeds"

    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__()
        self.clock = clock or SystemClock()
        now = self.clock.now()
        self.gold = Gold(Decimal(66_200), Decimal(66_400), Decimal("64869.64"), Decimal(67_200),
                         at=now - timedelta(minutes=20), seq=9, change=Decimal(50), change_today=Decimal(-100))
        self.oil_day = now.astimezone(BANGKOK).date()
        self.oil_set_at = now - timedelta(hours=14)
        self.products = [
            Product("ไฮ ดีเซล S", "Hi Diesel S", Decimal("32.94"), Decimal("33.44")),
            Product("ไฮ ดีเซล B20 S", "Hi Diesel B20 S", Decimal("32.44"), Decimal("32.94")),
            Product("ไฮ พรีเมียม ดีเซล S", "Hi Premium Diesel S", Decimal("44.94"), Decimal("44.94")),
            Product("แก๊สโซฮอล์ 95 S EVO", "Gasohol 95 S EVO", Decimal("37.05"), Decimal("36.65")),
            Product("แก๊สโซฮอล์ 91 S EVO", "Gasohol 91 S EVO", Decimal("36.68"), Decimal("36.28")),
            Product("แก๊สโซฮอล์ E20 S EVO", "Gasohol E20 S EVO", Decimal("32.54"), Decimal("32.14")),
            Product("แก๊สโซฮอล์ E85 S EVO", "Gasohol E85 S EVO", Decimal("28.89"), Decimal("28.89")),
            Product("ไฮ พรีเมียม 97 แก๊สโซฮอล์ 95", "Hi Premium 97 Gasohol 95", Decimal("46.84"), Decimal("46.84")),
        ]
        self.forecast_built = now - timedelta(hours=2)
        self.warnings = [Warning(7, now - timedelta(hours=1), "พายุฤดูร้อนบริเวณประเทศไทยตอนบน (ฉบับที่ 7)",
                                 "Summer storms over upper Thailand (No. 7)",
                                 "ขอให้ประชาชนระวังอันตรายจากฝนตกหนักและลมกระโชกแรง")]
        self.warnings_built = now - timedelta(minutes=30)
        self.events = [
            Event(311_111, "อุบัติเหตุ ถ.วิภาวดีรังสิต ขาเข้า ก่อนถึงแยกเกษตร", "Accident on Vibhavadi Rangsit Rd",
                  "รถชน 2 คัน กีดขวาง 1 ช่องทางซ้าย", "13.8465", "100.5601", "accident",
                  now - timedelta(minutes=15), now + timedelta(hours=1)),
            Event(311_098, "น้ำท่วมขัง ถ.สุขุมวิท ซอย 71", "Flooding on Sukhumvit Soi 71", "น้ำท่วมขังสูง 20 ซม.",
                  "13.7200", "100.5970", "flood", now - timedelta(hours=1), None),
        ]
        self.quakes = [Quake("ประเทศเมียนมา (Myanmar)", "ทางทิศตะวันตกเฉียงเหนือของ อ.แม่สะเรียง จ.แม่ฮ่องสอน ประมาณ 157 กม.",
                             "3.1", "10", "18.340", "96.458", now - timedelta(minutes=40), 13_017)]
        self.quakes_built = now - timedelta(minutes=10)
        self._changed: set[str] = set()
        for name, path in PATHS.items():
            self.route("GET", path.rstrip("/") + "/?", self._handler_for(name))

    # --- the product's settings ------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """GCC1111_FEEDS__*_URL (and TMD's uid/ukey) pointing the desk at this stand-in."""
        prefix = "GCC1111_FEEDS__"
        settings = {f"{prefix}{name.upper()}_URL": self.url + path for name, path in PATHS.items()}
        settings[f"{prefix}GOLD_URL"] += "?readjson=false"
        return {**settings, f"{prefix}TMD_UID": TMD_UID, f"{prefix}TMD_UKEY": TMD_UKEY}

    def publish(self, post: SeedPost) -> None:
        """Feeds have no public posts: the simulated public writes elsewhere."""

    # --- controls the tests call ------------------------------------------------------------------------
    def announce_gold(self, bar_buy: int | Decimal, bar_sell: int | Decimal, *, at: datetime | None = None,
                      ornament_buy: Decimal | None = None, ornament_sell: Decimal | None = None) -> Gold:
        """A new GTA announcement (the next priceSeq); changes are computed from the previous one."""
        with self._lock:
            previous = self.gold
            moment = at or self.clock.now()
            same_day = previous.at.astimezone(BANGKOK).date() == moment.astimezone(BANGKOK).date()
            sell = Decimal(bar_sell)
            self.gold = Gold(Decimal(bar_buy), sell, ornament_buy or Decimal(bar_buy) - Decimal("1330.36"),
                             ornament_sell or sell + 800, at=moment, seq=previous.seq + 1 if same_day else 1,
                             change=sell - previous.bar_sell,
                             change_today=(sell - previous.bar_sell) + (previous.change_today if same_day else 0),
                             price_id=previous.price_id + 1)
            return self.gold

    def set_oil(self, prices: dict[str, tuple[Decimal, Decimal | None]], *, day: datetime | None = None) -> None:
        """Today's and tomorrow's price per English product name (tomorrow None: not announced yet)."""
        with self._lock:
            for product in self.products:
                if product.name_en in prices:
                    product.today, product.tomorrow = prices[product.name_en]
            self.oil_day = (day or self.clock.now()).astimezone(BANGKOK).date()

    def make_stale(self, feed: str, age: timedelta) -> None:
        """The publisher stops updating: the feed's own timestamp is `age` before now."""
        with self._lock:
            then = self.clock.now() - age
            if feed == "gold":
                self.gold.at = then
            elif feed == "oil":
                self.oil_day = then.astimezone(BANGKOK).date()
            elif feed == "weather":
                self.forecast_built = then
            elif feed == "warning":
                self.warnings_built = then
            elif feed == "traffic":
                for event in self.events:
                    event.start = min(event.start, then)
            elif feed == "earthquake":
                self.quakes_built = then
            else:
                raise ValueError(f"no feed {feed!r}")

    def server_error(self, feed: str, status: int = 503, times: int | None = 1) -> None:
        """The feed answers HTTP `status` (an nginx-style page) `times` times."""
        self.fail(PATHS[feed].rstrip("/") + "/?", Failure(text_response(
            f"<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>", status), times))

    def change_format(self, feed: str) -> None:
        """The publisher redesigns the feed: same URL, a shape the parser has never seen."""
        with self._lock:
            self._changed.add(feed)

    def restore_format(self, feed: str) -> None:
        """The feed speaks its usual format again."""
        with self._lock:
            self._changed.discard(feed)

    # --- serving ------------------------------------------------------------------------------------------
    def _handler_for(self, feed: str) -> Handler:
        def handler(request: Request) -> Response:
            with self._lock:
                if feed in self._changed:
                    return CHANGED[feed][0]
                return self._body(feed)

        return handler

    def _body(self, feed: str) -> Response:
        if feed == "gold":
            return text_response(gold_json(self.gold), content_type=JSON)
        if feed == "oil":
            return text_response(oil_json(self.products, self.oil_day, self.oil_set_at), content_type=JSON)
        if feed == "weather":
            return text_response(forecast_json(self._forecast(), self.forecast_built), content_type=JSON)
        if feed == "warning":
            return text_response(warnings_json(self.warnings, self.warnings_built), content_type=JSON)
        if feed == "traffic":
            return text_response(traffic_json(self.events), content_type=JSON,
                                 headers={"Access-Control-Allow-Origin": "*"})
        return text_response(earthquake_rss(self.quakes, self.quakes_built),
                             content_type="application/rss+xml; charset=utf-8")

    def _forecast(self) -> dict[tuple[str, str], list[DayForecast]]:
        first = self.forecast_built.astimezone(BANGKOK).date() + timedelta(days=1)
        days: dict[tuple[str, str], list[DayForecast]] = {}
        for names, (high, low, rain) in PROVINCES.items():
            days[names] = [DayForecast(first + timedelta(days=n), f"{high - n % 2}.0", f"{low + n % 3 * 0.5:.1f}",
                                       str(max(rain - 10 * (n % 3), 0)), str((200 + 20 * n) % 360), str(10 + n),
                                       *SKIES[n % len(SKIES)]) for n in range(7)]
        return days
