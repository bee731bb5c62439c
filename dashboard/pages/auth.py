"""Logging in and out, the language switch, and the start page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from dashboard.access import Permission, home
from dashboard.deps import Desk
from dashboard.formatting import local_path
from dashboard.i18n import LANGUAGES
from dashboard.sessions import LANG_COOKIE
from dashboard.web import Ctx, page, read_draft

MAX_USERNAME = 64
MAX_PASSWORD = 1024


def routes(desk: Desk) -> list[Route]:
    return [
        Route("/", page(desk, start, Permission.SIGNED_IN), methods=["GET"]),
        Route("/login", page(desk, login_form, None), methods=["GET"]),
        Route("/login", page(desk, login, None), methods=["POST"]),
        Route("/logout", page(desk, logout, Permission.SIGNED_IN), methods=["POST"]),
        Route("/lang/{code}", switch_language, methods=["GET"]),
    ]


def start(ctx: Ctx) -> Response:
    return ctx.redirect(home(ctx.me))


def login_form(ctx: Ctx) -> Response:
    if ctx.user is not None:
        return ctx.redirect(home(ctx.user))
    return ctx.render("login.html", next=local_path(ctx.arg("next"), ""), expired=ctx.arg("expired") == "1",
                      failed=False, username="", draft_action="", draft="")


def login(ctx: Ctx) -> Response:
    """Check the password (the store counts failures and locks the account), then start a new session."""
    username = ctx.field("username").strip()[:MAX_USERNAME]
    password = ctx.field("password")[:MAX_PASSWORD]
    target = local_path(ctx.field("next"), "")
    store = ctx.desk.deps.store
    was_locked = bool(username) and store.users.is_locked(username)
    user = store.users.authenticate(username, password) if username and password else None
    if user is None or user.id is None:
        store.audit.record(username or "-", "auth.login_failed", "login")
        if username and not was_locked and store.users.is_locked(username):
            store.audit.record(username, "auth.locked", "login")
        return ctx.render("login.html", status=401, failed=True, expired=False, username=username, next=target,
                          draft_action=ctx.field("draft_action"), draft=ctx.field("draft"))
    ctx.new_session = ctx.desk.codec.login(user.id)
    ctx.user = user
    store.audit.record(user.username, "auth.login", "login")
    if ctx.desk.deps.warm_insight:
        ctx.desk.insight.warm_in_background()
    draft = read_draft(ctx.field("draft"), ctx.field("draft_action"))
    if draft is not None:
        action, fields = draft
        return ctx.render("resume.html", action=action, fields=fields, names=field_names(ctx))
    # `next` is a full path on this site (as the browser asked for it), so it is not prefixed again.
    return RedirectResponse(target, status_code=303) if target else ctx.redirect(home(user))


def logout(ctx: Ctx) -> Response:
    ctx.desk.deps.store.audit.record(ctx.me.username, "auth.logout", "login")
    ctx.new_session = ctx.desk.codec.fresh()
    ctx.user = None
    return ctx.redirect("/login")


async def switch_language(request: Request) -> Response:
    """Remember the chosen language in a cookie and go back where the switch was pressed."""
    code = request.path_params["code"]
    target = local_path(request.query_params.get("next"), "/")
    response = RedirectResponse(target, status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="lax", path="/")
    return response


def field_names(ctx: Ctx) -> dict[str, str]:
    """What the fields of the desk's forms are called on screen."""
    return {
        "label": ctx.t("mentions.filter.label"), "agency": ctx.t("mentions.filter.agency"),
        "urgent": ctx.t("mentions.filter.urgent"), "ids": ctx.t("mentions.select"),
        "status": ctx.t("cases.change_status"), "assignee": ctx.t("cases.assignee"), "note": ctx.t("cases.note"),
    }
