"""Insight: volume per Bangkok day, spikes, complaints per agency, response times and top terms."""

from __future__ import annotations

import json
import statistics
from datetime import date, timedelta

from dashboard_support import classify, desk_client, ingest, login, mention
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import ManualClock
from core.domain import Platform, Reply, ReplyKind, ReplyStatus
from core.store import Store
from core.store.insight import InsightQueries
from dashboard.cache import StaleWhileRefresh
from dashboard.insight import InsightService, find_spikes, summarise_responses
from dashboard.terms import count_terms, default_tokenizer


def test_volume_counts_bangkok_days_by_label_and_marks_a_spike(store: Store, clock: ManualClock) -> None:
    now = clock.now()  # 24 Nov 2026 09:00 in Bangkok
    history = [mention(f"h{d}-{n}", "สอบถามทั่วไป", now - timedelta(days=d, hours=1))
               for d in range(1, 29) for n in range(3)]
    spike = [mention(f"s{n}", "น้ำท่วมหนักมาก", now - timedelta(minutes=n + 1)) for n in range(30)]
    late_evening = mention("utc-yesterday", "ดึกแล้วยังไฟดับ", now - timedelta(hours=8, minutes=30))  # 00:30 today
    ids = ingest(store, [*history, *spike, late_evening])
    for mention_id in ids[len(history):len(history) + 10]:
        classify(store, mention_id, "complaint", "MOI")
    service = InsightService(InsightQueries(store.engine, clock), clock, 600, str.split)

    volume = service.volume(7, "label")

    assert volume.days[-1] == date(2026, 11, 24) and len(volume.days) == 7
    assert volume.series["complaint"][-1] == 10
    assert volume.series["unclassified"][-1] == 21  # 20 spike posts and the one just after midnight
    assert volume.totals[:-1] == [3] * 6
    assert volume.spikes == [date(2026, 11, 24)]


def test_past_days_are_cached_while_today_stays_live(sqlite_store: Store, clock: ManualClock) -> None:
    refreshes: list = []  # background refreshes, run by hand here
    service = InsightService(InsightQueries(sqlite_store.engine, clock), clock, 600, str.split, refreshes.append)
    before = service.volume(7, "platform")
    ingest(sqlite_store, [mention("today", "วันนี้", clock.now() - timedelta(minutes=5)),
                          mention("yesterday", "เมื่อวาน", clock.now() - timedelta(days=1))])

    fresh = service.volume(7, "platform")
    clock.advance(minutes=11)
    stale = service.volume(7, "platform")  # expired: served at once, refreshes started behind it
    started = len(refreshes)
    again = service.volume(7, "platform")  # no second refresh while the first has not finished
    for job in refreshes:
        job()
    refreshed = service.volume(7, "platform")

    assert before.totals == [0] * 7
    assert fresh.totals[-1] == 1 and fresh.totals[-2] == 0  # yesterday's figure is the cached one
    assert stale.totals[-2] == 0 and again.totals[-2] == 0
    assert started == len(refreshes) == 2  # the day figures and the spike history, once each
    assert refreshed.totals[-2] == 1


def test_figures_stale_for_far_too_long_are_recomputed_while_waiting(sqlite_store: Store,
                                                                    clock: ManualClock) -> None:
    refreshes: list = []
    service = InsightService(InsightQueries(sqlite_store.engine, clock), clock, 600, str.split, refreshes.append)
    service.volume(7, "platform")
    ingest(sqlite_store, [mention("yesterday", "เมื่อวาน", clock.now() - timedelta(days=1))])
    clock.advance(hours=2)

    assert service.volume(7, "platform").totals[-2] == 1 and refreshes == []


def test_complaints_by_agency_and_response_times(store: Store, clock: ManualClock) -> None:
    posted = clock.now() - timedelta(hours=6)
    ids = ingest(store, [mention(f"m{n}", "ร้องเรียน", posted, platform=Platform.FACEBOOK) for n in range(4)])
    for mention_id, agency in zip(ids, ["MOI", "MOI", "MOPH", None], strict=True):
        classify(store, mention_id, "complaint", agency)
    for mention_id, minutes in zip(ids[:3], [10, 30, 300], strict=True):
        clock.set(posted + timedelta(minutes=minutes))  # answered this long after the post
        store.outbox.enqueue(Reply(key=f"ack:{mention_id}", kind=ReplyKind.ACKNOWLEDGEMENT,
                                   platform=Platform.FACEBOOK, target="t", text="รับเรื่องแล้ว",
                                   status=ReplyStatus.PENDING, created_at=clock.now(), mention_id=mention_id))
        [claimed] = store.outbox.claim_due()
        store.outbox.mark_sent(claimed.id, f"fb-{mention_id}")
    service = InsightService(InsightQueries(store.engine, clock), clock, 600, str.split)

    agencies = service.complaints_by_agency(7)
    response = service.response_times(7)

    assert agencies == [("MOI", 2), (None, 1), ("MOPH", 1)]
    assert response.answered == 3 and response.median_seconds == 30 * 60
    assert dict(response.buckets) == {"15m": 1, "1h": 1, "4h": 0, "24h": 1, "more": 0}


def test_top_terms_compare_this_week_with_last_week_on_unsegmented_thai(sqlite_store: Store,
                                                                        clock: ManualClock) -> None:
    now = clock.now()
    ingest(sqlite_store, [
        *[mention(f"t{n}", "น้ำท่วมหนักมากกกก ถนนขาด #น้ำท่วม", now - timedelta(days=1, minutes=n)) for n in range(6)],
        *[mention(f"l{n}", "ฝุ่นควันเยอะมาก ถนนขาด", now - timedelta(days=9, minutes=n)) for n in range(4)],
    ])
    service = InsightService(InsightQueries(sqlite_store.engine, clock), clock, 600, default_tokenizer())

    words, tags = service.terms()

    found = {shift.term: (shift.this_week, shift.last_week) for shift in words}
    assert found["น้ำท่วม"] == (6, 0)
    assert found["ถนน"] == (6, 4)
    assert "มาก" not in found and "ครับ" not in found  # stopwords
    assert [(t.term, t.this_week) for t in tags] == [("น้ำท่วม", 6)]


def test_the_insight_page_draws_svg_charts_and_serves_their_figures(sqlite_store: Store, clock: ManualClock) -> None:
    ids = ingest(sqlite_store, [mention(f"m{n}", "ถนนพัง", clock.now() - timedelta(days=n % 5)) for n in range(20)])
    classify(sqlite_store, ids[0], "complaint", "MOT")
    with desk_client(sqlite_store, clock) as client:
        login(client, "pr")
        page = client.get("/insight?days=7")
        figures = json.loads(client.get("/insight/data/volume-platform.json?days=7").text)

    assert page.status_code == 200 and page.text.count('<svg class="chart') >= 3
    assert "กระทรวงคมนาคม" in page.text  # complaints by agency, named in Thai
    assert sum(figures["totals"]) == 20 and figures["series"]["twitter"] == figures["totals"]


def test_a_flat_history_with_one_extra_post_is_not_a_spike() -> None:
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(40)]
    counts = dict.fromkeys(days, 10)
    counts[days[-1]] = 11
    counts[days[-2]] = 200

    assert find_spikes(counts, days[-2:]) == [days[-2]]


@given(st.lists(st.integers(min_value=0, max_value=500), min_size=30, max_size=60))
@settings(max_examples=100, deadline=None)
def test_a_spike_is_always_well_above_the_usual_level_of_the_days_before(values: list[int]) -> None:
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(len(values))]
    counts = dict(zip(days, values, strict=True))

    spikes = find_spikes(counts, days)

    for day in days:
        previous = [counts[d] for d in days if day - timedelta(days=28) <= d < day]
        if day in spikes:
            assert len(previous) >= 7 and counts[day] > statistics.fmean(previous) + 3
        elif len(previous) >= 7 and counts[day] > statistics.fmean(previous) + 3 * max(
                statistics.pstdev(previous), 1):
            raise AssertionError(f"{day} should have been a spike")


@given(st.lists(st.floats(min_value=0, max_value=1e6), max_size=50))
def test_response_buckets_count_every_answer_once(seconds: list[float]) -> None:
    summary = summarise_responses(seconds)

    assert sum(count for _, count in summary.buckets) == len(seconds) == summary.answered
    if seconds:
        assert min(seconds) <= summary.median_seconds <= max(seconds)


def test_terms_are_counted_once_per_post() -> None:
    counts, posts = count_terms(["น้ำท่วม น้ำท่วม น้ำท่วม", "น้ำท่วมอีกแล้ว"], default_tokenizer())

    assert posts == 2 and counts["น้ำท่วม"] == 2


def test_a_failed_background_refresh_keeps_the_stale_figures_and_tries_again_later(clock: ManualClock,
                                                                                  caplog) -> None:
    jobs: list = []
    cache = StaleWhileRefresh(clock, 60, jobs.append)
    cache.get("k", lambda: "old")
    clock.advance(minutes=2)

    def broken() -> str:
        raise RuntimeError("database went away")

    assert cache.get("k", broken) == "old"
    jobs.pop()()  # the refresh fails
    assert cache.get("k", lambda: "new") == "old" and len(jobs) == 1  # a new refresh is started
    jobs.pop()()
    assert cache.get("k", broken) == "new"
    assert "refreshing chart figures" in caplog.text


def test_the_first_sign_in_warms_the_charts_once(sqlite_store: Store, clock: ManualClock) -> None:
    ingest(sqlite_store, [mention("y", "เมื่อวาน", clock.now() - timedelta(days=1))])
    jobs: list = []
    service = InsightService(InsightQueries(sqlite_store.engine, clock), clock, 600, str.split, jobs.append)

    service.warm_in_background()
    service.warm_in_background()
    [job] = jobs
    job()
    ingest(sqlite_store, [mention("y2", "เมื่อวานอีกโพสต์", clock.now() - timedelta(days=1))])

    assert service.volume(30, "platform").totals[-2] == 1  # served from what the warm-up computed
