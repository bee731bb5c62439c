"""The request pipeline every page goes through: session, login, CSRF, role check, then the page itself.

Pages are plain functions `(Ctx) -> Response` that run in a worker thread (the store is synchronous);
`page()` wraps each one with the checks, so no route can forget them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from core.domain import User
from dashboard.access import NAV, Permission, allowed
from dashboard.deps import Desk
from dashboard.formatting import local_path
from dashboard.i18n import Translator, language
from dashboard.security import BodyTooLarge
from dashboard.sessions import LANG_COOKIE, SESSION_COOKIE, Session, SessionState, csrf_matches

Handler = Callable[["Ctx"], Response]
CSRF_FIELD = "csrf"


@dataclass
class Ctx:
    """One request as a page sees it."""

    request: Request
    desk: Desk
    session: Session
    lang: str
    user: User | None = None
    form: dict[str, list[str]] = field(default_factory=dict)
    new_session: Session | None = None  # set when the page replaces the session (login, logout)

    @property
    def t(self) -> Translator:
        return Translator(self.lang)

    @property
    def me(self) -> User:
        assert self.user is not None, "only signed-in pages use ctx.me"
        return self.user

    def field(self, name: str, default: str = "") -> str:
        values = self.form.get(name)
        return values[0] if values else default

    def fields(self, name: str) -> list[str]:
        return list(self.form.get(name, []))

    def arg(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def url(self, path: str, **params: Any) -> str:
        root = self.request.scope.get("root_path", "")
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return f"{root}{path}" + (f"?{query}" if query else "")

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        session = self.new_session or self.session
        values = {
            "t": self.t, "lang": self.lang, "user": self.user, "csrf": session.csrf, "url": self.url,
            "path": self.request.url.path, "nav": self._nav(), "allowed": lambda p: allowed(self.user, p),
            "Permission": Permission, "agency_name": self.agency_name, **context,
        }
        html = self.desk.templates.get_template(template).render(values)
        return HTMLResponse(html, status_code=status, media_type="text/html; charset=utf-8")

    def redirect(self, path: str, **params: Any) -> RedirectResponse:
        return RedirectResponse(self.url(path, **params), status_code=303)

    def error(self, kind: str, status: int) -> HTMLResponse:
        """A bilingual error page that says what happened and nothing about what exists."""
        return self.render("error.html", status=status, kind=kind, both=(Translator("th"), Translator("en")))

    def forbidden(self) -> HTMLResponse:
        return self.error("forbidden", 403)

    def not_found(self) -> HTMLResponse:
        return self.error("not_found", 404)

    def bad_request(self) -> HTMLResponse:
        return self.error("bad_request", 400)

    def agency_name(self, code: str | None) -> str:
        agency = self.desk.deps.agencies.get(code)
        if agency is None:
            return code or ""
        return agency.name_en if self.lang == "en" else agency.name_th

    def _nav(self) -> list[tuple[str, str, bool]]:
        path = self.request.url.path
        return [
            (self.url(target), self.t(key), path == target or path.startswith(target + "/"))
            for permission, target, key in NAV
            if allowed(self.user, permission)
        ]


def page(desk: Desk, handler: Handler, permission: Permission | None) -> Callable[[Request], Any]:
    """Wrap a page: permission None means open to anyone (the login page); otherwise signed in and allowed."""

    async def endpoint(request: Request) -> Response:
        form: dict[str, list[str]] = {}
        if request.method == "POST":
            try:
                parsed = await request.form(max_files=0, max_fields=2000)
            except BodyTooLarge:
                return HTMLResponse("ข้อมูลใหญ่เกินไป / Request too large", status_code=413)
            for key, value in parsed.multi_items():
                if isinstance(value, str):
                    form.setdefault(key, []).append(value)
        return await run_in_threadpool(_dispatch, desk, handler, permission, request, form)

    return endpoint


def _dispatch(desk: Desk, handler: Handler, permission: Permission | None, request: Request,
              form: dict[str, list[str]]) -> Response:
    session, state = desk.codec.load(request.cookies.get(SESSION_COOKIE))
    lang = language(request.cookies.get(LANG_COOKIE))
    if session is None or state is SessionState.EXPIRED:
        fresh = desk.codec.fresh()
        ctx = Ctx(request, desk, fresh, lang, form=form, new_session=fresh)
    else:
        ctx = Ctx(request, desk, session, lang, form=form)
    if state is SessionState.ACTIVE and session is not None and session.user_id is not None:
        user = desk.deps.store.users.get_by_id(session.user_id)
        ctx.user = user if user is not None and user.active else None
    response = _checked(ctx, handler, permission, expired=state is SessionState.EXPIRED)
    if ctx.new_session is not None:
        set_session_cookie(desk, response, ctx.new_session)
    return response


def _checked(ctx: Ctx, handler: Handler, permission: Permission | None, *, expired: bool) -> Response:
    request = ctx.request
    if permission is None:
        if request.method == "POST" and not csrf_matches(ctx.session, ctx.field(CSRF_FIELD)):
            return ctx.error("csrf", 403)
        return handler(ctx)
    if ctx.user is None:
        return _sign_in_first(ctx, expired=expired)
    if request.method == "POST" and not csrf_matches(ctx.session, ctx.field(CSRF_FIELD)):
        return ctx.error("csrf", 403)
    if not allowed(ctx.user, permission):
        return ctx.forbidden()
    return handler(ctx)


def _sign_in_first(ctx: Ctx, *, expired: bool) -> Response:
    """Not signed in: a page visit goes to the login form; a form post keeps what was written."""
    request = ctx.request
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "POST":
        return ctx.redirect("/login", next=target, expired="1" if expired else None)
    # Nothing is done with the form: it is carried through the login and shown again for a deliberate send.
    draft = [(name, value) for name, values in ctx.form.items() if name != CSRF_FIELD for value in values]
    return ctx.render("login.html", status=401, next=target, expired=True, failed=False, username="",
                      draft_action=target, draft=json.dumps(draft, ensure_ascii=False))


def set_session_cookie(desk: Desk, response: Response, session: Session) -> None:
    signed_in = session.user_id is not None
    response.set_cookie(
        SESSION_COOKIE, desk.codec.dump(session), max_age=int(desk.codec.lifetime.total_seconds()) if signed_in
        else None, httponly=True, samesite="lax", secure=desk.deps.secure_cookies, path="/",
    )


def read_draft(raw: str, action: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The form kept through a login: its target on this site and its fields; None when unusable."""
    target = local_path(action, fallback="")
    if not target:
        return None
    try:
        fields = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(fields, list):
        return None
    kept = [(str(pair[0]), str(pair[1])) for pair in fields
            if isinstance(pair, list) and len(pair) == 2 and pair[0] != CSRF_FIELD]
    return target, kept


def query_string(params: Mapping[str, Any]) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})
