"""A coordinator works its agency's cases on the board: SLA clocks, assignment, notes, status, the reply trail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from dashboard_support import desk_client, ingest, login, mention, open_case, post_form

from core.clock import ManualClock
from core.domain import CaseStatus, Platform, Reply, ReplyKind, ReplyStatus
from core.store import Store


@pytest.fixture
def coordinator(store: Store, clock: ManualClock) -> Iterator[object]:
    with desk_client(store, clock) as client:
        login(client, "coord_moi")
        yield client


def test_a_coordinator_assigns_notes_and_moves_a_case_and_each_step_is_audited(
        coordinator, store: Store, clock: ManualClock) -> None:
    [mention_id] = ingest(store, [mention("m1", "ไฟฟ้าดับทั้งหมู่บ้านสามวันแล้ว", clock.now())])
    case_id = open_case(store, mention_id, "MOI")
    page = f"/cases/{case_id}"

    assigned = post_form(coordinator, page, f"/cases/{case_id}/assign", {"assignee": "coord_moi"})
    noted = post_form(coordinator, page, f"/cases/{case_id}/note", {"note": "ประสาน กฟภ. แล้ว"})
    moved = post_form(coordinator, page, f"/cases/{case_id}/status",
                      {"status": "in_progress", "note": "ช่างกำลังเข้าพื้นที่"})

    assert [r.status_code for r in (assigned, noted, moved)] == [303, 303, 303]
    case = store.cases.get(case_id)
    assert case.status is CaseStatus.IN_PROGRESS and case.assignee == "coord_moi"
    kinds = [(e["kind"], e["by"], e["note"]) for e in store.cases.events(case_id)]
    assert kinds[1:] == [("assignment", "coord_moi", "coord_moi"), ("note", "coord_moi", "ประสาน กฟภ. แล้ว"),
                         ("status", "coord_moi", "ช่างกำลังเข้าพื้นที่")]
    audited = [(e.actor, e.action, e.target) for e in reversed(store.audit.recent(10)) if e.action.startswith("case.")]
    assert audited == [("coord_moi", action, case.tracking_number)
                       for action in ("case.assign", "case.note", "case.status")]
    shown = coordinator.get(page).text
    assert "ประสาน กฟภ. แล้ว" in shown and "กำลังดำเนินการ" in shown


def test_an_impossible_status_change_is_refused_and_explained(coordinator, store: Store,
                                                             clock: ManualClock) -> None:
    [mention_id] = ingest(store, [mention("m1", "ถนนพัง", clock.now())])
    case_id = open_case(store, mention_id, "MOI")
    post_form(coordinator, f"/cases/{case_id}", f"/cases/{case_id}/status", {"status": "closed"})

    reopened = post_form(coordinator, f"/cases/{case_id}", f"/cases/{case_id}/status", {"status": "new"})

    assert "error=transition" in reopened.headers["location"]
    assert "เปลี่ยนเป็นสถานะนี้ไม่ได้" in coordinator.get(reopened.headers["location"]).text
    assert store.cases.get(case_id).status is CaseStatus.CLOSED


def test_only_the_agencys_coordinators_can_be_assigned(sqlite_store: Store, clock: ManualClock) -> None:
    [mention_id] = ingest(sqlite_store, [mention("m1", "ถนนพัง", clock.now())])
    case_id = open_case(sqlite_store, mention_id, "MOI")
    with desk_client(sqlite_store, clock) as client:
        login(client, "coord_moi")

        response = post_form(client, f"/cases/{case_id}", f"/cases/{case_id}/assign", {"assignee": "coord_moph"})

    assert response.status_code == 400
    assert sqlite_store.cases.get(case_id).assignee == ""


def test_the_board_shows_sla_clocks_and_puts_overdue_cases_first(sqlite_store: Store, clock: ManualClock) -> None:
    ids = ingest(sqlite_store, [mention(f"m{n}", text, clock.now()) for n, text in
                                enumerate(["ไฟดับหน้าบ้าน", "น้ำประปาไม่ไหล", "ขยะไม่เก็บ"])])
    late = open_case(sqlite_store, ids[0], "MOI", sla=timedelta(hours=2))
    soon = open_case(sqlite_store, ids[1], "MOI", sla=timedelta(hours=6))
    fine = open_case(sqlite_store, ids[2], "MOI", sla=timedelta(hours=72))
    clock.advance(hours=5)  # the first is 3 h late, the second within its last quarter

    with desk_client(sqlite_store, clock) as client:
        login(client, "coord_moi")
        board = client.get("/cases").text

    order = [board.index(sqlite_store.cases.get(n).tracking_number) for n in (late, soon, fine)]
    assert order == sorted(order)
    assert "sla-overdue" in board and "เกินกำหนด 3 ชม." in board
    assert "sla-soon" in board and "เหลือ 1 ชม." in board
    assert "เกินกำหนด 1" in board  # the column's overdue count


def test_the_case_page_shows_what_the_citizen_was_told_but_not_internal_alerts(
        sqlite_store: Store, clock: ManualClock) -> None:
    [mention_id] = ingest(sqlite_store, [mention("m1", "น้ำท่วมถนน", clock.now(), platform=Platform.FACEBOOK)])
    case_id = open_case(sqlite_store, mention_id, "MOI")
    for kind, text, status in ((ReplyKind.ACKNOWLEDGEMENT, "รับเรื่องแล้ว เลขที่ GCC", ReplyStatus.SENT),
                               (ReplyKind.ALERT, "แจ้งเวร: เรื่องด่วน", ReplyStatus.SENT)):
        sqlite_store.outbox.enqueue(Reply(key=f"{kind.value}:case:{case_id}", kind=kind, platform=Platform.FACEBOOK,
                                          target="c1", text=text, status=status, created_at=clock.now(),
                                          mention_id=mention_id, case_id=case_id))

    with desk_client(sqlite_store, clock) as client:
        login(client, "coord_moi")
        page = client.get(f"/cases/{case_id}").text

    assert "รับเรื่องแล้ว เลขที่ GCC" in page and "แจ้งรับเรื่อง" in page
    assert "แจ้งเวร: เรื่องด่วน" not in page
    assert "น้ำท่วมถนน" in page


def test_an_admin_chooses_the_agency_and_sees_every_column(sqlite_store: Store, clock: ManualClock) -> None:
    ids = ingest(sqlite_store, [mention("a", "ไฟดับ", clock.now()), mention("b", "ยาไม่พอ", clock.now())])
    open_case(sqlite_store, ids[0], "MOI")
    other = open_case(sqlite_store, ids[1], "MOPH")
    sqlite_store.cases.change_status(other, CaseStatus.IN_PROGRESS, "tester")

    with desk_client(sqlite_store, clock) as client:
        login(client, "admin")
        everything = client.get("/cases").text
        moph = client.get("/cases?agency=MOPH").text
        column = client.get("/cases?status=in_progress").text

    assert "ไฟดับ" in everything and "ยาไม่พอ" in everything
    assert "ยาไม่พอ" in moph and "ไฟดับ" not in moph
    assert "ยาไม่พอ" in column and "ไฟดับ" not in column
