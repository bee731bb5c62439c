"""The review queue: filters and Thai search, one mention in full, one-click and bulk relabels."""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core.domain import Label, MentionStage, Platform
from core.store.desk import KEEP, UNCLASSIFIED, Keep
from dashboard.access import Permission
from dashboard.deps import Desk
from dashboard.formatting import local_path
from dashboard.pages.export import export_csv, export_json
from dashboard.pages.filters import parse_filter
from dashboard.web import Ctx, page, query_string

MAX_BULK = 500


def routes(desk: Desk) -> list[Route]:
    return [
        Route("/mentions", page(desk, queue, Permission.MENTIONS), methods=["GET"]),
        Route("/mentions/export.csv", page(desk, export_csv, Permission.MENTIONS), methods=["GET"]),
        Route("/mentions/export.json", page(desk, export_json, Permission.MENTIONS), methods=["GET"]),
        Route("/mentions/bulk", page(desk, bulk_relabel, Permission.MENTIONS), methods=["POST"]),
        Route("/mentions/{mention_id:int}", page(desk, detail, Permission.MENTIONS), methods=["GET"]),
        Route("/mentions/{mention_id:int}/relabel", page(desk, relabel, Permission.MENTIONS), methods=["POST"]),
    ]


def queue(ctx: Ctx) -> Response:
    flt, shown = parse_filter(ctx)
    result = ctx.desk.mentions.page(flt, before=ctx.arg("before") or None, after=ctx.arg("after") or None)
    filters = {k: v for k, v in shown.items() if v}
    here = ctx.request.url.path + (f"?{ctx.request.url.query}" if ctx.request.url.query else "")
    return ctx.render(
        "mentions.html", page=result, shown=shown, filters=filters, here=here,
        older=ctx.url("/mentions", **filters, before=result.older) if result.older else "",
        newer=ctx.url("/mentions", **filters, after=result.newer) if result.newer else "",
        export_query=query_string(filters), saved=_int(ctx.arg("saved")), bulk_none=ctx.arg("bulk_none") == "1",
        **choices(ctx),
    )


def detail(ctx: Ctx) -> Response:
    mention_id = int(ctx.request.path_params["mention_id"])
    found = ctx.desk.mentions.get(mention_id)
    if found is None:
        return ctx.not_found()
    here = ctx.request.url.path
    return ctx.render(
        "mention.html", item=found, thread=ctx.desk.mentions.thread(found.mention),
        corrections=ctx.desk.mentions.corrections(mention_id),
        case=ctx.desk.deps.store.cases.for_mention(mention_id), here=here,
        saved=_int(ctx.arg("saved")), **choices(ctx),
    )


def relabel(ctx: Ctx) -> Response:
    """One mention: the label button pressed, with the agency and urgency shown beside it."""
    mention_id = int(ctx.request.path_params["mention_id"])
    label = _label(ctx.field("label"))
    agency = _agency(ctx, ctx.field("agency", "__keep__"))
    if label is None or agency is None:
        return ctx.bad_request()
    urgent: bool | Keep = ctx.field("urgent") == "1" if ctx.field("urgent_shown") == "1" else KEEP
    changed = ctx.desk.mentions.relabel([mention_id], label, ctx.me.username, agency=agency[0], urgent=urgent)
    if not changed:
        return ctx.not_found()
    return _back(ctx, f"/mentions/{mention_id}", changed)


def bulk_relabel(ctx: Ctx) -> Response:
    ids = [value for value in (_int(v) for v in ctx.fields("ids")) if value is not None][:MAX_BULK]
    label = _label(ctx.field("label"))
    agency = _agency(ctx, ctx.field("agency", "__keep__"))
    urgent_choice = ctx.field("urgent", "keep")
    if label is None or agency is None or urgent_choice not in ("keep", "yes", "no"):
        return ctx.bad_request()
    if not ids:
        return _back(ctx, "/mentions", None, bulk_none="1")
    urgent: bool | Keep = KEEP if urgent_choice == "keep" else urgent_choice == "yes"
    changed = ctx.desk.mentions.relabel(ids, label, ctx.me.username, agency=agency[0], urgent=urgent)
    return _back(ctx, "/mentions", changed)


def choices(ctx: Ctx) -> dict[str, Any]:
    """The options every mention form offers."""
    return {
        "labels": [label.value for label in Label],
        "agencies": [(code, ctx.agency_name(code)) for code in ctx.desk.deps.agencies.codes()],
        "platforms": [p.value for p in Platform],
        "stages": [s.value for s in MentionStage],
        "unclassified": UNCLASSIFIED,
    }


def _back(ctx: Ctx, fallback: str, saved: int | None, **extra: str) -> Response:
    """Back to the page the form was on (a path on this site), saying what was saved."""
    root = ctx.request.scope.get("root_path", "")
    target = local_path(ctx.field("back"), root + fallback)
    params = {"saved": saved, **extra} if saved is not None else extra
    cleaned = "&".join(part for part in target.partition("?")[2].split("&")
                       if part and part.split("=")[0] not in ("saved", "bulk_none"))
    base = target.partition("?")[0] + (f"?{cleaned}" if cleaned else "")
    separator = "&" if "?" in base else "?"
    return RedirectResponse(f"{base}{separator}{query_string(params)}" if params else base, status_code=303)


def _label(value: str) -> Label | None:
    try:
        return Label(value)
    except ValueError:
        return None


def _agency(ctx: Ctx, value: str) -> tuple[str | Keep | None] | None:
    """(agency,) for a valid choice (KEEP, None for no agency, or a code); None when invalid."""
    if value == "__keep__":
        return (KEEP,)
    if value == "":
        return (None,)
    return (value,) if value in ctx.desk.deps.agencies else None


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 18 else None
