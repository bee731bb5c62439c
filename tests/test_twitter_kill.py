"""A listener process SIGKILLed part-way through an X poll loses nothing and stores nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.clock import ManualClock
from core.store import Store
from sandbox.seed import SeedPost
from sandbox.twitter import TwitterSandbox
from scrapers.listener import Listener
from scrapers.twitter import TwitterMentions, build_client

ROOT = Path(__file__).resolve().parents[1]
MENTIONS = r"/2/users/\d+/mentions"

# The child polls once, as `gcc1111 run` would, against the same SQLite file and stand-in.
CHILD = """
import sys
from datetime import datetime
from core.clock import ManualClock
from core.store import Store
from scrapers.listener import Listener
from scrapers.twitter import TwitterMentions, build_client

store_url, api_url, token, user_id, now = sys.argv[1:6]
clock = ManualClock(datetime.fromisoformat(now))
store = Store.open(store_url, clock)
source = TwitterMentions(build_client(api_url, token), user_id, clock, max_results=5)
Listener([source], store.mentions, store.health, clock).poll(source)
"""


@pytest.fixture
def x(clock: ManualClock) -> Iterator[TwitterSandbox]:
    sandbox = TwitterSandbox(clock)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def test_kill_9_mid_poll_then_restart_stores_every_tweet_exactly_once(
        x: TwitterSandbox, sqlite_store: Store, sqlite_url: str, clock: ManualClock) -> None:
    for n in range(17):  # four pages of five
        x.publish(SeedPost("twitter", "mention", f"ประชาชน {n}", f"citizen{n}", f"น้ำประปาไม่ไหล หมู่ {n}"))
        clock.advance(seconds=15)
    ids = sorted(x.tweets, key=int, reverse=True)
    x.slow(delay_seconds=20, after_pages=2)  # the third page hangs: the child is mid-poll when killed

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, sqlite_url, x.url, x.bearer_token, x.account.user_id, clock.now().isoformat()],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        reached = x.stalled.wait(timeout=60)
    finally:
        child.send_signal(signal.SIGKILL)
        _, errors = child.communicate(timeout=30)
    assert reached, f"the child never reached the third page: {errors.decode(errors='replace')}"
    assert child.returncode == -signal.SIGKILL

    after_kill = sqlite_store.mentions.count()
    cursor = sqlite_store.mentions.cursor("twitter.mentions")
    seen_before = len(x.requests_to(MENTIONS))
    source = TwitterMentions(build_client(x.url, x.bearer_token), x.account.user_id, clock, max_results=5)
    result = Listener([source], sqlite_store.mentions, sqlite_store.health, clock).poll(source)
    resumed = [r.query for r in x.requests_to(MENTIONS)[seen_before:]]

    assert after_kill == 10 and cursor == {"newest_id": ids[0], "until_id": ids[9]}
    assert (result.stored, result.error) == (7, "")
    assert all(q["until_id"] == ids[9] and "since_id" not in q for q in resumed)  # only the unread gap
    assert sorted((m.external_id for m in sqlite_store.mentions.iterate()), key=int, reverse=True) == ids
    assert sqlite_store.mentions.cursor("twitter.mentions") == {"since_id": ids[0]}
