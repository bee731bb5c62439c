"""When a broadcast happens: a one-off moment, or a crontab recurrence read in Asia/Bangkok; always UTC out.

Two traps of APScheduler 3's CronTrigger.from_crontab are avoided by building the trigger here:
- weekday numbers: crontab has Sunday = 0 (or 7), APScheduler 3 has Monday = 0, so "0 9 * * 1-5" would run
  Tuesday to Saturday. Weekdays are translated to names (mon-fri) before APScheduler sees them.
- day of month and day of week both restricted: crontab runs when *either* matches, APScheduler only when
  *both* do. Such expressions are refused with a message, never silently reinterpreted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from core.clock import BANGKOK
from core.domain import Broadcast

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab order: Sunday is 0
MAX_OCCURRENCES = 10_000  # per planning pass: a bound, not a real schedule


def crontab_trigger(expression: str) -> CronTrigger:
    """A standard 5-field crontab (minute hour day month weekday) in Asia/Bangkok; ValueError in Thai if wrong."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"cron ต้องมี 5 ช่อง (นาที ชั่วโมง วันที่ เดือน วันในสัปดาห์) แต่มี {len(fields)}: {expression!r}")
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        raise ValueError("cron ระบุทั้งวันที่และวันในสัปดาห์ไม่ได้ (crontab would run on either, APScheduler only on "
                         "both): แยกเป็นสองรายการ")
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=crontab_weekdays(weekday),
                           timezone=BANGKOK)
    except ValueError as exc:
        raise ValueError(f"cron อ่านไม่ได้: {expression!r} ({exc})") from None


def crontab_weekdays(field: str) -> str:
    """A crontab weekday field (Sunday = 0 or 7, names allowed) as APScheduler day names: "1-5" → "mon,…,fri"."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1 or (step_text and not step_text.isdigit()):
            raise ValueError(f"bad step in weekday field {field!r}")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            low, high = span.split("-", 1)
            first, last = _weekday(low), _weekday(high)
            if last == 0 and high.strip() in ("7",):
                last = 7
        else:
            first = last = _weekday(span)
        if first > last:
            raise ValueError(f"weekday range {span!r} runs backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(DAY_NAMES[day] for day in sorted(days))


def _weekday(text: str) -> int:
    text = text.strip()
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text) % 7
    if text[:3] in DAY_NAMES and len(text) >= 3:
        return DAY_NAMES.index(text[:3])
    raise ValueError(f"unknown weekday {text!r}")


def occurrences(broadcast: Broadcast, after: datetime, until: datetime) -> list[datetime]:
    """Occurrence times in (after, until], aware UTC, in order."""
    if not broadcast.cron:
        run_at = broadcast.run_at
        return [run_at] if run_at is not None and after < run_at <= until else []
    trigger = crontab_trigger(broadcast.cron)
    found: list[datetime] = []
    moment = after
    while len(found) < MAX_OCCURRENCES:
        fire = trigger.get_next_fire_time(None, moment + timedelta(microseconds=1))
        if fire is None or fire > until:
            break
        found.append(fire.astimezone(UTC))
        moment = fire
    return found


def next_occurrence(broadcast: Broadcast, after: datetime) -> datetime | None:
    """The first occurrence strictly after `after`, or None (a one-off already past)."""
    if not broadcast.cron:
        return broadcast.run_at if broadcast.run_at is not None and broadcast.run_at > after else None
    fire = crontab_trigger(broadcast.cron).get_next_fire_time(None, after + timedelta(microseconds=1))
    return fire.astimezone(UTC) if fire is not None else None
