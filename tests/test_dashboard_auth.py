"""Accounts on the web desk: login, lockout, expiring sessions that keep a half-written form, CSRF, headers."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from dashboard_support import PASSWORD, csrf_of, desk_client, ingest, login, mention, open_case, post_form
from markupsafe import escape

from core.clock import ManualClock
from core.store import Store
from core.store.users import MAX_FAILED_LOGINS


@pytest.fixture
def client(sqlite_store: Store, clock: ManualClock) -> Iterator[object]:
    with desk_client(sqlite_store, clock) as client:
        yield client


def actions(store: Store) -> list[tuple[str, str]]:
    return [(event.actor, event.action) for event in reversed(store.audit.recent(200))]


def test_login_lands_on_the_roles_first_page_and_is_audited(client, sqlite_store: Store) -> None:
    analyst = login(client, "analyst")
    assert analyst.status_code == 303 and analyst.headers["location"] == "/mentions"
    assert client.get("/mentions").status_code == 200

    client.cookies.clear()
    assert login(client, "coord_moi").headers["location"] == "/cases"
    client.cookies.clear()
    assert login(client, "pr").headers["location"] == "/insight"
    assert actions(sqlite_store)[-3:] == [("analyst", "auth.login"), ("coord_moi", "auth.login"), ("pr", "auth.login")]


def test_a_wrong_password_is_refused_with_a_message_that_names_nothing(client, sqlite_store: Store) -> None:
    wrong = login(client, "analyst", "not the password")
    unknown = login(client, "nobody-here", "not the password")

    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in response.text
    assert client.get("/mentions", follow_redirects=False).status_code == 303  # still not signed in
    assert ("analyst", "auth.login_failed") in actions(sqlite_store)


def test_repeated_failures_lock_the_account_even_against_the_right_password(client, sqlite_store: Store,
                                                                            clock: ManualClock) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        login(client, "analyst", "guessing")

    locked = login(client, "analyst", PASSWORD)

    assert locked.status_code == 401
    assert ("analyst", "auth.locked") in actions(sqlite_store)
    clock.advance(minutes=16)  # the lockout is over
    assert login(client, "analyst", PASSWORD).status_code == 303


def test_an_expired_session_goes_back_to_login_and_returns_to_the_page(client, clock: ManualClock) -> None:
    login(client, "analyst")
    clock.advance(minutes=61)  # the session lasts 60 minutes in these tests

    response = client.get("/mentions?label=complaint", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    page = client.get(response.headers["location"])
    assert "เซสชันหมดอายุ" in page.text
    again = client.post("/login", data={"csrf": csrf_of(page.text), "username": "analyst", "password": PASSWORD,
                                        "next": "/mentions?label=complaint"}, follow_redirects=False)
    assert again.headers["location"] == "/mentions?label=complaint"


def test_a_form_posted_after_expiry_is_kept_through_login_and_sent_only_when_asked(client, sqlite_store: Store,
                                                                                   clock: ManualClock) -> None:
    [mention_id] = ingest(sqlite_store, [mention("m1", "ไฟดับทั้งซอย", clock.now())])
    case_id = open_case(sqlite_store, mention_id, "MOI")
    login(client, "coord_moi")
    form_page = client.get(f"/cases/{case_id}")
    clock.advance(minutes=61)
    note = 'โทรหาผู้แจ้งแล้ว <b>นัดช่างพรุ่งนี้</b> "09:00"'

    expired = client.post(f"/cases/{case_id}/note", data={"csrf": csrf_of(form_page.text), "note": note})

    assert expired.status_code == 401
    assert "ข้อมูลที่คุณกรอกไว้ยังอยู่" in expired.text
    assert "<b>นัดช่างพรุ่งนี้</b>" not in expired.text  # carried as escaped text, never as markup
    assert [e["kind"] for e in sqlite_store.cases.events(case_id)] == ["status"]  # nothing was saved yet
    draft = html.unescape(re.search(r'name="draft" value="([^"]*)"', expired.text).group(1))
    resume = client.post("/login", data={"csrf": csrf_of(expired.text), "username": "coord_moi",
                                         "password": PASSWORD, "draft_action": f"/cases/{case_id}/note",
                                         "draft": draft})
    assert resume.status_code == 200
    assert f'action="/cases/{case_id}/note"' in resume.text
    assert str(escape(note)) in resume.text  # in a textarea, as text
    assert [e["kind"] for e in sqlite_store.cases.events(case_id)] == ["status"]  # still only on request

    sent = client.post(f"/cases/{case_id}/note", data={"csrf": csrf_of(resume.text), "note": note},
                       follow_redirects=False)

    assert sent.status_code == 303
    assert [e["note"] for e in sqlite_store.cases.events(case_id) if e["kind"] == "note"] == [note]


def test_a_draft_cannot_send_the_browser_to_another_site(client) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"csrf": csrf_of(page.text), "username": "analyst", "password": PASSWORD,
                                           "draft_action": "//evil.example/steal", "draft": '[["note", "x"]]',
                                           "next": "https://evil.example/"}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/mentions"


def test_posts_without_the_sessions_csrf_token_are_refused(client, sqlite_store: Store, clock: ManualClock) -> None:
    [mention_id] = ingest(sqlite_store, [mention("m1", "ถนนพัง", clock.now())])
    login(client, "analyst")

    missing = client.post(f"/mentions/{mention_id}/relabel", data={"label": "complaint"})
    wrong = client.post(f"/mentions/{mention_id}/relabel", data={"label": "complaint", "csrf": "forged-token"})

    for response in (missing, wrong):
        assert response.status_code == 403
        assert "แบบฟอร์มไม่ถูกต้องหรือหมดอายุ" in response.text and "The form is invalid or expired" in response.text
    assert sqlite_store.mentions.get(mention_id).stage.value == "new"
    client.cookies.clear()
    assert client.post("/login", data={"username": "analyst", "password": PASSWORD}).status_code == 403


def test_logging_out_ends_the_session(client, sqlite_store: Store) -> None:
    login(client, "analyst")

    out = post_form(client, "/mentions", "/logout", {})

    assert out.status_code == 303
    assert client.get("/mentions", follow_redirects=False).headers["location"].startswith("/login")
    assert ("analyst", "auth.logout") in actions(sqlite_store)


def test_a_forged_session_cookie_is_ignored(client) -> None:
    client.cookies.set("gcc1111_session", "eyJjIjoieCIsInUiOjF9.forged")

    response = client.get("/mentions", follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_every_page_has_strict_security_headers_and_an_explicit_charset(client) -> None:
    login_page = client.get("/login")
    static = client.get("/static/app.css")

    for response in (login_page, static):
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert login_page.headers["content-type"] == "text/html; charset=utf-8"
    assert login_page.headers["cache-control"] == "no-store"
    assert "<script>" not in login_page.text and " style=" not in login_page.text  # nothing inline for CSP to allow
    cookie = login_page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_the_english_switch_and_thai_buddhist_era_dates(client, sqlite_store: Store, clock: ManualClock) -> None:
    ingest(sqlite_store, [mention("m1", "สอบถามค่ะ", clock.now())])  # 24 Nov 2026 09:00 in Bangkok
    login(client, "analyst")

    thai = client.get("/mentions")
    client.get("/lang/en?next=/mentions")
    english = client.get("/mentions")

    assert "ข้อความจากประชาชน" in thai.text and "24 พ.ย. 2569 09:00" in thai.text
    assert "Mentions" in english.text and "24 Nov 2026 09:00" in english.text
    assert client.get("/lang/en?next=https://evil.example/", follow_redirects=False).headers["location"] == "/"


def test_an_oversized_form_is_refused(client) -> None:
    login(client, "analyst")
    page = client.get("/mentions")

    response = client.post("/mentions/bulk", data={"csrf": csrf_of(page.text), "note": "ก" * 600_000})

    assert response.status_code == 413


def test_the_session_lifetime_comes_from_the_settings(sqlite_store: Store, clock: ManualClock) -> None:
    with desk_client(sqlite_store, clock, session_minutes=5) as client:
        login(client, "analyst")
        clock.advance(timedelta(minutes=4).total_seconds())
        assert client.get("/mentions", follow_redirects=False).status_code == 200
        clock.advance(timedelta(minutes=2).total_seconds())
        assert client.get("/mentions", follow_redirects=False).status_code == 303
