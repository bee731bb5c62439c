"""Broadcasts in headless Chromium: a PR officer writes one and watches the live preview, an approver approves it.

Same rules as tests/test_browser_dashboard.py (Debian Chromium, never a downloaded browser; skipped with the
reason where missing, a failure in CI).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from broadcast_support import build_desk
from dashboard_support import SECRET, add_staff, agencies, fast_passwords
from test_browser_dashboard import _serve, browser, page, sign_in  # noqa: F401 - fixtures shared with that file

from config.dashboard_wiring import BroadcastActions
from core.clock import ManualClock
from core.domain import BroadcastStatus
from core.store import Store
from dashboard.app import create_app
from dashboard.deps import DeskDeps

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(sqlite_store: Store, clock: ManualClock) -> Iterator[str]:
    """The real app with the broadcast workflow, under uvicorn on 127.0.0.1."""
    fast_passwords(sqlite_store)
    add_staff(sqlite_store)
    actions = BroadcastActions(build_desk(sqlite_store, clock, {}))
    app = create_app(DeskDeps(store=sqlite_store, agencies=agencies(), clock=clock, secret_key=SECRET,
                              tokenize=str.split, broadcasts=actions))
    with _serve(app) as base:
        yield base


def test_pr_creates_a_broadcast_with_live_preview_and_a_second_person_approves(
        page: Any, desk: str, sqlite_store: Store, tmp_path: Path) -> None:  # noqa: F811 - the shared fixture
    sign_in(page, desk, "pr")
    page.click("nav >> text=ประกาศ")
    page.click("text=เขียนประกาศใหม่")
    page.fill("input[name=title]", "แจ้งปิดปรับปรุงระบบ")
    page.check("input[name=channels][value=twitter]")
    page.check("input[name=channels][value=telegram]")
    page.fill("input[name=run_at]", "2026-11-25T10:00")

    # Typing updates the panel without a page load: the X post turns red once past 280.
    page.fill("textarea[name=text]", "ระบบจะปิดปรับปรุงคืนนี้ 22:00 น.")
    page.wait_for_selector('#preview-panel [data-channel="twitter"][data-fits="yes"]')
    page.fill("textarea[name=text]", "ระบบจะปิดปรับปรุงคืนนี้ " + "ก" * 300)
    page.wait_for_selector('#preview-panel [data-channel="twitter"][data-fits="no"]')
    assert page.url.endswith("/broadcasts/new")  # still the same page: the script did it
    assert "ยาวเกิน" in page.inner_text("#preview-panel")
    page.screenshot(path=str(tmp_path / "broadcast-editor.png"), full_page=True)
    page.fill("textarea[name=text]", "ระบบจะปิดปรับปรุงคืนนี้ 22:00 น. ขออภัยในความไม่สะดวก")
    page.wait_for_selector('#preview-panel [data-channel="twitter"][data-fits="yes"]')

    page.click("button[name=action][value=save]")
    page.wait_for_load_state()
    assert "บันทึกร่างแล้ว" in page.inner_text("main")
    detail = page.url.split("?")[0]
    assert page.query_selector("#approve") is None  # PR staff never see an approve button
    page.click("header button:has-text('ออกจากระบบ')")
    page.wait_for_load_state()

    sign_in(page, desk, "approver")
    page.goto(detail)
    page.click("#approve")
    page.wait_for_load_state()
    assert "อนุมัติแล้ว" in page.inner_text("#broadcast-status")

    page.goto(f"{desk}/broadcasts")
    day = page.locator("li.bc-day", has_text="25 พ.ย. 2569")
    assert "แจ้งปิดปรับปรุงระบบ" in day.inner_text() and "อนุมัติแล้ว" in day.inner_text()
    [made] = sqlite_store.broadcasts.with_status(BroadcastStatus.APPROVED)
    assert made.author == "pr" and made.approver == "approver"
    assert page.csp_errors == [] and page.dialogs == []
