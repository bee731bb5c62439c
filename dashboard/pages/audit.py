"""The audit log for administrators: every staff action, newest first, filtered by who and what."""

from __future__ import annotations

import json

from starlette.responses import Response
from starlette.routing import Route

from dashboard.access import Permission
from dashboard.deps import Desk
from dashboard.web import Ctx, page


def routes(desk: Desk) -> list[Route]:
    return [Route("/audit", page(desk, audit_log, Permission.AUDIT), methods=["GET"])]


def audit_log(ctx: Ctx) -> Response:
    actor, action = ctx.arg("actor").strip()[:64], ctx.arg("action").strip()[:64]
    before = ctx.arg("before")
    result = ctx.desk.audit.page(actor=actor, action=action,
                                 before=int(before) if before.isdigit() and len(before) < 18 else None)
    older = ctx.url("/audit", actor=actor, action=action, before=result.older) if result.older else ""
    return ctx.render("audit.html", events=result.events, actor=actor, action=action, older=older,
                      detail=lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True) if d else "")
