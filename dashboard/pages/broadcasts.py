"""Broadcasts: the 14-day calendar and history, the editor with its per-channel preview, approval and cancel.

Every change goes through the broadcast workflow (core.ports.BroadcastDesk): it checks roles, keeps four eyes,
audits each action and refuses in Thai (BroadcastRuleError), which these pages show as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from starlette.responses import Response
from starlette.routing import Route

from core.clock import BANGKOK
from core.domain import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, Role
from core.ports import BroadcastDesk, BroadcastPreview
from core.store.broadcasts import BroadcastRuleError
from dashboard.access import Permission
from dashboard.broadcast_form import CHANNELS, DraftForm, FormProblem, weekday
from dashboard.deps import Desk
from dashboard.web import Ctx, page

CALENDAR_DAYS = 14
UPCOMING = (BroadcastStatus.DRAFT, BroadcastStatus.APPROVED, BroadcastStatus.SCHEDULED)
CANCELLABLE = UPCOMING
NEXT_SHOWN = 5  # occurrences listed under a cron field
LISTED = 200
APPROVERS = frozenset({Role.APPROVER, Role.ADMIN})


def routes(desk: Desk) -> list[Route]:
    allow = Permission.BROADCASTS
    return [
        Route("/broadcasts", page(desk, calendar, allow), methods=["GET"]),
        Route("/broadcasts/new", page(desk, editor, allow), methods=["GET"]),
        Route("/broadcasts/new", page(desk, save, allow), methods=["POST"]),
        Route("/broadcasts/preview", page(desk, preview_panel, allow), methods=["POST"]),
        Route("/broadcasts/{broadcast_id:int}", page(desk, detail, allow), methods=["GET"]),
        Route("/broadcasts/{broadcast_id:int}/approve", page(desk, approve, allow), methods=["POST"]),
        Route("/broadcasts/{broadcast_id:int}/cancel", page(desk, cancel, allow), methods=["POST"]),
    ]


def calendar(ctx: Ctx) -> Response:
    """The next 14 days of occurrences by Bangkok day, every broadcast with its status, and what was published."""
    actions = _actions(ctx)
    if actions is None:
        return ctx.render("broadcasts.html", unavailable=True)
    listed = actions.listing(limit=LISTED)
    now = ctx.desk.deps.clock.now()
    today = now.astimezone(BANGKOK).date()
    days: dict[date, list[tuple[datetime, Broadcast]]] = defaultdict(list)
    for broadcast, _ in listed:
        if broadcast.status not in UPCOMING:
            continue
        try:
            moments = actions.occurrences(broadcast, now, now + timedelta(days=CALENDAR_DAYS))
        except ValueError:
            continue  # a broken cron: the broadcast's own page explains it
        for moment in moments:
            days[moment.astimezone(BANGKOK).date()].append((moment, broadcast))
    calendar_days = [(today + timedelta(days=n), sorted(days.get(today + timedelta(days=n), []),
                                                        key=lambda item: item[0]))
                     for n in range(CALENDAR_DAYS)]
    deliveries = [(d, b) for b, found in listed for d in found]
    published = sorted((item for item in deliveries if item[0].status is DeliveryStatus.PUBLISHED),
                       key=lambda item: item[0].published_at or item[0].scheduled_for, reverse=True)
    troubled = sorted((item for item in deliveries if item[0].status in (DeliveryStatus.HELD, DeliveryStatus.FAILED)),
                      key=lambda item: item[0].scheduled_for, reverse=True)
    return ctx.render("broadcasts.html", unavailable=False, days=calendar_days, broadcasts=[b for b, _ in listed],
                      published=published, troubled=troubled, today=today)


def editor(ctx: Ctx) -> Response:
    actions = _actions(ctx)
    if actions is None:
        return ctx.render("broadcasts.html", unavailable=True)
    return _editor(ctx, actions, DraftForm(), preview=None)


def save(ctx: Ctx) -> Response:
    """"ดูตัวอย่าง" shows the form again with its preview (no JavaScript needed); "บันทึก" creates the draft."""
    actions = _actions(ctx)
    if actions is None:
        return ctx.render("broadcasts.html", unavailable=True)
    form = DraftForm.read(ctx.form)
    if ctx.field("action") == "preview":
        return _editor(ctx, actions, form, preview=_preview(ctx, actions, form))
    try:
        made = actions.create(by=ctx.me.username, channels=form.channels, text=form.text, template=form.template,
                              run_at=form.run_at(), cron=form.recurrence(), title=form.title)
    except FormProblem as problem:
        return _editor(ctx, actions, form, preview=None, error=ctx.t(str(problem)), status=400)
    except BroadcastRuleError as refused:
        return _editor(ctx, actions, form, preview=None, error=str(refused), status=400)
    return ctx.redirect(f"/broadcasts/{made.id}", saved="1")


def preview_panel(ctx: Ctx) -> Response:
    """The preview panel alone, for the editor's script to swap in as staff type."""
    actions = _actions(ctx)
    if actions is None:
        return ctx.not_found()
    form = DraftForm.read(ctx.form)
    return ctx.render("broadcast_preview.html", preview=_preview(ctx, actions, form),
                      upcoming=_upcoming(ctx, actions, form.draft(ctx.me.username, ctx.desk.deps.clock.now())))


def detail(ctx: Ctx) -> Response:
    actions = _actions(ctx)
    if actions is None:
        return ctx.render("broadcasts.html", unavailable=True)
    return _detail(ctx, actions, int(ctx.request.path_params["broadcast_id"]))


def approve(ctx: Ctx) -> Response:
    """Four eyes; or, ticked by someone allowed emergency posts, their own post goes out (audited)."""
    return _act(ctx, "approved", lambda actions, number: actions.approve(
        number, ctx.me.username, emergency=ctx.field("emergency") == "1" and ctx.me.can_emergency_post))


def cancel(ctx: Ctx) -> Response:
    return _act(ctx, "cancelled", lambda actions, number: actions.cancel(
        number, ctx.me.username, ctx.field("reason").strip()[:500]))


# --- helpers --------------------------------------------------------------------------------------------
def _actions(ctx: Ctx) -> BroadcastDesk | None:
    return ctx.desk.deps.broadcasts


def _act(ctx: Ctx, done: str, step: Callable[[BroadcastDesk, int], object]) -> Response:
    actions = _actions(ctx)
    if actions is None:
        return ctx.not_found()
    number = int(ctx.request.path_params["broadcast_id"])
    if _find(actions, number) is None:
        return ctx.not_found()
    try:
        step(actions, number)
    except BroadcastRuleError as refused:
        return _detail(ctx, actions, number, error=str(refused), status=409)
    return ctx.redirect(f"/broadcasts/{number}", done=done)


def _detail(ctx: Ctx, actions: BroadcastDesk, number: int, *, error: str = "", status: int = 200) -> Response:
    found = _find(actions, number)
    if found is None:
        return ctx.not_found()
    broadcast, deliveries = found
    me = ctx.me
    return ctx.render(
        "broadcast.html", status=status, broadcast=broadcast, deliveries=deliveries, error=error,
        preview=actions.preview(broadcast), upcoming=_upcoming(ctx, actions, broadcast),
        done=ctx.arg("done"), saved=ctx.arg("saved") == "1",
        may_approve=broadcast.status is BroadcastStatus.DRAFT and (me.role in APPROVERS or me.can_emergency_post),
        may_emergency=broadcast.status is BroadcastStatus.DRAFT and me.can_emergency_post,
        may_cancel=broadcast.status in CANCELLABLE,
    )


def _find(actions: BroadcastDesk, number: int) -> tuple[Broadcast, list[Delivery]] | None:
    # The workflow lists newest first; a desk keeps a few hundred broadcasts at most, so this stays cheap.
    return next(((b, d) for b, d in actions.listing(limit=10_000) if b.id == number), None)


def _editor(ctx: Ctx, actions: BroadcastDesk, form: DraftForm, *, preview: BroadcastPreview | None,
            error: str = "", status: int = 200) -> Response:
    draft = form.draft(ctx.me.username, ctx.desk.deps.clock.now())
    return ctx.render("broadcast_form.html", status=status, form=form, channels=CHANNELS, error=error,
                      templates=actions.template_names(), preview=preview, upcoming=_upcoming(ctx, actions, draft))


def _preview(ctx: Ctx, actions: BroadcastDesk, form: DraftForm) -> BroadcastPreview:
    if not form.channels:
        return BroadcastPreview(error=ctx.t("broadcasts.need_channel"))
    return actions.preview(form.draft(ctx.me.username, ctx.desk.deps.clock.now()))


def _upcoming(ctx: Ctx, actions: BroadcastDesk, broadcast: Broadcast) -> dict[str, object]:
    """The next few times a recurrence fires, in words ('วันจันทร์ 30 พ.ย. 2569 09:00'), or why it cannot."""
    if not broadcast.cron:
        return {"cron": "", "times": [], "problem": ""}
    now = ctx.desk.deps.clock.now()
    times: list[datetime] = []
    try:
        for days in (1, 31, 400):  # short windows first: an every-minute cron needs only the first
            times = actions.occurrences(broadcast, now, now + timedelta(days=days))[:NEXT_SHOWN]
            if len(times) == NEXT_SHOWN:
                break
    except ValueError as exc:
        return {"cron": broadcast.cron, "times": [], "problem": str(exc)}
    return {"cron": broadcast.cron, "problem": "",
            "times": [(moment, weekday(moment, ctx.lang)) for moment in times]}
