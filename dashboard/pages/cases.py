"""The case board per agency with SLA clocks, and one case: its post, history, reply trail and the work on it."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response
from starlette.routing import Route

from core.domain import Case, CaseStatus, Role
from core.store.board import CaseNotFound
from core.store.cases import OPEN_STATUSES, TRANSITIONS, CaseTransitionError
from dashboard.access import Permission, allowed, case_scope
from dashboard.deps import Desk
from dashboard.formatting import duration
from dashboard.web import Ctx, page

BOARD_COLUMNS = (CaseStatus.NEW, CaseStatus.ROUTED, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED)
BOARD_CARDS = 20
LIST_SIZE = 50
DUE_SOON = 0.25  # the last quarter of the SLA is shown as "due soon"
MAX_NOTE = 10_000


def routes(desk: Desk) -> list[Route]:
    return [
        Route("/cases", page(desk, board, Permission.CASES_VIEW), methods=["GET"]),
        Route("/cases/{case_id:int}", page(desk, case_page, Permission.CASES_VIEW), methods=["GET"]),
        Route("/cases/{case_id:int}/status", page(desk, change_status, Permission.CASES_WORK), methods=["POST"]),
        Route("/cases/{case_id:int}/assign", page(desk, assign, Permission.CASES_WORK), methods=["POST"]),
        Route("/cases/{case_id:int}/note", page(desk, add_note, Permission.CASES_WORK), methods=["POST"]),
    ]


def board(ctx: Ctx) -> Response:
    """Columns by status (or one status in full, page by page), overdue first within each."""
    scope = case_scope(ctx.me)
    agency = ctx.me.agency if ctx.me.role is Role.COORDINATOR else _agency(ctx, ctx.arg("agency"))
    counts = ctx.desk.board.counts(scope, agency)
    status = _status(ctx.arg("status"))
    if status is not None:
        after = _after(ctx.arg("after"))
        cards = ctx.desk.board.column(scope, status, agency=agency, after=after, size=LIST_SIZE)
        last = cards[-1].case if len(cards) == LIST_SIZE else None
        more = ""
        if last is not None:
            moment = last.sla_due_at if status in OPEN_STATUSES else last.updated_at
            more = ctx.url("/cases", status=status.value, agency=agency if ctx.me.role is not Role.COORDINATOR
                           else None, after=f"{moment.isoformat()}_{last.id}")
        columns = [(status, cards)]
    else:
        more = ""
        columns = [(s, ctx.desk.board.column(scope, s, agency=agency, size=BOARD_CARDS)) for s in BOARD_COLUMNS]
    return ctx.render(
        "cases.html", columns=columns, counts=counts, agency=agency, single=status is not None, more=more,
        choose_agency=ctx.me.role is not Role.COORDINATOR, sla=lambda case: sla_state(ctx, case),
        agencies=[(code, ctx.agency_name(code)) for code in ctx.desk.deps.agencies.codes()],
    )


def case_page(ctx: Ctx) -> Response:
    case_id = int(ctx.request.path_params["case_id"])
    scope = case_scope(ctx.me)
    try:
        card = ctx.desk.board.card(case_id, scope)
    except CaseNotFound:
        return _unseen(ctx)
    labelled = ctx.desk.mentions.get(card.case.mention_id)
    thread = ctx.desk.mentions.thread(labelled.mention) if labelled is not None else []
    may_work = allowed(ctx.me, Permission.CASES_WORK)
    return ctx.render(
        "case.html", card=card, case=card.case, events=ctx.desk.board.events(case_id, scope),
        replies=ctx.desk.board.reply_trail(card.case), thread=thread, may_work=may_work,
        next_statuses=sorted(TRANSITIONS[card.case.status], key=list(CaseStatus).index),
        coordinators=ctx.desk.board.coordinators(card.case.agency), sla=sla_state(ctx, card.case),
        error=ctx.arg("error"), saved=ctx.arg("saved") == "1", max_note=MAX_NOTE,
    )


def change_status(ctx: Ctx) -> Response:
    case_id = int(ctx.request.path_params["case_id"])
    status = _status(ctx.field("status"))
    if status is None:
        return ctx.bad_request()
    try:
        ctx.desk.board.change_status(case_id, case_scope(ctx.me), status, ctx.me.username,
                                     ctx.field("note").strip()[:MAX_NOTE])
    except CaseNotFound:
        return _unseen(ctx)
    except CaseTransitionError:
        return ctx.redirect(f"/cases/{case_id}", error="transition")
    return ctx.redirect(f"/cases/{case_id}", saved="1")


def assign(ctx: Ctx) -> Response:
    case_id = int(ctx.request.path_params["case_id"])
    scope = case_scope(ctx.me)
    try:
        card = ctx.desk.board.card(case_id, scope)
        assignee = ctx.field("assignee")
        allowed_names = {user.username for user in ctx.desk.board.coordinators(card.case.agency)} | {""}
        if assignee not in allowed_names:
            return ctx.bad_request()
        ctx.desk.board.assign(case_id, scope, assignee, ctx.me.username)
    except CaseNotFound:
        return _unseen(ctx)
    return ctx.redirect(f"/cases/{case_id}", saved="1")


def add_note(ctx: Ctx) -> Response:
    case_id = int(ctx.request.path_params["case_id"])
    note = ctx.field("note").strip()
    if not note:
        return ctx.redirect(f"/cases/{case_id}", error="empty_note")
    try:
        ctx.desk.board.add_note(case_id, case_scope(ctx.me), note[:MAX_NOTE], ctx.me.username)
    except CaseNotFound:
        return _unseen(ctx)
    return ctx.redirect(f"/cases/{case_id}", saved="1")


def sla_state(ctx: Ctx, case: Case) -> tuple[str, str]:
    """(css class, words) for a case's SLA clock: overdue, due soon, on time, or finished."""
    if case.status not in OPEN_STATUSES:
        return "done", ""
    now = ctx.desk.deps.clock.now()
    left = case.sla_due_at - now
    if left.total_seconds() < 0:
        return "overdue", ctx.t("cases.overdue_by", span=duration(-left, ctx.lang))
    total = (case.sla_due_at - case.created_at).total_seconds()
    css = "soon" if total > 0 and left.total_seconds() < DUE_SOON * total else "ok"
    return css, ctx.t("cases.due_in", span=duration(left, ctx.lang))


def _unseen(ctx: Ctx) -> Response:
    """A case outside someone's scope looks exactly like one that does not exist: forbidden, no details."""
    return ctx.forbidden() if ctx.me.role is Role.COORDINATOR else ctx.not_found()


def _status(value: str) -> CaseStatus | None:
    try:
        return CaseStatus(value)
    except ValueError:
        return None


def _agency(ctx: Ctx, value: str) -> str | None:
    return value if value in ctx.desk.deps.agencies else None


def _after(value: str) -> tuple[datetime, int] | None:
    moment, _, ident = value.rpartition("_")
    try:
        return datetime.fromisoformat(moment), int(ident)
    except ValueError:
        return None
