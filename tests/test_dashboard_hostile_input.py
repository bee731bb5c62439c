"""Whatever the public writes is shown as text: markup, script, bidi tricks, invisible characters, huge posts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from dashboard_support import classify, desk_client, ingest, login, mention, open_case, post_form
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import ManualClock
from core.store import Store
from dashboard.formatting import clip, local_path, public, safe_href

PAYLOADS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
    "javascript:alert(1)",
    "{{ 7*7 }} {% raw %}",
    "</textarea><script>alert(2)</script>",
]


@pytest.fixture
def analyst(sqlite_store: Store, clock: ManualClock) -> Iterator[object]:
    with desk_client(sqlite_store, clock) as client:
        login(client, "analyst")
        yield client


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src") != "/static/app.js":
            self.found.append("script")
        if tag in ("img", "iframe", "object", "embed") or (tag == "svg" and "chart" not in (values.get("class") or "")):
            self.found.append(tag)
        self.found += [f"{tag}[{name}]" for name, value in attrs
                       if name.startswith("on") or (value or "").strip().lower().startswith("javascript:")]


def live_markup(page: str) -> list[str]:
    """Elements and attributes in a page that only a payload could have produced."""
    parser = _Markup()
    parser.feed(page)
    return parser.found


def test_markup_in_posts_and_names_is_shown_as_text_everywhere(analyst, sqlite_store: Store,
                                                              clock: ManualClock) -> None:
    ids = ingest(sqlite_store, [
        mention(f"x{n}", f"แจ้งเหตุ {payload} #{payload}", clock.now() - timedelta(minutes=n), author=payload,
                thread_id="t1")
        for n, payload in enumerate(PAYLOADS)
    ])
    classify(sqlite_store, ids[0], "complaint", "MOI")
    case_id = open_case(sqlite_store, ids[0], "MOI")
    post_form(analyst, "/mentions", f"/mentions/{ids[1]}/relabel", {"label": "other"})

    pages = [analyst.get(path).text for path in
             ("/mentions", f"/mentions/{ids[0]}", "/mentions?q=script", f"/cases/{case_id}", "/insight", "/audit")]

    assert live_markup(PAYLOADS[1]) == ["img", "img[onerror]"]  # the detector sees a payload left raw
    for page in pages:
        assert live_markup(page) == []
    listing = pages[0]
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in listing
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in listing
    assert "{{ 7*7 }}" in listing  # shown, never evaluated


def test_a_hostile_note_is_escaped_on_the_case_page_and_in_the_audit_log(sqlite_store: Store,
                                                                         clock: ManualClock) -> None:
    [mention_id] = ingest(sqlite_store, [mention("m1", "ไฟดับ", clock.now())])
    case_id = open_case(sqlite_store, mention_id, "MOI")
    with desk_client(sqlite_store, clock) as client:
        login(client, "coord_moi")
        post_form(client, f"/cases/{case_id}", f"/cases/{case_id}/note", {"note": PAYLOADS[0]})
        case_page = client.get(f"/cases/{case_id}").text

    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in case_page
    assert live_markup(case_page) == []


def test_bidi_overrides_are_made_visible_and_invisible_characters_kept_harmless(analyst, sqlite_store: Store,
                                                                               clock: ManualClock) -> None:
    ingest(sqlite_store, [mention("rlo", "ไฟล์\u202egpj.exe ส่งให้ครับ\u200b\u200d\ufeff", clock.now(),
                                  author="\u202eแอดมิน")])

    page = analyst.get("/mentions").text

    assert "\u202e" not in page
    assert "ไฟล์[RLO]gpj.exe" in page and "[RLO]แอดมิน" in page
    assert "ส่งให้ครับ\u200b\u200d\ufeff" in page  # zero-width characters are text like any other


def test_a_fifty_thousand_character_post_is_clipped_in_the_list_and_whole_on_its_page(
        analyst, sqlite_store: Store, clock: ManualClock) -> None:
    huge = ("ร้องเรียนยาวมาก" * 4000)[:50_000] + "จบ"
    [mention_id] = ingest(sqlite_store, [mention("big", huge, clock.now())])

    listing = analyst.get("/mentions").text
    detail = analyst.get(f"/mentions/{mention_id}").text

    assert "จบ" not in listing and "…" in listing and len(listing) < 40_000
    assert "ร้องเรียนยาวมาก" * 100 in detail and "จบ" in detail
    assert 'class="mention-text full-text"' in detail  # the scrolling box that keeps the layout


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_public_text_never_keeps_a_bidi_control_or_a_control_character(text: str) -> None:
    shown = public(text)

    assert not re.search("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", shown)
    assert len(clip(text, 50)) <= 51 + 5 * text.count("\u202a")  # clipped, plus marks made visible


@given(st.text(max_size=80))
@settings(max_examples=200, deadline=None)
def test_only_plain_web_links_and_local_paths_get_through(value: str) -> None:
    link = safe_href(value)
    path = local_path(value, fallback="")

    assert link == "" or link.startswith(("http://", "https://"))
    assert path == "" or (path.startswith("/") and not path.startswith("//") and "\\" not in path)


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example/x", "javascript:x",
                                    "/ok\r\nSet-Cookie: a=b"])
def test_redirect_targets_never_leave_the_site(target: str) -> None:
    assert local_path(target, fallback="/") == "/"
