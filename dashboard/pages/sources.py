"""Each connector's health: last success, last error, next retry and token expiry."""

from __future__ import annotations

from datetime import timedelta

from starlette.responses import Response
from starlette.routing import Route

from core.domain import SourceHealth
from dashboard.access import Permission
from dashboard.deps import Desk
from dashboard.web import Ctx, page

TOKEN_WARNING = timedelta(days=7)


def routes(desk: Desk) -> list[Route]:
    return [Route("/sources", page(desk, sources, Permission.SOURCES), methods=["GET"])]


def sources(ctx: Ctx) -> Response:
    known = {health.source: health for health in ctx.desk.deps.store.health.all()}
    names = sorted(set(known) | set(ctx.desk.deps.known_sources()))
    now = ctx.desk.deps.clock.now()
    rows = []
    for name in names:
        health = known.get(name)
        rows.append({
            "name": name, "health": health, "state": _state(health),
            "token_soon": health is not None and health.token_expires_at is not None
            and health.token_expires_at - now < TOKEN_WARNING,
        })
    return ctx.render("sources.html", rows=rows)


def _state(health: SourceHealth | None) -> str:
    if health is None:
        return "never"
    if health.auth_broken:
        return "token_broken"
    return "ok" if health.healthy else "backing_off"
