"""Post-to-store latency: how long after a citizen posts is the mention in the database?

Run: python -m bench.latency_bench [--posts 200] [--poll-seconds 5]

Two paths, same run, same Facebook stand-in and the same receiving code:
- webhook: the stand-in POSTs Meta's signed feed event to the desk's web server (uvicorn, real HTTP),
  which verifies the signature and stores the mention;
- polling: the Page feed source is polled every --poll-seconds (the named baseline); a post waits on
  average half an interval before it is even read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from core.clock import SystemClock
from core.domain import Platform
from core.store import Store
from sandbox.facebook import FacebookSandbox
from scrapers.facebook import GraphClient, PageFeedSource, create_facebook_webhook
from scrapers.listener import Listener

RESULTS = Path(__file__).resolve().parent / "results"


def wait_stored(store: Store, external_id: str, started: float, timeout: float = 60) -> float:
    while time.perf_counter() - started < timeout:
        if store.mentions.find(Platform.FACEBOOK, external_id) is not None:
            return time.perf_counter() - started
        time.sleep(0.002)
    raise TimeoutError(external_id)


def webhook_latencies(sandbox: FacebookSandbox, store: Store, posts: int, port: int) -> list[float]:
    app = create_facebook_webhook(page_id=sandbox.page_id, verify_token=sandbox.env()["GCC1111_FACEBOOK__VERIFY_TOKEN"],
                                  app_secret=sandbox.env()["GCC1111_FACEBOOK__APP_SECRET"], store=store.mentions)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    env = sandbox.env()
    assert sandbox.subscribe(f"http://127.0.0.1:{port}/", env["GCC1111_FACEBOOK__VERIFY_TOKEN"],
                             env["GCC1111_FACEBOOK__APP_SECRET"])
    target = sandbox.page_post("ประกาศ: ทดสอบเวลาตอบสนอง").id
    latencies = []
    for n in range(posts):
        started = time.perf_counter()
        comment = sandbox.comment(target, f"ความเห็นที่ {n}: ไฟถนนดับค่ะ", handle=f"citizen{n}")
        latencies.append(wait_stored(store, comment.id, started))
    server.should_exit = True
    thread.join(timeout=5)
    return latencies


def polling_latencies(sandbox: FacebookSandbox, store: Store, posts: int, interval: float) -> list[float]:
    env = sandbox.env()
    client = GraphClient(env["GCC1111_FACEBOOK__GRAPH_URL"], "v25.0", env["GCC1111_FACEBOOK__ACCESS_TOKEN"],
                         clock=SystemClock())
    listener = Listener([PageFeedSource(client, sandbox.page_id, SystemClock(), name="facebook.poll")],
                        store.mentions, store.health, SystemClock())
    stop = threading.Event()

    def poll_forever() -> None:
        while not stop.is_set():
            listener.poll_all(force=True)
            stop.wait(interval)

    thread = threading.Thread(target=poll_forever, daemon=True)
    thread.start()
    latencies = []
    for n in range(posts):
        time.sleep((n * 0.37) % interval / 4)  # spread posts across the polling cycle
        started = time.perf_counter()
        post = sandbox.visitor_post(f"โพสต์ที่ {n}: ถนนเป็นหลุม", handle=f"walker{n}")
        latencies.append(wait_stored(store, post.id, started, timeout=interval * 4 + 30))
    stop.set()
    thread.join(timeout=interval + 5)
    return latencies


def summary(name: str, values: list[float]) -> dict[str, float | str | int]:
    ordered = sorted(values)
    return {"path": name, "posts": len(values), "p50_ms": 1000 * statistics.median(ordered),
            "p95_ms": 1000 * ordered[int(0.95 * (len(ordered) - 1))], "max_ms": 1000 * ordered[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--poll-seconds", type=float, default=5.0)
    parser.add_argument("--port", type=int, default=8787)
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, run in (
            ("webhook → store", lambda s, st: webhook_latencies(s, st, options.posts, options.port)),
            (f"polling every {options.poll_seconds:g} s → store (baseline)",
             lambda s, st: polling_latencies(s, st, max(20, options.posts // 10), options.poll_seconds)),
        ):
            sandbox = FacebookSandbox()
            sandbox.start()
            store = Store.open(f"sqlite:///{Path(folder) / (str(len(rows)) + '.sqlite')}", SystemClock())
            rows.append(summary(name, run(sandbox, store)))
            store.close()
            sandbox.stop()
    print("\n| path | posts | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['path']} | {row['posts']} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['max_ms']:.0f} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latency.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
