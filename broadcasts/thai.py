"""Thai formatting for public posts: Buddhist Era dates, Thai month names, Bangkok times, baht and price arrows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.clock import BANGKOK

BE_OFFSET = 543  # Buddhist Era year = Common Era year + 543
MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม", "กันยายน",
          "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
MONTHS_SHORT = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
WEEKDAYS = ("จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์")  # date.weekday(): Monday is 0
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
UP, DOWN, SAME = "▲", "▼", "➖"
Number = int | float | Decimal | str


def local_day(moment: date | datetime) -> date:
    """The calendar day in Bangkok; an aware datetime is converted, a plain date taken as it is."""
    if isinstance(moment, datetime):
        return bangkok(moment).date()
    return moment


def bangkok(moment: datetime) -> datetime:
    """An aware datetime in Asia/Bangkok. A naive one is refused: its zone would be a guess."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware one (UTC in storage)")
    return moment.astimezone(BANGKOK)


def thai_date(moment: date | datetime, style: str = "long", thai_digits: bool = False) -> str:
    """ "1 มกราคม 2570" (long), "1 ม.ค. 2570" (short) or "1 ม.ค. 70" (short2), optionally in Thai digits."""
    day = local_day(moment)
    year = day.year + BE_OFFSET
    if style == "long":
        text = f"{day.day} {MONTHS[day.month - 1]} {year}"
    elif style == "short":
        text = f"{day.day} {MONTHS_SHORT[day.month - 1]} {year}"
    elif style == "short2":
        text = f"{day.day} {MONTHS_SHORT[day.month - 1]} {year % 100:02d}"
    else:
        raise ValueError(f"unknown date style {style!r}: long, short or short2")
    return to_thai_digits(text) if thai_digits else text


def thai_weekday(moment: date | datetime) -> str:
    """ "วันจันทร์" … "วันอาทิตย์"."""
    return "วัน" + WEEKDAYS[local_day(moment).weekday()]


def thai_time(moment: datetime, thai_digits: bool = False) -> str:
    """ "16:15 น." in Bangkok time."""
    text = bangkok(moment).strftime("%H:%M") + " น."
    return to_thai_digits(text) if thai_digits else text


def thai_datetime(moment: datetime, style: str = "short", thai_digits: bool = False) -> str:
    """ "4 ส.ค. 2569 เวลา 16:15 น." in Bangkok time."""
    return f"{thai_date(moment, style, thai_digits)} เวลา {thai_time(moment, thai_digits)}"


def to_thai_digits(text: object) -> str:
    """Arabic digits written as Thai digits: 2570 → ๒๕๗๐."""
    return str(text).translate(THAI_DIGITS)


def decimal(value: Number) -> Decimal:
    """A number as Decimal (floats through their shortest repr, so 35.04 stays 35.04)."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    try:
        found = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not found.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return found


def number(value: Number, decimals: int | None = None) -> str:
    """ "51,300" or "35.04": whole amounts without decimals unless `decimals` is given."""
    amount = decimal(value)
    if decimals is None:
        decimals = 0 if amount == amount.to_integral_value() else 2
    quantum = Decimal(1).scaleb(-decimals)
    rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{rounded:,.{decimals}f}"


def baht(value: Number, decimals: int | None = None) -> str:
    """ "51,300 บาท"."""
    return f"{number(value, decimals)} บาท"


def change(value: Number | None, unit: str = "บาท", decimals: int | None = None) -> str:
    """A price change with its arrow: "▲ 50 บาท", "▼ 100 บาท", "➖ ไม่เปลี่ยนแปลง"; None: not announced yet."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "ยังไม่ประกาศ"
    amount = decimal(value)
    if amount == 0:
        return f"{SAME} ไม่เปลี่ยนแปลง"
    arrow = UP if amount > 0 else DOWN
    words = number(abs(amount), decimals)
    return f"{arrow} {words} {unit}".rstrip()


def duration(delta: timedelta) -> str:
    """ "2 ชม. 5 นาที", "3 ชม.", "40 นาที" (whole minutes, rounded down)."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} ชม. {minutes} นาที"
    return f"{hours} ชม." if hours else f"{minutes} นาที"
