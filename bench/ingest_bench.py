"""Ingest throughput: mentions per second stored from the X stand-in, cursor and deduplication included.

Run: python -m bench.ingest_bench [--tweets 20000] [--database-url URL]

Three figures from the same run and the same tweets:
- end to end: the real X source (tweepy over HTTP to the sandbox, 100 tweets a page) through the Listener
  into a fresh database, cursor saved with every page;
- store only: the same parsed mentions handed to MentionStore.ingest in pages of 100;
- baseline "row by row": what a straightforward implementation does: for each mention, SELECT to check
  for a duplicate, INSERT, and commit, then save the cursor.
Re-ingesting the same pages measures deduplication (every row already stored).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path

import sqlalchemy as sa

from bench.scratch import scratch_schema
from core.clock import SystemClock
from core.domain import Mention
from core.store import Store
from core.store.mentions import _row
from core.store.schema import mentions, source_cursors
from sandbox.seed import load_seed
from sandbox.twitter import TwitterSandbox
from scrapers.listener import Listener
from scrapers.twitter.client import build_client
from scrapers.twitter.source import TwitterSearch

RESULTS = Path(__file__).resolve().parent / "results"
PAGE = 100


def seed_tweets(sandbox: TwitterSandbox, count: int) -> None:
    texts = [p.text for p in load_seed() if p.platform in ("twitter", "facebook", "telegram")]
    for n in range(count):
        sandbox.add_tweet(f"ร้องเรียน {texts[n % len(texts)]}", f"citizen{n % 997}", f"ประชาชน {n % 997}")


def serve_sandbox(count: int, ready: Connection, stop: Event) -> None:
    """In its own process, as X is: the stand-in's work must not share our interpreter's lock."""
    sandbox = TwitterSandbox()
    sandbox.set_limit("search", 1_000_000)
    sandbox.start()
    seed_tweets(sandbox, count)
    ready.send((sandbox.url, sandbox.bearer_token))
    stop.wait()
    sandbox.stop()


def end_to_end(api_url: str, token: str, url: str, count: int) -> tuple[float, int, list[Mention]]:
    store = Store.open(url, SystemClock())
    client = build_client(api_url, token)
    source = TwitterSearch(client, "ร้องเรียน", SystemClock(), max_pages=count // PAGE + 2)
    listener = Listener([source], store.mentions, store.health, SystemClock())
    started = time.perf_counter()
    (result,) = listener.poll_all(force=True)
    elapsed = time.perf_counter() - started
    stored = list(store.mentions.iterate())
    store.close()
    assert not result.error, result.error
    return elapsed, result.stored, stored


def store_only(url: str, batch: list[Mention]) -> tuple[float, float]:
    store = Store.open(url, SystemClock())
    started = time.perf_counter()
    for start in range(0, len(batch), PAGE):
        store.mentions.ingest("bench", batch[start:start + PAGE], {"page": start})
    first = time.perf_counter() - started
    started = time.perf_counter()
    for start in range(0, len(batch), PAGE):
        store.mentions.ingest("bench", batch[start:start + PAGE], {"page": start})
    again = time.perf_counter() - started
    assert store.mentions.count() == len(batch)
    store.close()
    return first, again


def row_by_row(url: str, batch: list[Mention]) -> float:
    """The named baseline: check, insert and commit one mention at a time."""
    store = Store.open(url, SystemClock())
    now = datetime.now(UTC)
    started = time.perf_counter()
    for n, mention in enumerate(batch):
        with store.engine.begin() as conn:
            exists = conn.execute(sa.select(mentions.c.id).where(
                mentions.c.platform == mention.platform.value, mentions.c.external_id == mention.external_id)).first()
            if exists is None:
                conn.execute(sa.insert(mentions).values(**_row(mention, now)))
        if n % PAGE == PAGE - 1:
            with store.engine.begin() as conn:
                conn.execute(sa.delete(source_cursors).where(source_cursors.c.source == "bench"))
                conn.execute(sa.insert(source_cursors).values(source="bench", position={"n": n}, updated_at=now))
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def fresh_sqlite(folder: str, name: str) -> str:
    return f"sqlite:///{Path(folder) / name}.sqlite"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tweets", type=int, default=20_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL for an extra store-only row")
    options = parser.parse_args()

    receive, send = multiprocessing.Pipe(duplex=False)
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve_sandbox, args=(options.tweets, send, stop), daemon=True)
    server.start()
    api_url, token = receive.recv()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        elapsed, stored, batch = end_to_end(api_url, token, fresh_sqlite(folder, "e2e"), options.tweets)
        rows.append(("end to end: X stand-in → Listener → SQLite", stored, elapsed))
        first, again = store_only(fresh_sqlite(folder, "store"), batch)
        rows.append(("store only: MentionStore.ingest, pages of 100, SQLite", len(batch), first))
        rows.append(("dedup: the same pages again (all duplicates), SQLite", len(batch), again))
        baseline = row_by_row(fresh_sqlite(folder, "baseline"), batch)
        rows.append(("baseline row by row: SELECT + INSERT + commit each, SQLite", len(batch), baseline))
        if options.database_url:
            with scratch_schema(options.database_url, "ingest") as url:
                first_pg, again_pg = store_only(url, batch)
            rows.append(("store only, PostgreSQL", len(batch), first_pg))
            rows.append(("dedup, PostgreSQL", len(batch), again_pg))
    stop.set()
    server.join(timeout=10)

    print(f"\nIngest benchmark ({options.tweets} tweets, {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cores)\n")
    print("| path | mentions | seconds | mentions/s |")
    print("|---|---:|---:|---:|")
    for name, count, seconds in rows:
        print(f"| {name} | {count} | {seconds:.2f} | {count / seconds:,.0f} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(
        [{"path": n, "mentions": c, "seconds": s, "per_second": c / s} for n, c, s in rows], indent=2))


if __name__ == "__main__":
    main()
