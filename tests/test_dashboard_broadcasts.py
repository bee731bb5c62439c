"""Broadcast pages on the web desk: roles, CSRF, the editor and its per-channel preview, four eyes, cancel,
the audited emergency path, the 14-day calendar in Bangkok time and the history of published posts."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from broadcast_support import build_desk
from dashboard_support import PASSWORD, SECRET, add_staff, agencies, csrf_of, fast_passwords, login

from config.dashboard_wiring import BroadcastActions, dashboard_app
from config.settings import load_settings
from config.wiring import build_system
from core.clock import ManualClock
from core.domain import BroadcastStatus, DeliveryStatus, Platform, Role, User
from core.store import Store
from dashboard.app import create_app
from dashboard.deps import DeskDeps

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

EMERGENCY_PR = "pr_chief"  # a PR officer allowed emergency posts
TOMORROW_10 = "2026-11-25T10:00"  # Bangkok local; the ManualClock starts 24 Nov 2026 09:00 Bangkok
Client = Callable[[str], TestClient]


@pytest.fixture
def as_user(store: Store, clock: ManualClock) -> Iterator[Client]:
    """One real app over `store` with the broadcast workflow wired as config wires it; a signed-in client per user."""
    fast_passwords(store)
    add_staff(store)
    store.users.add(User(username=EMERGENCY_PR, role=Role.PR, can_emergency_post=True), PASSWORD)
    actions = BroadcastActions(build_desk(store, clock, {}))
    app = create_app(DeskDeps(store=store, agencies=agencies(), clock=clock, secret_key=SECRET,
                              tokenize=str.split, broadcasts=actions))
    opened: list[TestClient] = []

    def signed_in(username: str) -> TestClient:
        client = TestClient(app, base_url="http://desk.test")
        client.__enter__()
        opened.append(client)
        assert login(client, username).status_code == 303
        return client

    yield signed_in
    for client in opened:
        client.__exit__(None, None, None)


def draft_fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"title": "แจ้งปิดปรับปรุงระบบ", "text": "ระบบจะปิดปรับปรุงคืนนี้ 22:00 น.",
                              "template": "", "channels": ["telegram", "facebook"], "timing": "once",
                              "run_at": TOMORROW_10, "cron": "", "action": "save"}
    fields.update(changes)
    return fields


def create(client: TestClient, **changes: Any) -> Any:
    form = client.get("/broadcasts/new")
    return client.post("/broadcasts/new", data={"csrf": csrf_of(form.text), **draft_fields(**changes)},
                       follow_redirects=False)


def created_id(response: Any) -> int:
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["location"].split("?")[0].rsplit("/", 1)[1])


def act(client: TestClient, broadcast_id: int, action: str, **fields: str) -> Any:
    page = client.get(f"/broadcasts/{broadcast_id}")
    return client.post(f"/broadcasts/{broadcast_id}/{action}", data={"csrf": csrf_of(page.text), **fields},
                       follow_redirects=False)


def audited(store: Store, prefix: str = "broadcast.") -> list[tuple[str, str]]:
    return [(e.actor, e.action) for e in reversed(store.audit.recent(50)) if e.action.startswith(prefix)]


def test_analysts_and_coordinators_see_nothing_of_broadcasts(as_user: Client) -> None:
    for username in ("analyst", "coord_moi"):
        client = as_user(username)
        token = csrf_of(client.get("/cases").text)
        pages = [client.get("/broadcasts"), client.get("/broadcasts/new"),
                 client.post("/broadcasts/preview", data={"csrf": token, "channels": "twitter", "text": "x"}),
                 client.post("/broadcasts/new", data={"csrf": token, **draft_fields()})]
        assert [p.status_code for p in pages] == [403, 403, 403, 403], username
        assert all("ระบบจะปิดปรับปรุง" not in p.text for p in pages)
        assert 'href="/broadcasts"' not in pages[0].text  # not in their navigation either
    for username in ("pr", "approver", "admin"):
        assert as_user(username).get("/broadcasts").status_code == 200


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_created(as_user: Client, store: Store) -> None:
    client = as_user("pr")

    response = client.post("/broadcasts/new", data=draft_fields(), follow_redirects=False)

    assert response.status_code == 403
    assert store.broadcasts.with_status() == []


def test_pr_creates_a_draft_entered_in_bangkok_time_and_stored_in_utc(as_user: Client, store: Store) -> None:
    client = as_user("pr")

    broadcast_id = created_id(create(client))

    saved = store.broadcasts.get(broadcast_id)
    assert saved is not None and saved.status is BroadcastStatus.DRAFT and saved.author == "pr"
    assert saved.run_at == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert saved.channels == (Platform.FACEBOOK, Platform.TELEGRAM)
    detail = client.get(f"/broadcasts/{broadcast_id}").text
    assert "ร่าง รออนุมัติ" in detail and "25 พ.ย. 2569 10:00" in detail
    calendar = client.get("/broadcasts").text
    day = calendar.split("25 พ.ย. 2569", 1)[1].split("</li>", 1)[0]
    assert "แจ้งปิดปรับปรุงระบบ" in day and "10:00" in day
    assert ("pr", "broadcast.create") in audited(store)


def test_a_refused_draft_keeps_what_was_typed_and_says_why(as_user: Client, store: Store) -> None:
    response = create(as_user("pr"), channels=[], text="ข้อความที่พิมพ์ไว้ <b>ตัวหนา</b>")

    assert response.status_code == 400
    assert "เลือกช่องทางได้เฉพาะ" in response.text
    assert "ข้อความที่พิมพ์ไว้ &lt;b&gt;ตัวหนา&lt;/b&gt;" in response.text  # kept, and escaped
    assert store.broadcasts.with_status() == []


def test_the_preview_shows_a_too_long_x_post_as_not_fitting(as_user: Client, store: Store) -> None:
    client = as_user("pr")
    token = csrf_of(client.get("/broadcasts/new").text)
    long_text = "ประกาศ " + "ก" * 300

    panel = client.post("/broadcasts/preview", data={"csrf": token, "text": long_text, "timing": "once",
                                                     "run_at": TOMORROW_10, "channels": ["twitter", "telegram"]})
    without_js = client.post("/broadcasts/new", data={"csrf": token, **draft_fields(
        text=long_text, channels=["twitter", "telegram"], action="preview")})

    assert panel.status_code == 200
    assert 'data-channel="twitter" data-fits="no"' in panel.text and "ยาวเกิน" in panel.text
    assert 'data-channel="telegram" data-fits="yes"' in panel.text
    assert "<html" not in panel.text  # the panel alone, for the script to swap in
    assert without_js.status_code == 200 and 'data-channel="twitter" data-fits="no"' in without_js.text
    assert store.broadcasts.with_status() == []  # previewing saves nothing


def test_the_preview_renders_a_template_and_explains_a_cron_in_thai(as_user: Client) -> None:
    client = as_user("pr")
    token = csrf_of(client.get("/broadcasts/new").text)

    panel = client.post("/broadcasts/preview", data={
        "csrf": token, "title": "แจ้งข่าว", "template": "announcement", "text": "ขอเชิญร่วมงาน <script>",
        "channels": ["facebook"], "timing": "cron", "cron": "0 9 * * 1-5"}).text
    broken = client.post("/broadcasts/preview", data={"csrf": token, "text": "x", "channels": ["facebook"],
                                                      "timing": "cron", "cron": "0 9 * *"}).text

    assert "📢 แจ้งข่าว" in panel and "โทร 1111" in panel
    assert "&lt;script&gt;" in panel and "<script>" not in panel
    assert "วันพุธ 25 พ.ย. 2569 09:00" in panel and "วันจันทร์ 30 พ.ย. 2569 09:00" in panel
    assert "วันเสาร์" not in panel  # weekdays only: crontab's 1-5 is Monday to Friday
    assert "cron ต้องมี 5 ช่อง" in broken


def test_the_author_cannot_approve_their_own_broadcast(as_user: Client, store: Store) -> None:
    admin = as_user("admin")
    broadcast_id = created_id(create(admin))

    refused = act(admin, broadcast_id, "approve")
    by_pr = act(as_user("pr"), broadcast_id, "approve", emergency="1")  # not allowed emergency posts

    assert refused.status_code == 409
    assert "ผู้เขียนอนุมัติประกาศของตนเองไม่ได้" in refused.text and "a second person must" in refused.text
    assert by_pr.status_code == 409 and "ไม่มีสิทธิ์อนุมัติประกาศ" in by_pr.text
    assert store.broadcasts.get(broadcast_id).status is BroadcastStatus.DRAFT
    assert ("admin", "broadcast.approve_refused") in audited(store)


def test_a_second_person_approves_and_the_list_shows_it(as_user: Client, store: Store) -> None:
    broadcast_id = created_id(create(as_user("pr")))
    approver = as_user("approver")

    response = act(approver, broadcast_id, "approve")

    assert response.status_code == 303
    approved = store.broadcasts.get(broadcast_id)
    assert approved.status is BroadcastStatus.APPROVED and approved.approver == "approver"
    assert "อนุมัติแล้ว จะเผยแพร่ตามกำหนด" in approver.get(response.headers["location"]).text
    assert "อนุมัติแล้ว" in approver.get("/broadcasts").text
    assert ("approver", "broadcast.approve") in audited(store)


def test_cancel_stops_a_broadcast_and_cannot_be_repeated(as_user: Client, store: Store) -> None:
    pr = as_user("pr")
    broadcast_id = created_id(create(pr))

    first = act(pr, broadcast_id, "cancel", reason="ข้อมูลเปลี่ยน")
    again = pr.post(f"/broadcasts/{broadcast_id}/cancel", data={"csrf": csrf_of(pr.get("/broadcasts").text)})

    assert first.status_code == 303
    assert store.broadcasts.get(broadcast_id).status is BroadcastStatus.CANCELLED
    assert again.status_code == 404 or "ยกเลิกไม่ได้" in again.text
    assert ("pr", "broadcast.cancel") in audited(store)


def test_a_user_allowed_emergency_posts_approves_their_own_and_it_is_audited(as_user: Client,
                                                                             store: Store) -> None:
    chief = as_user(EMERGENCY_PR)
    broadcast_id = created_id(create(chief, title="เตือนภัยน้ำท่วมด่วน"))
    assert "โพสต์เร่งด่วน" in chief.get(f"/broadcasts/{broadcast_id}").text

    response = act(chief, broadcast_id, "approve", emergency="1")

    assert response.status_code == 303
    approved = store.broadcasts.get(broadcast_id)
    assert approved.status is BroadcastStatus.APPROVED and approved.emergency and approved.approver == EMERGENCY_PR
    assert (EMERGENCY_PR, "broadcast.emergency_approve") in audited(store)
    assert "เร่งด่วน" in chief.get("/broadcasts").text


def test_history_links_published_posts_and_shows_why_others_failed(as_user: Client, store: Store,
                                                                   clock: ManualClock) -> None:
    pr = as_user("pr")
    broadcast_id = created_id(create(pr, channels=["facebook", "twitter", "telegram"]))
    act(as_user("approver"), broadcast_id, "approve")
    at = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    for channel in (Platform.FACEBOOK, Platform.TWITTER, Platform.TELEGRAM):
        store.broadcasts.plan(broadcast_id, channel, at)
    facebook, twitter, telegram = store.broadcasts.deliveries(broadcast_id)
    clock.advance(hours=1)
    store.broadcasts.finish_delivery(facebook.id, DeliveryStatus.PUBLISHED, platform_post_id="1111_42",
                                     url="https://facebook.example/posts/42")
    store.broadcasts.finish_delivery(twitter.id, DeliveryStatus.PUBLISHED, platform_post_id="17000001",
                                     url="javascript:alert(1)")
    store.broadcasts.finish_delivery(telegram.id, DeliveryStatus.HELD, error="ข้อมูลกรมอุตุฯ เก่าเกิน 3 ชั่วโมง")

    page = pr.get("/broadcasts").text

    assert '<a href="https://facebook.example/posts/42" rel="noopener noreferrer" target="_blank">1111_42</a>' in page
    assert "17000001" in page and "javascript:" not in page
    assert "ข้อมูลกรมอุตุฯ เก่าเกิน 3 ชั่วโมง" in page and "พักไว้รอตรวจ" in page


def test_the_calendar_shows_each_weekday_of_a_recurring_broadcast(as_user: Client) -> None:
    pr = as_user("pr")
    created_id(create(pr, title="สภาพอากาศเช้านี้", timing="cron", cron="0 7 * * 1-5", run_at=""))

    page = pr.get("/broadcasts").text
    days = page.split('<li class="bc-day')[1:]

    showing = [day.split("</h2>", 1)[0].split(">", 2)[-1] for day in days if "สภาพอากาศเช้านี้" in day]
    # 25 Nov (Wed) to 7 Dec (Mon): nine working days; today's 07:00 has passed
    assert len(days) == 14 and len(showing) == 9
    assert not any(name in day for day in showing for name in ("28 พ.ย.", "29 พ.ย."))  # Saturday, Sunday


def test_a_desk_without_broadcasting_says_so(sqlite_store: Store, clock: ManualClock) -> None:
    fast_passwords(sqlite_store)
    add_staff(sqlite_store)
    app = create_app(DeskDeps(store=sqlite_store, agencies=agencies(), clock=clock, secret_key=SECRET))
    with TestClient(app, base_url="http://desk.test") as client:
        login(client, "pr")
        assert "ยังไม่ได้เปิดใช้" in client.get("/broadcasts").text
        assert client.get("/broadcasts/new").status_code == 200


def test_the_running_desk_hands_the_broadcast_workflow_to_the_pages(tmp_path: Path) -> None:
    settings = load_settings({"GCC1111_DATA_DIR": str(tmp_path)})
    system = build_system(settings, ManualClock())
    try:
        fast_passwords(system.store)
        system.store.users.add(User(username="pr", role=Role.PR), PASSWORD)
        with TestClient(dashboard_app(system), base_url="http://desk.test") as client:
            login(client, "pr")
            made = created_id(create(client))
        assert system.store.broadcasts.get(made).status is BroadcastStatus.DRAFT
    finally:
        system.close()
