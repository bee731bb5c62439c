"""Roles on the web desk: every page checks them, and a coordinator never reaches another agency's case."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from dashboard_support import STAFF, csrf_of, desk_client, ingest, login, mention, open_case
from starlette.routing import Mount, Route

from core.clock import ManualClock
from core.domain import CaseStatus, Role
from core.store import Store
from dashboard.access import ROLES, Permission

PAGES = {
    "/mentions": Permission.MENTIONS,
    "/mentions/export.csv": Permission.MENTIONS,
    "/cases": Permission.CASES_VIEW,
    "/insight": Permission.INSIGHT,
    "/insight/data/agencies.json": Permission.INSIGHT,
    "/sources": Permission.SOURCES,
    "/audit": Permission.AUDIT,
    "/broadcasts": Permission.BROADCASTS,
}


@pytest.fixture
def client(sqlite_store: Store, clock: ManualClock) -> Iterator[object]:
    with desk_client(sqlite_store, clock) as client:
        yield client


def without_tokens(page: str) -> str:
    """A page less what differs by request anyway: its CSRF token and the path it echoes for the language switch."""
    page = re.sub(r'name="csrf" value="[^"]+"', "", page)
    return re.sub(r"next=[^\"]+", "", page)


@pytest.mark.parametrize(("username", "role", "_agency"), STAFF)
def test_each_role_opens_exactly_the_pages_its_permissions_allow(client, username: str, role: Role,
                                                                 _agency: str | None) -> None:
    login(client, username)

    for path, permission in PAGES.items():
        response = client.get(path, follow_redirects=False)
        expected = 200 if role in ROLES[permission] else 403
        assert response.status_code == expected, (username, path)
        if expected == 403:
            assert "ไม่มีสิทธิ์เข้าถึง" in response.text and "Access denied" in response.text


def test_no_page_but_login_opens_without_an_account(client, sqlite_store: Store) -> None:
    app = client.app.app  # the Starlette app inside the security-headers wrapper
    open_paths = {"/login", "/lang/{code}", "/static"}
    for route in app.routes:
        if isinstance(route, Mount) or route.path in open_paths:
            continue
        assert isinstance(route, Route)
        path = route.path.replace("{mention_id:int}", "1").replace("{case_id:int}", "1").replace("{name}", "terms")
        path = path.replace("{broadcast_id:int}", "1")
        for method in sorted(route.methods or {"GET"}):
            if method == "HEAD":
                continue
            response = client.request(method, path, follow_redirects=False)
            assert response.status_code in (303, 401, 403), (method, path)
            if response.status_code == 303:
                assert response.headers["location"].startswith("/login")


def test_a_coordinator_cannot_open_another_agencys_case_even_by_url(client, sqlite_store: Store,
                                                                    clock: ManualClock) -> None:
    ids = ingest(sqlite_store, [mention("a", "ไฟดับ", clock.now()), mention("b", "ยาไม่พอ", clock.now())])
    own = open_case(sqlite_store, ids[0], "MOI")
    other = open_case(sqlite_store, ids[1], "MOPH")
    login(client, "coord_moi")

    mine = client.get(f"/cases/{own}")
    theirs = client.get(f"/cases/{other}")
    missing = client.get("/cases/999999")

    assert mine.status_code == 200 and "ไฟดับ" in mine.text
    assert theirs.status_code == 403 and missing.status_code == 403
    assert without_tokens(theirs.text) == without_tokens(missing.text)  # nothing tells them apart
    assert "ยาไม่พอ" not in theirs.text and sqlite_store.cases.get(other).tracking_number not in theirs.text


def test_a_coordinator_cannot_change_another_agencys_case(client, sqlite_store: Store, clock: ManualClock) -> None:
    ids = ingest(sqlite_store, [mention("a", "ไฟดับ", clock.now()), mention("b", "ยาไม่พอ", clock.now())])
    own = open_case(sqlite_store, ids[0], "MOI")
    other = open_case(sqlite_store, ids[1], "MOPH")
    login(client, "coord_moi")
    token = csrf_of(client.get(f"/cases/{own}").text)

    attempts = [
        client.post(f"/cases/{other}/status", data={"csrf": token, "status": "in_progress"}),
        client.post(f"/cases/{other}/note", data={"csrf": token, "note": "แอบเขียน"}),
        client.post(f"/cases/{other}/assign", data={"csrf": token, "assignee": "coord_moi"}),
    ]

    assert [r.status_code for r in attempts] == [403, 403, 403]
    case = sqlite_store.cases.get(other)
    assert case.status is CaseStatus.NEW and case.assignee == ""
    assert [e["kind"] for e in sqlite_store.cases.events(other)] == ["status"]


def test_a_coordinators_board_holds_only_its_agency(client, sqlite_store: Store, clock: ManualClock) -> None:
    ids = ingest(sqlite_store, [mention("a", "ไฟดับที่ตำบลนี้", clock.now()),
                                mention("b", "ยาไม่พอที่โรงพยาบาล", clock.now())])
    open_case(sqlite_store, ids[0], "MOI")
    open_case(sqlite_store, ids[1], "MOPH")
    login(client, "coord_moi")

    board = client.get("/cases?agency=MOPH")  # asking for another agency changes nothing

    assert "ไฟดับที่ตำบลนี้" in board.text and "ยาไม่พอที่โรงพยาบาล" not in board.text


def test_an_analyst_reads_cases_but_cannot_work_them(client, sqlite_store: Store, clock: ManualClock) -> None:
    [mention_id] = ingest(sqlite_store, [mention("a", "ไฟดับ", clock.now())])
    case_id = open_case(sqlite_store, mention_id, "MOI")
    login(client, "analyst")

    page = client.get(f"/cases/{case_id}")
    change = client.post(f"/cases/{case_id}/status", data={"csrf": csrf_of(page.text), "status": "closed"})

    assert page.status_code == 200 and "คุณดูเรื่องนี้ได้อย่างเดียว" in page.text
    assert change.status_code == 403
    assert sqlite_store.cases.get(case_id).status is CaseStatus.NEW
