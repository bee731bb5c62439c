"""The web desk as one ASGI app: `create_app(deps)`; config/dashboard_wiring.py builds deps from settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from core.store.audit_browse import AuditBrowser
from core.store.board import CaseBoard
from core.store.desk import MentionDesk
from core.store.insight import InsightQueries
from dashboard import formatting
from dashboard.deps import Desk, DeskDeps
from dashboard.i18n import Translator, language
from dashboard.insight import InsightService
from dashboard.pages import audit, auth, broadcasts, cases, insight, mentions, sources
from dashboard.security import SecurityHeaders
from dashboard.sessions import LANG_COOKIE, SessionCodec
from dashboard.terms import default_tokenizer

HERE = Path(__file__).resolve().parent


def create_app(deps: DeskDeps) -> SecurityHeaders:
    """Build the desk: every route behind the session, CSRF and role checks, every page autoescaped."""
    desk = build_desk(deps)
    routes: list[BaseRoute] = [
        *auth.routes(desk), *mentions.routes(desk), *cases.routes(desk), *broadcasts.routes(desk),
        *insight.routes(desk), *sources.routes(desk), *audit.routes(desk),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error, Exception: _server_error})
    return SecurityHeaders(app, https=deps.secure_cookies)


def build_desk(deps: DeskDeps) -> Desk:
    store = deps.store
    return Desk(
        deps=deps,
        codec=SessionCodec(deps.secret_key, timedelta(minutes=deps.session_minutes), deps.clock),
        templates=templates(),
        mentions=MentionDesk(store.engine, deps.clock),
        board=CaseBoard(store.engine, deps.clock),
        audit=AuditBrowser(store.engine),
        insight=InsightService(InsightQueries(store.engine, deps.clock), deps.clock, deps.insight_cache_seconds,
                               deps.tokenize or default_tokenizer()),
    )


def templates() -> jinja2.Environment:
    """Jinja2 with autoescaping on for every template: all public text is escaped, no exceptions."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=formatting.when, public=formatting.public, clip=formatting.clip, href=formatting.safe_href,
        day=formatting.day,
    )
    return env


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods: a plain bilingual page that names nothing."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    kind = "not_found" if status == 404 else "bad_request"
    return _plain_error(request, status, kind)


async def _server_error(request: Request, exc: Exception) -> Response:
    return _plain_error(request, 500, "bad_request")


def _plain_error(request: Request, status: int, kind: str) -> Response:
    lang = language(request.cookies.get(LANG_COOKIE))
    th, en = Translator("th"), Translator("en")
    first, second = (th, en) if lang == "th" else (en, th)
    body = (
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>GCC 1111</title>"
        "<link rel=\"stylesheet\" href=\"/static/app.css\"></head><body class=\"error-page\"><main>"
        f"<h1>{first(f'error.{kind}.title')}</h1><p>{first(f'error.{kind}.body')}</p>"
        f"<h2 lang=\"{'en' if first is th else 'th'}\">{second(f'error.{kind}.title')}</h2>"
        f"<p>{second(f'error.{kind}.body')}</p><p><a href=\"/\">{first('error.home')}</a></p></main></body></html>"
    )
    return HTMLResponse(body, status_code=status, media_type="text/html; charset=utf-8")
