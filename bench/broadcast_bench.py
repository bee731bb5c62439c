"""Broadcast punctuality: how late each scheduled occurrence reaches the platform, in real time.

`python -m bench.broadcast_bench [--occurrences 1000 --window 60 --lead 20 --baselines 5,1]` runs, each
against a fresh SQLite file and a fresh Telegram stand-in on loopback, with the real publisher and the real
TelegramPoster over HTTP:

1. "apscheduler": the product's SchedulerService in an asyncio loop (APScheduler 3 AsyncIOScheduler, a sync
   job every 5 s that plans and arms one date job per due time from the database, lease held in the DB);
2. baselines: a naive loop that runs the scheduler's whole pass every N seconds (`poll every N s`), the
   usual first attempt at "check what is due".

N occurrences (one-off broadcasts to the Telegram channel, approved) are spread evenly over --window seconds
starting --lead seconds after the run starts (time to plan them). Lateness is measured from each occurrence's
due time to the moment the platform's answer accepting it arrived (wall clock, both UTC). Every occurrence
must be published exactly once; the run reports any missing or duplicate. Prints a Markdown table and writes
JSON to bench/results/broadcast_bench.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from config.broadcast_wiring import Broadcasting, build_broadcasting
from config.responder_wiring import build_posters
from config.settings import load_settings
from core.clock import SystemClock
from core.domain import Broadcast, BroadcastStatus, DeliveryStatus, Platform
from core.ports import Poster, Sent
from core.store import Store
from sandbox.telegram import CHANNEL_USERNAME, TelegramSandbox

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_P95_SECONDS = 2.0


@dataclass
class Accepted:
    """Wraps the real Poster: notes when the platform's answer accepting each post arrived."""

    inner: Poster
    at: dict[str, float] = field(default_factory=dict)
    platform: Platform = field(init=False)

    def __post_init__(self) -> None:
        self.platform = self.inner.platform

    @property
    def can_confirm(self) -> bool:
        return bool(getattr(self.inner, "can_confirm", True))

    def post(self, text: str, key: str) -> Sent:
        sent = self.inner.post(text, key)
        self.at.setdefault(key, time.time())
        return sent

    def find_posted(self, key: str, text: str) -> Sent | None:
        return self.inner.find_posted(key, text)


def schedule(store: Store, count: int, start: datetime, window: float) -> list[datetime]:
    """`count` approved one-off broadcasts to the Telegram channel, due evenly across the window."""
    now = store.clock.now()
    times = [start + timedelta(seconds=window * n / count) for n in range(count)]
    for n, due in enumerate(times):
        store.broadcasts.create(Broadcast(
            title=f"bench {n}", channels=(Platform.TELEGRAM,), status=BroadcastStatus.APPROVED, author="bench.pr",
            approver="bench.approver", approved_at=now, created_at=now, run_at=due,
            text=f"ประกาศทดสอบความตรงเวลา ลำดับที่ {n:04d} จากศูนย์บริการข้อมูลภาครัฐ 1111"))
    return times


def published(store: Store) -> int:
    """How many deliveries are published so far."""
    return len(store.broadcasts.deliveries(None, DeliveryStatus.PUBLISHED))


def run_service(desk: Broadcasting, store: Store, count: int, deadline: float) -> None:
    """The product: the SchedulerService in an asyncio loop until everything is published (or the deadline)."""
    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.ensure_future(desk.service.run(stop))
        while time.time() < deadline and await asyncio.to_thread(published, store) < count:
            await asyncio.sleep(1.0)
        stop.set()
        await task

    asyncio.run(main())


def run_polling(desk: Broadcasting, store: Store, count: int, deadline: float, every: float) -> None:
    """The baseline: the scheduler's whole pass every `every` seconds."""
    stop = threading.Event()
    while time.time() < deadline and published(store) < count:
        desk.scheduler.tick()
        stop.wait(every)
    desk.scheduler.resign()


def one_run(workdir: Path, mode: str, count: int, window: float, lead: float) -> dict[str, Any]:
    """One mode against a fresh database and a fresh Telegram stand-in."""
    clock = SystemClock()
    telegram = TelegramSandbox(clock)
    telegram.start()
    store = Store.open(f"sqlite:///{workdir / f'{mode}.sqlite'}", clock)
    try:
        settings = load_settings({**telegram.env(), "GCC1111_DATA_DIR": str(workdir)})
        accepted = Accepted(build_posters(settings, clock)[Platform.TELEGRAM])
        desk = build_broadcasting(settings, store, clock, {Platform.TELEGRAM: accepted}, holder=f"bench-{mode}")
        started = time.time()
        times = schedule(store, count, clock.now() + timedelta(seconds=lead), window)
        setup_seconds = time.time() - started
        deadline = times[-1].timestamp() + 60
        if mode == "apscheduler":
            run_service(desk, store, count, deadline)
        else:
            run_polling(desk, store, count, deadline, float(mode.removeprefix("poll-").removesuffix("s")))
        return measure(store, accepted, telegram, mode, count, window, setup_seconds)
    finally:
        store.close()
        telegram.stop()


def measure(store: Store, accepted: Accepted, telegram: TelegramSandbox, mode: str, count: int, window: float,
            setup_seconds: float) -> dict[str, Any]:
    """Lateness of each published occurrence (platform accepted − due), and any missing or duplicate."""
    deliveries = store.broadcasts.deliveries(None)
    late = []
    for delivery in deliveries:
        key = f"broadcast:{delivery.broadcast_id}:telegram:{delivery.scheduled_for:%Y%m%dT%H%M%SZ}"
        if delivery.status is DeliveryStatus.PUBLISHED and key in accepted.at:
            late.append(accepted.at[key] - delivery.scheduled_for.timestamp())
    texts = Counter(message["text"] for message in telegram.sent_to(f"@{CHANNEL_USERNAME}"))
    ordered = sorted(late)
    return {
        "mode": mode, "occurrences": count, "window_seconds": window, "setup_seconds": round(setup_seconds, 2),
        "published": len(late), "missing": count - len(late),
        "duplicates": sum(n - 1 for n in texts.values() if n > 1),
        "early": sum(1 for x in ordered if x < 0),
        "late_p50_s": round(statistics.median(ordered), 3) if ordered else None,
        "late_p95_s": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 3) if ordered else None,
        "late_max_s": round(ordered[-1], 3) if ordered else None,
    }


def table(results: Sequence[dict[str, Any]]) -> str:
    """The results as a Markdown table."""
    lines = ["| run | occurrences | published | missing | duplicates | late p50 (s) | late p95 (s) | late max (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        name = "APScheduler date jobs (product)" if r["mode"] == "apscheduler" else \
            f"baseline: poll every {r['mode'].removeprefix('poll-')}"
        lines.append(f"| {name} | {r['occurrences']} | {r['published']} | {r['missing']} | {r['duplicates']} | "
                     f"{r['late_p50_s']} | {r['late_p95_s']} | {r['late_max_s']} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Run every mode, print the table, write bench/results/broadcast_bench.{json,md}."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--occurrences", type=int, default=1000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds the occurrences are spread over")
    parser.add_argument("--lead", type=float, default=20.0, help="seconds before the first is due")
    parser.add_argument("--baselines", default="5,1", help="poll intervals (seconds) of the naive baselines")
    options = parser.parse_args(argv)
    modes = ["apscheduler", *(f"poll-{float(s):g}s" for s in options.baselines.split(",") if s.strip())]
    results = []
    with tempfile.TemporaryDirectory(prefix="gcc1111-broadcast-bench-") as folder:
        for mode in modes:
            print(f"running {mode} …", flush=True)
            results.append(one_run(Path(folder), mode, options.occurrences, options.window, options.lead))
    product = results[0]
    summary = {
        "target": f"p95 lateness under {TARGET_P95_SECONDS} s",
        "met": product["late_p95_s"] is not None and product["late_p95_s"] < TARGET_P95_SECONDS
        and product["missing"] == 0 and product["duplicates"] == 0,
        "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]},
        "runs": results,
    }
    print(table(results))
    print(f"target {summary['target']}: {'met' if summary['met'] else 'NOT met'}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "broadcast_bench.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "broadcast_bench.md").write_text(table(results) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
