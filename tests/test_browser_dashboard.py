"""The real web desk in headless Chromium: log in, filter and relabel, work a case, and an XSS payload stays text.

Needs Playwright for Python and the Debian `chromium` package (never a browser Playwright downloads).
Skipped with the reason shown where either is missing, except in CI, where that is a failure.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from dashboard_support import PASSWORD, SECRET, add_staff, agencies, classify, fast_passwords, ingest, mention
from dashboard_support import open_case as open_a_case

from core.clock import ManualClock
from core.domain import CaseStatus, Platform
from core.store import Store
from core.store.schema import corrections
from dashboard.app import create_app
from dashboard.deps import DeskDeps

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("GCC1111_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LAPTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}
XSS = "<img src=x onerror=alert('xss')><script>alert('xss')</script>"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401 - only checking that it is installed
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[browser]')"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-thai-tlwg, or set GCC1111_CHROMIUM)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def desk(sqlite_store: Store, clock: ManualClock) -> Iterator[str]:
    """The real app under uvicorn on 127.0.0.1, with a small Thai queue and two cases."""
    fast_passwords(sqlite_store)
    add_staff(sqlite_store)
    now = clock.now()
    ids = ingest(sqlite_store, [
        mention("flood", "น้ำท่วมหนักมากกก ถนนหน้าหมู่บ้านรถเล็กผ่านไม่ได้ ช่วยด้วยค่ะ", now - timedelta(hours=3),
                platform=Platform.FACEBOOK, author="คุณมะลิ"),
        mention("tax", "สอบถามเรื่องยื่นภาษีออนไลน์ครับ ต้องใช้เอกสารอะไรบ้าง", now - timedelta(hours=2),
                author="ภาษีดี"),
        mention("xss", f"แจ้งเหตุ {XSS}", now - timedelta(hours=1), author=XSS),
        mention("power", "ไฟฟ้าดับทั้งตำบลตั้งแต่เมื่อคืน โทรแจ้งแล้วยังไม่มีใครมา", now - timedelta(hours=30),
                platform=Platform.PANTIP, author="ชาวบ้านริมคลอง"),
        mention("water", "น้ำประปาไม่ไหลสามวันแล้ว", now - timedelta(hours=50), author="แม่บ้าน"),
    ])
    classify(sqlite_store, ids[0], "inquiry", "MOF", confidence=0.52)
    classify(sqlite_store, ids[1], "inquiry", "MOF", confidence=0.93)
    classify(sqlite_store, ids[3], "complaint", "MOI", urgent=True)
    classify(sqlite_store, ids[4], "complaint", "MOI")
    open_a_case(sqlite_store, ids[3], "MOI", sla=timedelta(hours=1))  # overdue by the time we look
    open_a_case(sqlite_store, ids[4], "MOI", sla=timedelta(hours=72))
    app = create_app(DeskDeps(store=sqlite_store, agencies=agencies(), clock=clock, secret_key=SECRET,
                              tokenize=str.split))
    with _serve(app) as base:
        yield base


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=LAPTOP, locale="th-TH")
    opened = context.new_page()
    opened.dialogs = []
    opened.csp_errors = []
    opened.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    opened.on("console", lambda message: opened.csp_errors.append(message.text)
              if "Content Security Policy" in message.text else None)
    yield opened
    context.close()


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()


def test_an_analyst_logs_in_filters_and_relabels_a_mention(page: Any, desk: str, sqlite_store: Store,
                                                           tmp_path: Path) -> None:
    sign_in(page, desk, "analyst")
    assert page.url.endswith("/mentions")

    page.fill("input[name=q]", "น้ำท่วม")
    page.select_option("form.filters select[name=label]", "inquiry")
    page.click("form.filters button[type=submit]")
    cards = page.locator("article.mention")
    assert cards.count() == 1
    card = cards.first
    card.locator("select[name=agency]").select_option("MOI")  # the full list, filled in by app.js
    card.locator("input[name=urgent]").check()
    card.locator("button[value=complaint]").click()
    page.wait_for_load_state()

    assert "บันทึกการแก้ไขแล้ว 1 รายการ" in page.inner_text("main")
    with sqlite_store.engine.connect() as conn:
        saved = conn.execute(sa.select(corrections.c.label, corrections.c.agency, corrections.c.urgent,
                                       corrections.c.by)).all()
    assert [tuple(row) for row in saved] == [("complaint", "MOI", True, "analyst")]
    assert page.csp_errors == [] and page.dialogs == []
    _screenshots(page, f"{desk}/mentions", tmp_path / "mentions")


def test_a_coordinator_works_a_case_from_the_board(page: Any, desk: str, sqlite_store: Store, clock: ManualClock,
                                                   tmp_path: Path) -> None:
    clock.advance(hours=2)
    sign_in(page, desk, "coord_moi")
    assert page.url.endswith("/cases")
    overdue = page.locator("article.case-card.sla-overdue")
    assert overdue.count() == 1 and "ไฟฟ้าดับ" in overdue.inner_text()
    _screenshots(page, f"{desk}/cases", tmp_path / "cases")

    overdue.locator("a.tracking").click()
    page.select_option("select[name=status]", "in_progress")
    page.fill("form[action$='/status'] textarea[name=note]", "ประสานการไฟฟ้าส่วนภูมิภาคแล้ว")
    page.click("form[action$='/status'] button[type=submit]")
    page.fill("form[action$='/note'] textarea[name=note]", "ช่างเข้าพื้นที่ 14:00 น.")
    page.click("form[action$='/note'] button[type=submit]")
    page.select_option("select[name=assignee]", "coord_moi")
    page.click("form[action$='/assign'] button[type=submit]")

    history = page.inner_text("ol.history")
    assert "ประสานการไฟฟ้าส่วนภูมิภาคแล้ว" in history and "ช่างเข้าพื้นที่ 14:00 น." in history
    [case] = [c for c in sqlite_store.cases.for_agency("MOI", tuple(CaseStatus)) if c.status is CaseStatus.IN_PROGRESS]
    assert case.assignee == "coord_moi"
    assert page.csp_errors == []


def test_an_xss_payload_is_rendered_as_text_and_never_runs(page: Any, desk: str) -> None:
    sign_in(page, desk, "analyst")
    page.goto(f"{desk}/mentions?q=แจ้งเหตุ")

    card = page.locator("article.mention").first
    assert XSS in card.locator(".mention-text").inner_text()
    assert XSS[:50] in card.locator(".author").inner_text()  # names are clipped to 60 characters in lists
    assert page.locator("article.mention img").count() == 0
    card.locator("a", has_text="#").click()
    page.wait_for_load_state()
    assert XSS in page.inner_text(".full-text")
    assert page.dialogs == []
    assert page.evaluate("document.fonts.check('16px Sarabun', 'ทดสอบ')")  # the desk's own Thai font


def _screenshots(page: Any, url: str, stem: Path) -> None:
    """Laptop and phone screenshots, for a person to look at; the layout must not overflow sideways."""
    for name, size in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.goto(url)
        page.evaluate("document.fonts.ready")
        page.screenshot(path=str(stem.with_name(f"{stem.name}-{name}.png")), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{url} scrolls sideways on a {name} ({overflow}px)"
    page.set_viewport_size(LAPTOP)


class _serve:
    def __init__(self, app: Any) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:  # a readiness poll on a real server, not a sleep in the test's logic
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
