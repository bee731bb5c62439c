"""Charts an analyst would rather look at than read, and the same figures as JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dashboard.access import Permission
from dashboard.charts import bar_chart, line_chart, paired_bar_chart
from dashboard.deps import Desk
from dashboard.formatting import duration, short_day
from dashboard.insight import Volume
from dashboard.web import Ctx, page

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
CHARTS = ("volume-label", "volume-platform", "agencies", "terms", "response")


def routes(desk: Desk) -> list[Route]:
    return [
        Route("/insight", page(desk, overview, Permission.INSIGHT), methods=["GET"]),
        Route("/insight/data/{name}.json", page(desk, data, Permission.INSIGHT), methods=["GET"]),
    ]


def overview(ctx: Ctx) -> Response:
    days = _period(ctx)
    service = ctx.desk.insight
    by_label = _with_total(ctx, service.volume(days, "label"), "label")
    by_platform = service.volume(days, "platform")
    agencies = service.complaints_by_agency(days)
    words, tags = service.terms()
    response = service.response_times(days)
    day_label = lambda d: short_day(d, ctx.lang)  # noqa: E731 - a one-line label function
    return ctx.render(
        "insight.html", days=days, periods=PERIODS, cache_minutes=round(service.cache_seconds / 60),
        label_chart=line_chart(by_label[0].days, by_label[1], by_label[0].spikes, day_label, ctx.t("insight.today")),
        label_names=by_label[2], label_volume=by_label[0], label_keys=list(by_label[1]),
        label_rows=list(zip(by_label[0].days, zip(*by_label[1].values(), strict=True), strict=True)),
        platform_chart=line_chart(by_platform.days, by_platform.series, by_platform.spikes, day_label,
                                  ctx.t("insight.today")),
        platform_names={key: ctx.t(f"platform.{key}") for key in by_platform.series},
        agency_chart=bar_chart([(ctx.agency_name(a) if a else ctx.t("cases.unrouted"), n) for a, n in agencies],
                               label_width=270),
        term_chart=paired_bar_chart([(s.term, s.this_share, s.last_share) for s in words]), terms=words,
        tag_chart=paired_bar_chart([("#" + s.term, s.this_share, s.last_share) for s in tags]), tags=tags,
        response=response, response_chart=bar_chart(
            [(ctx.t(f"insight.bucket.{name}"), count) for name, count in response.buckets], label_width=160),
        span=lambda seconds: duration_text(ctx, seconds),
    )


def data(ctx: Ctx) -> Response:
    """One chart's figures as JSON (the same numbers the page draws)."""
    name = ctx.request.path_params["name"]
    days = _period(ctx)
    service = ctx.desk.insight
    body: Any
    if name in ("volume-label", "volume-platform"):
        volume = service.volume(days, "label" if name == "volume-label" else "platform")
        body = {"days": [d.isoformat() for d in volume.days], "series": volume.series, "totals": volume.totals,
                "spikes": [d.isoformat() for d in volume.spikes]}
    elif name == "agencies":
        body = [{"agency": agency, "complaints": count} for agency, count in service.complaints_by_agency(days)]
    elif name == "terms":
        words, tags = service.terms()
        body = {"terms": [s.__dict__ for s in words], "hashtags": [s.__dict__ for s in tags]}
    elif name == "response":
        summary = service.response_times(days)
        body = {"answered": summary.answered, "median_seconds": summary.median_seconds,
                "p90_seconds": summary.p90_seconds, "buckets": dict(summary.buckets)}
    else:
        return ctx.not_found()
    return JSONResponse(body, media_type="application/json; charset=utf-8")


def duration_text(ctx: Ctx, seconds: float | None) -> str:
    return "–" if seconds is None else duration(timedelta(seconds=seconds), ctx.lang)


def _with_total(ctx: Ctx, volume: Volume, kind: str) -> tuple[Volume, dict[str, list[int]], dict[str, str]]:
    """The label series plus a total line, and the names to show for each."""
    series = {**volume.series, "total": volume.totals}
    names = {key: ctx.t(f"{kind}.{key}") for key in volume.series}
    names["total"] = ctx.t("insight.total")
    return volume, series, names


def _period(ctx: Ctx) -> int:
    value = ctx.arg("days")
    return int(value) if value.isdigit() and int(value) in PERIODS else DEFAULT_PERIOD
