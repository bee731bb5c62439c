"""Broadcasts: a placeholder page until the broadcast workflow lands.

The broadcast pages (calendar, editor with per-channel preview, approval by a second person, history)
belong in this module: give `routes(desk)` their routes under /broadcasts, using `page()` with
Permission.BROADCASTS so the session, CSRF and role checks apply, and templates extending base.html.
The navigation entry already points here (dashboard/access.py NAV).
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from dashboard.access import Permission
from dashboard.deps import Desk
from dashboard.web import Ctx, page


def routes(desk: Desk) -> list[Route]:
    return [Route("/broadcasts", page(desk, coming_soon, Permission.BROADCASTS), methods=["GET"])]


def coming_soon(ctx: Ctx) -> Response:
    return ctx.render("broadcasts.html")
