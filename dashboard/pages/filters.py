"""The review queue's filter, read from the query string the same way by the queue and its exports."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from core.clock import BANGKOK
from core.domain import Label, MentionStage, Platform
from core.store.desk import UNCLASSIFIED, MentionFilter
from dashboard.web import Ctx

MAX_QUERY = 200
FILTER_FIELDS = ("label", "agency", "platform", "urgent", "stage", "since", "until", "q")


def parse_filter(ctx: Ctx) -> tuple[MentionFilter, dict[str, str]]:
    """The queue's filter from the query string, and the cleaned values to show in the form again."""
    raw = {name: ctx.arg(name).strip() for name in FILTER_FIELDS}
    labels = {label.value for label in Label} | {UNCLASSIFIED}
    shown = {
        "label": raw["label"] if raw["label"] in labels else "",
        "agency": raw["agency"] if raw["agency"] in ctx.desk.deps.agencies else "",
        "platform": raw["platform"] if raw["platform"] in {p.value for p in Platform} else "",
        "urgent": raw["urgent"] if raw["urgent"] in ("yes", "no") else "",
        "stage": raw["stage"] if raw["stage"] in {s.value for s in MentionStage} else "",
        "since": raw["since"] if _day(raw["since"]) else "",
        "until": raw["until"] if _day(raw["until"]) else "",
        "q": raw["q"][:MAX_QUERY],
    }
    since, until = _day(shown["since"]), _day(shown["until"])
    flt = MentionFilter(
        label=shown["label"], agency=shown["agency"], platform=shown["platform"],
        urgent={"yes": True, "no": False}.get(shown["urgent"]), stage=shown["stage"],
        since=_bangkok_midnight(since) if since else None,
        until=_bangkok_midnight(until + timedelta(days=1)) if until else None,
        query=shown["q"],
    )
    return flt, shown


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _bangkok_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BANGKOK)
