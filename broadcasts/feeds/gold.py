"""Gold Traders Association (สมาคมค้าทองคำ) latest announcement: bar and 96.5% ornament gold prices.

GET https://www.goldtraders.or.th/api/GoldPrices/Latest?readjson=false answers one JSON object, e.g.
{"goldPriceID":87779,"asTime":"2026-10-01T17:27:00","seq":22,"priceSeq":22,"bL_BuyPrice":66200.00,
 "bL_SellPrice":66400.00,"oM965_BuyPrice":64869.64,"oM965_SellPrice":67200.00,"oM965_BuyGPrice":4279.00,
 "goldSpot":4165.00,"bahtPerUSD":33.68,"priceChangeFromPrevRow":50,"priceChangeFromPrevDayLast":-100}
asTime is Bangkok wall-clock time without a zone; prices are THB per baht-weight (15.244 g).
"""

from __future__ import annotations

from decimal import Decimal

from broadcasts.feeds.base import amount, bangkok_time, load_json, optional_amount, problem, reading, within
from core.ports import FeedReading

NAME = "gold"
LOW, HIGH = Decimal(10_000), Decimal(100_000)  # THB per baht-weight: anything outside is a broken feed
MAX_STEP = Decimal(5_000)  # one announcement never moves the price this much
REFERER = "https://www.goldtraders.or.th/"
SAMPLE = ('{"goldPriceID":87779,"asTime":"2026-10-01T17:27:00","seq":22,"priceSeq":22,"bL_BuyPrice":66200.00,'
          '"bL_SellPrice":66400.00,"oM965_BuyPrice":64869.64,"oM965_SellPrice":67200.00,"oM965_BuyGPrice":4279.00,'
          '"goldSpot":4165.00,"bahtPerUSD":33.68,"priceChangeFromPrevRow":50,"priceChangeFromPrevDayLast":-100}')


def parse_gold(raw: str) -> FeedReading:
    """The latest announcement as a FeedReading; ParseError when the shape or the numbers are wrong."""
    document = load_json(NAME, raw)
    with reading(NAME, raw):
        if not isinstance(document, dict):
            raise problem(NAME, "expected one JSON object", raw)
        issued = bangkok_time(document["asTime"], "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")
        prices = {
            "bar_buy": amount(document["bL_BuyPrice"]),
            "bar_sell": amount(document["bL_SellPrice"]),
            "ornament_buy": amount(document["oM965_BuyPrice"]),
            "ornament_sell": amount(document["oM965_SellPrice"]),
        }
        for what, value in prices.items():
            within(NAME, what, value, LOW, HIGH, raw)
        if prices["bar_sell"] < prices["bar_buy"] or prices["ornament_sell"] < prices["ornament_buy"]:
            raise problem(NAME, "a selling price below its buying price", raw)
        change = optional_amount(document.get("priceChangeFromPrevRow"))
        change_today = optional_amount(document.get("priceChangeFromPrevDayLast"))
        for what, step in (("change", change), ("change_today", change_today)):
            if step is not None:
                within(NAME, what, step, -MAX_STEP, MAX_STEP, raw)
        sequence = int(within(NAME, "priceSeq", amount(document.get("priceSeq", document.get("seq"))), 0, 999, raw))
        data = {
            **prices,
            "announcement": sequence,  # ครั้งที่ of the day
            "change": change if change is not None else Decimal(0),
            "change_today": change_today if change_today is not None else Decimal(0),
            "as_of": issued,
        }
    return FeedReading(NAME, issued, data)
