"""Web desk benchmark: a million mentions, then the list, its filters, search and the charts over real HTTP.

    python -m bench.dashboard_bench [--rows 1000000] [--database-url URL] [--requests 40] [--reuse]

Without --database-url it runs on SQLite (a file under bench/results/) and on PostgreSQL
(postgresql+psycopg://root@127.0.0.1:5432/test, in its own schema `bench_dashboard`), each seeded
once and kept for --reuse. The app runs under uvicorn on 127.0.0.1 in this process and is driven over
HTTP by httpx with a logged-in session, so every figure includes routing, the session and role checks,
the query and the template. Baselines in the same run, timed directly against the database: OFFSET
paging against keyset paging, and search and the agency filter with their indexes defeated.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn

from bench.desk_seed import seed
from config.wiring import load_agencies_default
from core.clock import SystemClock
from core.domain import Role, User
from core.store import Store
from core.store.desk import MentionDesk, MentionFilter
from core.store.schema import classifications, mentions
from core.store.search import like_pattern
from dashboard.app import create_app
from dashboard.deps import DeskDeps

RESULTS = Path(__file__).resolve().parent / "results"
POSTGRES = "postgresql+psycopg://root@127.0.0.1:5432/test"
PG_SCHEMA = "bench_dashboard"
BENCH_USER, BENCH_PASSWORD = "bench-admin", secrets.token_urlsafe(16)
TARGET_P95_MS = 200.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per endpoint")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    options = parser.parse_args(argv)
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    RESULTS.mkdir(parents=True, exist_ok=True)
    targets = [options.database_url] if options.database_url else [
        f"sqlite:///{RESULTS / f'dashboard-{options.rows}.sqlite'}", _pg_url(),
    ]
    failed = False
    for url in targets:
        report = run(url, options.rows, options.requests, options.reuse)
        print(markdown(report))
        name = f"dashboard-{report['database']}-{options.rows}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
        (RESULTS / name).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"written bench/results/{name}\n")
        failed = failed or any(row["p95_ms"] > TARGET_P95_MS for row in report["endpoints"])
    return 1 if failed else 0


def run(url: str, rows: int, requests: int, reuse: bool) -> dict[str, Any]:
    clock = SystemClock()
    store = Store.open(url, clock)
    try:
        seeded = prepare(store, rows, reuse)
        app = create_app(DeskDeps(store=store, agencies=load_agencies_default(), clock=clock,
                                  secret_key=secrets.token_urlsafe(32)))
        if store.users.get(BENCH_USER) is None:
            store.users.add(User(username=BENCH_USER, role=Role.ADMIN), BENCH_PASSWORD)
        else:
            _reset_password(store)
        with serving(app) as base:
            endpoints = measure_http(base, store, requests)
        baselines = measure_baselines(store)
        return {"database": store.engine.dialect.name, "rows": rows, "seeded_now": seeded,
                "requests_per_endpoint": requests, "target_p95_ms": TARGET_P95_MS,
                "measured_at": datetime.now(UTC).isoformat(), "python": sys.version.split()[0],
                "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
                "endpoints": endpoints, "baselines": baselines}
    finally:
        store.close()


def prepare(store: Store, rows: int, reuse: bool) -> dict[str, Any]:
    """Seed the database up to `rows` mentions (from scratch unless reusing); returns what was done."""
    with store.engine.connect() as conn:
        present = int(conn.execute(sa.select(sa.func.count()).select_from(mentions)).scalar_one())
    if present >= rows and reuse:
        return {"mentions": 0, "seconds": 0.0}
    if present:
        raise SystemExit(f"{store.engine.url.render_as_string(hide_password=True)} already holds {present} "
                         "mentions: use --reuse, or remove it first")
    started = time.perf_counter()
    with without_search_index(store.engine):
        counts = seed(store.engine, rows, progress=_progress)
    counts_seconds = round(time.perf_counter() - started, 1)
    print(f"seeded {counts} in {counts_seconds} s", flush=True)
    return {**counts, "seconds": counts_seconds}


class without_search_index:
    """Bulk loads skip the search index, which is rebuilt once afterwards (the same definition, restored)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.saved = ""

    def __enter__(self) -> None:
        with self.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                self.saved = conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'mentions_search_insert'").scalar_one()
                conn.exec_driver_sql("DROP TRIGGER mentions_search_insert")
            else:
                self.saved = conn.exec_driver_sql(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_mentions_text_trgm' "
                    "AND schemaname = current_schema()").scalar() or ""
                if self.saved:
                    conn.exec_driver_sql("DROP INDEX ix_mentions_text_trgm")

    def __exit__(self, *exc: object) -> None:
        started = time.perf_counter()
        with self.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("INSERT INTO mention_search(mention_search) VALUES ('rebuild')")
                conn.exec_driver_sql(self.saved)
            elif self.saved:
                conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
                conn.exec_driver_sql(self.saved)
        print(f"search index rebuilt in {time.perf_counter() - started:.1f} s", flush=True)


class serving:
    """uvicorn on 127.0.0.1, on a free port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        self.port = _free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def rarest_agency(store: Store) -> str:
    """The agency with the fewest classified mentions (at least one): the hardest filter to fill a page."""
    count = sa.func.count().label("n")
    query = (sa.select(classifications.c.agency, count).where(classifications.c.agency.is_not(None))
             .group_by(classifications.c.agency).order_by(count, classifications.c.agency).limit(1))
    with store.engine.connect() as conn:
        return str(conn.execute(query).first()[0])


def endpoints(store: Store) -> list[tuple[str, str]]:
    """(name, path) of everything timed; ids and dates are taken from the seeded data."""
    with store.engine.connect() as conn:
        top = int(conn.execute(sa.select(sa.func.max(mentions.c.id))).scalar_one())
    rare = rarest_agency(store)
    month_ago = (datetime.now(UTC) - timedelta(days=30)).date()
    return [
        ("list: first page", "/mentions"),
        ("list: page in the middle (keyset)", f"/mentions?before={top // 2}"),
        ("filter: label=complaint", "/mentions?label=complaint"),
        ("filter: label=unclassified", "/mentions?label=unclassified"),
        ("filter: agency=MOI", "/mentions?agency=MOI"),
        (f"filter: agency={rare} (the rarest)", f"/mentions?agency={rare}"),
        ("filter: platform=telegram", "/mentions?platform=telegram"),
        ("filter: urgent=yes", "/mentions?urgent=yes"),
        ("filter: stage=new", "/mentions?stage=new"),
        ("filter: one day a month ago", f"/mentions?since={month_ago}&until={month_ago}"),
        ("filter: complaint+MOI+facebook", "/mentions?label=complaint&agency=MOI&platform=facebook"),
        ("search: น้ำท่วม (common)", "/mentions?q=น้ำท่วม"),
        ("search: บัตรประชาชน", "/mentions?q=บัตรประชาชน"),
        ("search: ไฟ (2 characters)", "/mentions?q=ไฟ"),
        ("search: a word nobody wrote", "/mentions?q=ไม่มีใครเขียนคำนี้"),
        ("search + filter: ถนน, complaint", "/mentions?q=ถนน&label=complaint"),
        ("chart data: volume by label (30 d)", "/insight/data/volume-label.json"),
        ("chart data: volume by platform (30 d)", "/insight/data/volume-platform.json"),
        ("chart data: complaints by agency", "/insight/data/agencies.json"),
        ("chart data: response times", "/insight/data/response.json"),
        ("chart data: top terms and hashtags", "/insight/data/terms.json"),
        ("insight page (all charts, 30 d)", "/insight"),
        ("insight page (all charts, 90 d)", "/insight?days=90"),
    ]


def measure_http(base: str, store: Store, requests: int) -> list[dict[str, Any]]:
    results = []
    with httpx.Client(base_url=base, timeout=120, follow_redirects=False) as client:
        login = client.get("/login")
        token = login.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed_in = client.post("/login", data={"csrf": token, "username": BENCH_USER, "password": BENCH_PASSWORD})
        if signed_in.status_code != 303:
            raise RuntimeError(f"bench login failed: {signed_in.status_code}")
        for name, path in endpoints(store):
            timings = []
            cold = None
            for n in range(requests + 2):
                started = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {response.status_code}")
                if n == 0:
                    cold = elapsed
                if n >= 2:  # two warm-up requests: connection set-up and first-use caches
                    timings.append(elapsed)
            results.append({"name": name, "path": path, **summary(timings), "first_ms": round(cold or 0, 1),
                            "bytes": len(response.content)})
            print(f"  {name:42} p50 {results[-1]['p50_ms']:7.1f}  p95 {results[-1]['p95_ms']:7.1f} ms", flush=True)
    return results


def measure_baselines(store: Store) -> list[dict[str, Any]]:
    """The same queries without this work's indexes or paging, timed directly against the database."""
    desk = MentionDesk(store.engine, store.clock)
    with store.engine.connect() as conn:
        top = int(conn.execute(sa.select(sa.func.max(mentions.c.id))).scalar_one())
        dialect = conn.dialect.name
    middle = top // 2
    base_query, _keys = desk.query_for(dialect, MentionFilter())  # the queue's own SELECT
    offset_query = base_query.order_by(mentions.c.id.desc()).offset(top - middle).limit(51)
    # SQLite's LIKE has no index to use; on PostgreSQL, `text || ''` hides the column from the trigram index.
    plain_text = mentions.c.text if dialect == "sqlite" else mentions.c.text.op("||")("")

    def scan(word: str) -> Any:
        return base_query.where(plain_text.ilike(like_pattern(word), escape="\\")).order_by(
            mentions.c.id.desc()).limit(51)

    rare = rarest_agency(store)
    agency_scan = (base_query.where(classifications.c.agency.op("||")("") == rare)  # the expression hides the index
                   .order_by(mentions.c.id.desc()).limit(51))
    common, absent = "บัตรประชาชน", "ไม่มีใครเขียนคำนี้"
    pairs: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        ("page in the middle: keyset vs OFFSET", lambda: desk.page(MentionFilter(), before=str(middle)),
         lambda: _fetch(store, offset_query)),
        (f"search {common} (frequent): trigram index vs scan", lambda: desk.page(MentionFilter(query=common)),
         lambda: _fetch(store, scan(common))),
        ("search, a word nobody wrote: trigram index vs scan", lambda: desk.page(MentionFilter(query=absent)),
         lambda: _fetch(store, scan(absent))),
        (f"agency={rare} (the rarest): 0003 index vs none", lambda: desk.page(MentionFilter(agency=rare)),
         lambda: _fetch(store, agency_scan)),
    ]
    results = []
    for name, ours, baseline in pairs:
        mine, theirs = _time(ours, 10), _time(baseline, 3)
        results.append({"name": name, "ours_p50_ms": mine["p50_ms"], "baseline_p50_ms": theirs["p50_ms"],
                        "speedup": round(theirs["p50_ms"] / max(mine["p50_ms"], 0.01), 1)})
        print(f"  baseline {name}: {mine['p50_ms']} ms vs {theirs['p50_ms']} ms", flush=True)
    return results


def summary(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1), "max_ms": round(ordered[-1], 1)}


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"### {report['database']}, {report['rows']:,} mentions, {report['requests_per_endpoint']} requests each "
        f"(HTTP to uvicorn in-process, {report['cpus']} CPUs, load average {report['load_average'][0]})",
        "",
        "| endpoint | p50 ms | p95 ms | max ms | first request ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in report["endpoints"]:
        flag = " ⚠" if row["p95_ms"] > report["target_p95_ms"] else ""
        lines.append(f"| {row['name']} | {row['p50_ms']} | {row['p95_ms']}{flag} | {row['max_ms']} | "
                     f"{row['first_ms']} |")
    lines += ["", "| baseline (direct query, p50) | ours ms | baseline ms | × |", "|---|---:|---:|---:|"]
    for row in report["baselines"]:
        lines.append(f"| {row['name']} | {row['ours_p50_ms']} | {row['baseline_p50_ms']} | {row['speedup']} |")
    return "\n".join(lines)


def _fetch(store: Store, query: Any) -> object:
    with store.engine.connect() as conn:
        return conn.execute(query).all()


def _time(action: Callable[[], object], repeats: int) -> dict[str, float]:
    action()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return summary(timings)


def _reset_password(store: Store) -> None:
    from argon2 import PasswordHasher

    from core.store.schema import users

    with store.engine.begin() as conn:
        conn.execute(sa.update(users).where(users.c.username == BENCH_USER)
                     .values(password_hash=PasswordHasher().hash(BENCH_PASSWORD), failed_logins=0, locked_until=None))


def _pg_url() -> str:
    base = os.environ.get("GCC1111_BENCH_POSTGRES_URL", POSTGRES)
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{PG_SCHEMA}"')
    admin.dispose()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{PG_SCHEMA}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _progress(done: int) -> None:
    if done % 100_000 == 0:
        print(f"  {done:,} mentions", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
