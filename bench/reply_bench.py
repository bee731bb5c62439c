"""Reply benchmark: time from a post appearing to its reply being accepted, and replies per second.

`python -m bench.reply_bench [--posts 200]` runs, against the loopback stand-ins and a fresh SQLite file:

1. X by polling: the public tweets at a steady rate; a loop polls the mentions timeline every
   --poll-seconds, then classify → respond → dispatch run at once (the poll rings the pipeline's Kick).
2. Facebook by webhook: the stand-in POSTs each new comment, signed, to the real webhook receiver
   (scrapers/facebook/webhook.py under uvicorn); its ingest rings the Kick, so the pipeline starts
   without waiting for any timer.
3. Outbox throughput against the Telegram stand-in: N replies sent by the worker in batches, against the
   baseline of one reply per worker run (one claim transaction, one send, one mark each).

Classification is a fixed stand-in (every post an inquiry at 0.95) so the figures measure the desk, not
the model. Platform pacing is lifted for the latency runs (the production defaults would space X replies
5 s apart by design); the dispatcher's own work is unchanged. Prints a Markdown table and writes JSON to
bench/results/reply_bench.json.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import uvicorn

from bots.dispatch import Dispatcher, Pace
from bots.knowledge import KnowledgeBase
from config.responder_wiring import Responding, build_repliers, build_responding, default_knowledge, ingest_and_kick
from config.settings import load_settings
from config.wiring import load_agencies_default
from core.clock import SystemClock
from core.domain import Classification, Label, MentionStage, Platform, Reply, ReplyKind, ReplyStatus
from core.ports import Sent
from core.store import Store
from core.store.schema import classifications, mentions
from sandbox.facebook import FacebookSandbox
from sandbox.telegram import TelegramSandbox
from sandbox.twitter import TwitterSandbox
from scrapers.facebook import create_facebook_webhook
from scrapers.listener import Listener
from scrapers.twitter import TwitterMentions, build_client

RESULTS = Path(__file__).resolve().parent / "results"
INQUIRY = Classification(label=Label.INQUIRY, confidence=0.95, agency=None, agency_confidence=0.9, urgent=False,
                         urgent_score=0.01, model_version="bench-fixed")
UNPACED = {p: Pace(per_second=10_000, burst=10_000) for p in Platform}


@dataclass
class Accepted:
    """Wraps a Replier: notes when the platform accepted each reply (the end of a latency measurement)."""

    inner: Any
    at: dict[str, float] = field(default_factory=dict)

    @property
    def platform(self) -> Platform:
        return self.inner.platform  # type: ignore[no-any-return]

    @property
    def can_confirm(self) -> bool:
        return self.inner.can_confirm  # type: ignore[no-any-return]

    def reply(self, target: str, text: str, key: str) -> Sent:
        sent = self.inner.reply(target, text, key)
        self.at.setdefault(target, time.perf_counter())
        return sent  # type: ignore[no-any-return]

    def find_sent(self, target: str, key: str, text: str) -> Sent | None:
        return self.inner.find_sent(target, key, text)  # type: ignore[no-any-return]


def classify_everything(store: Store) -> int:
    """The bench's classify step: every new mention is a confident inquiry."""
    with store.engine.begin() as conn:
        ids = conn.execute(sa.select(mentions.c.id).where(mentions.c.stage == MentionStage.NEW.value)).scalars().all()
        for mention_id in ids:
            conn.execute(sa.insert(classifications).values(
                mention_id=mention_id, label=INQUIRY.label.value, confidence=INQUIRY.confidence, agency=None,
                agency_confidence=INQUIRY.agency_confidence, urgent=False, urgent_score=INQUIRY.urgent_score,
                model_version=INQUIRY.model_version, classified_at=store.clock.now()))
        if ids:
            conn.execute(sa.update(mentions).where(mentions.c.id.in_(ids)).values(stage=MentionStage.CLASSIFIED.value))
    return len(ids)


def questions(knowledge: KnowledgeBase, count: int) -> list[str]:
    """FAQ questions the desk answers on its own, cycled to `count`."""
    today = SystemClock().now().date()
    pool = [q for e in knowledge.entries if e.answers_public(today) for q in e.questions[:1]]
    return [pool[n % len(pool)] for n in range(count)]


def summary(latencies: Sequence[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"count": len(ordered), "p50_ms": 1000 * statistics.median(ordered),
            "p95_ms": 1000 * ordered[max(0, round(0.95 * len(ordered)) - 1)], "max_ms": 1000 * ordered[-1]}


def desk(store: Store, env: dict[str, str], knowledge: KnowledgeBase, platform: Platform,
         clock: SystemClock) -> tuple[Responding, Accepted]:
    settings = load_settings(env)
    accepted = Accepted(build_repliers(settings, clock)[platform])
    responding = build_responding(settings, store, load_agencies_default(), clock,
                                  classify=lambda: classify_everything(store), knowledge=knowledge,
                                  repliers={platform: accepted}, paces=UNPACED)  # type: ignore[dict-item]
    return responding, accepted


def run_loop(stop: threading.Event, body: Callable[[], None]) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            body()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def bench_x_polling(workdir: Path, knowledge: KnowledgeBase, posts: int, poll_seconds: float,
                    interval: float) -> dict[str, Any]:
    clock = SystemClock()
    x = TwitterSandbox(clock, limits={"mentions": 100_000, "create": 100_000, "timeline": 100_000})
    x.start()
    store = Store.open(f"sqlite:///{workdir / 'x.sqlite'}", clock)
    try:
        responding, accepted = desk(store, x.env(), knowledge, Platform.TWITTER, clock)
        source = TwitterMentions(build_client(x.url, x.bearer_token), x.account.user_id, clock)
        listener = Listener([source], store.mentions, store.health, clock)
        stop = threading.Event()

        def poll_then_answer() -> None:
            if sum(r.stored for r in listener.poll_all(force=True)):
                responding.pipeline.run_all()
            stop.wait(poll_seconds)

        worker = run_loop(stop, poll_then_answer)
        appeared: dict[str, float] = {}
        for n, text in enumerate(questions(knowledge, posts)):
            tweet = x.add_tweet(f"@GCC1111 {text}", f"citizen{n}")
            appeared[f"tweet:{tweet.id}"] = time.perf_counter()
            stop.wait(interval)
        wait_until(lambda: len(accepted.at) >= posts, 120)
        stop.set()
        worker.join(timeout=10)
        lost = posts - len(accepted.at)
        return {**summary([accepted.at[t] - appeared[t] for t in appeared if t in accepted.at]), "missing": lost,
                "poll_seconds": poll_seconds, "posts_per_second": round(1 / interval, 2)}
    finally:
        store.close()
        x.stop()


def bench_facebook_webhook(workdir: Path, knowledge: KnowledgeBase, posts: int, interval: float) -> dict[str, Any]:
    clock = SystemClock()
    fb = FacebookSandbox(clock)
    fb.hourly_budget = 1_000_000
    fb.start()
    store = Store.open(f"sqlite:///{workdir / 'fb.sqlite'}", clock)
    server = None
    try:
        responding, accepted = desk(store, fb.env(), knowledge, Platform.FACEBOOK, clock)
        app = create_facebook_webhook(page_id=fb.page_id, verify_token=fb.verify_token, app_secret=fb.app_secret,
                                      store=ingest_and_kick(store, responding.kick))
        url, server, thread = serve(app)
        assert fb.subscribe(url + "/", fb.verify_token, fb.app_secret), "webhook handshake failed"
        stop = threading.Event()

        def answer_when_kicked() -> None:
            if responding.kick.wait(0.5):
                responding.pipeline.run_all()

        worker = run_loop(stop, answer_when_kicked)
        appeared: dict[str, float] = {}
        for n, text in enumerate(questions(knowledge, posts)):
            started = time.perf_counter()  # the post appears; Meta's POST to our webhook follows at once
            comment = fb.comment(fb.announcements[n % len(fb.announcements)].id, text, handle=f"citizen{n}")
            appeared[f"comment:{comment.id}"] = started
            stop.wait(interval)
        wait_until(lambda: len(accepted.at) >= posts, 120)
        stop.set()
        worker.join(timeout=10)
        server.should_exit = True
        thread.join(timeout=10)
        return {**summary([accepted.at[t] - appeared[t] for t in appeared if t in accepted.at]),
                "missing": posts - len(accepted.at), "posts_per_second": round(1 / interval, 2),
                "webhook_deliveries_failed": sum(1 for d in fb.webhooks.deliveries if d.status != 200)}
    finally:
        store.close()
        fb.stop()


def bench_outbox(workdir: Path, replies: int, baseline_replies: int) -> dict[str, Any]:
    clock = SystemClock()
    tg = TelegramSandbox(clock)
    tg.start()
    assert tg._httpd is not None
    tg._httpd.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
    store = Store.open(f"sqlite:///{workdir / 'tg.sqlite'}", clock)
    try:
        replier = build_repliers(load_settings(tg.env()), clock)[Platform.TELEGRAM]
        users = [7_000_000_000 + n for n in range(50)]
        for user in users:
            tg.add_user(user)

        def fill(prefix: str, count: int) -> None:
            for n in range(count):
                store.outbox.enqueue(Reply(key=f"{prefix}:{n}", kind=ReplyKind.ANSWER, platform=Platform.TELEGRAM,
                                           target=f"chat:{users[n % len(users)]}",
                                           text=f"คำตอบที่ {n}: ยื่นคำขอได้ที่สำนักงานเขตทุกแห่ง โทร 1111",
                                           status=ReplyStatus.PENDING, created_at=clock.now()))

        def drain(limit: int, expected: int) -> float:
            worker = Dispatcher(store.outbox, {Platform.TELEGRAM: replier}, clock, paces={})
            started = time.perf_counter()
            sent = 0
            while sent < expected:
                done = worker.run_once(limit=limit)
                if done == 0:
                    break
                sent += done
            elapsed = time.perf_counter() - started
            assert sent == expected, f"sent {sent} of {expected}"
            return expected / elapsed

        fill("baseline", baseline_replies)
        baseline = drain(1, baseline_replies)
        fill("batched", replies)
        batched = drain(100, replies)
        delivered = sum(len(tg.sent_to(u)) for u in users)
        return {"replies": replies, "batched_per_second": batched, "baseline_replies": baseline_replies,
                "one_per_run_per_second": baseline, "speedup": batched / baseline,
                "delivered": delivered, "expected": replies + baseline_replies}
    finally:
        store.close()
        tg.stop()


def serve(app: Any) -> tuple[str, uvicorn.Server, threading.Thread]:
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 10)
    return f"http://127.0.0.1:{port}", server, thread


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    tick = threading.Event()
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        tick.wait(0.01)
    return condition()


def table(results: dict[str, Any]) -> str:
    x, fb, box = results["x_polling"], results["facebook_webhook"], results["outbox_telegram"]
    rows = [
        "| measurement | posts / replies | p50 | p95 | max | notes |",
        "|---|---|---|---|---|---|",
        f"| X: post appears → reply accepted (polling every {x['poll_seconds']} s) | {x['count']} | "
        f"{x['p50_ms']:.0f} ms | {x['p95_ms']:.0f} ms | {x['max_ms']:.0f} ms | {x['posts_per_second']} posts/s, "
        f"missing {x['missing']} |",
        f"| Facebook: post appears → webhook → reply accepted | {fb['count']} | {fb['p50_ms']:.0f} ms | "
        f"{fb['p95_ms']:.0f} ms | {fb['max_ms']:.0f} ms | {fb['posts_per_second']} posts/s, missing {fb['missing']}, "
        f"target < 2000 ms |",
        f"| Outbox → Telegram, batched worker runs (100 per claim) | {box['replies']} | "
        f"{box['batched_per_second']:.0f} replies/s | | | {box['speedup']:.1f}× the baseline |",
        f"| Baseline: one reply per worker run (one claim transaction each) | {box['baseline_replies']} | "
        f"{box['one_per_run_per_second']:.0f} replies/s | | | delivered {box['delivered']} of {box['expected']} |",
    ]
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=200, help="posts per latency run (at least 200 for p95)")
    parser.add_argument("--poll-seconds", type=float, default=1.0, help="X polling interval")
    parser.add_argument("--rate", type=float, default=4.0, help="posts per second the public writes")
    parser.add_argument("--replies", type=int, default=2000, help="replies for the outbox throughput run")
    options = parser.parse_args(argv)
    knowledge = default_knowledge()
    interval = 1 / options.rate
    with tempfile.TemporaryDirectory(prefix="gcc1111-bench-") as folder:
        workdir = Path(folder)
        results = {
            "x_polling": bench_x_polling(workdir, knowledge, options.posts, options.poll_seconds, interval),
            "facebook_webhook": bench_facebook_webhook(workdir, knowledge, options.posts, interval),
            "outbox_telegram": bench_outbox(workdir, options.replies, max(200, options.replies // 5)),
        }
    results["machine"] = {"cpus": __import__("os").cpu_count(), "database": "SQLite (WAL)"}
    print(table(results))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reply_bench.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
