"""A listener SIGKILLed in the middle of an Instagram poll loses nothing and stores nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from config.settings import load_settings
from config.sources_instagram import instagram_sources
from core.clock import ManualClock
from core.domain import Platform
from core.store import Store
from sandbox.instagram import InstagramSandbox
from sandbox.server import Failure, json_response
from scrapers.listener import Listener

ROOT = Path(__file__).resolve().parents[1]

# The child polls the profile source once, as `gcc1111 run` would, on the same SQLite file.
CHILD = """
import json, sys
from datetime import datetime
from config.settings import load_settings
from config.sources_instagram import instagram_sources
from core.clock import ManualClock
from core.store import Store
from scrapers.listener import Listener

store_url, env, now = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
clock = ManualClock(datetime.fromisoformat(now))
store = Store.open(store_url, clock)
profile = instagram_sources(load_settings(env=env), clock)[0]
Listener([profile], store.mentions, store.health, clock).poll(profile)
"""


def test_kill_9_mid_poll_then_restart_stores_every_comment_exactly_once(
        sqlite_store: Store, sqlite_url: str, clock: ManualClock) -> None:
    sandbox = InstagramSandbox(clock)
    sandbox.start()
    try:
        older, newer = sandbox.posts[1], sandbox.posts[0]
        texts = {}
        for n in range(6):
            texts[sandbox.add_comment(f"ไฟถนนดับ ซอย {n} ค่ะ", f"newer{n}", on=newer).pk] = n
            texts[sandbox.add_comment(f"น้ำประปาไม่ไหล หมู่ {n}", f"older{n}", on=older).pk] = n
        # The second post's comments hang long enough for the kill to land while the child waits on them.
        hang = Failure(json_response({"status": "fail"}, status=502), times=1, delay_seconds=30)
        sandbox.fail(rf"/i/api/v1/media/{older.pk}/comments/", hang)

        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, sqlite_url, json.dumps(sandbox.env()), clock.now().isoformat()],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not sandbox.requests_to(rf"/i/api/v1/media/{older.pk}/comments/") and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            child.send_signal(signal.SIGKILL)
            _, errors = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL, errors.decode(errors="replace")
        stored_before_restart = sqlite_store.mentions.count()

        profile = instagram_sources(load_settings(env=sandbox.env()), clock)[0]
        result = Listener([profile], sqlite_store.mentions, sqlite_store.health, clock).poll(profile)
        again = Listener([profile], sqlite_store.mentions, sqlite_store.health, clock).poll(profile)
    finally:
        sandbox.stop()

    assert stored_before_restart == 6  # the newer post's comments made it in before the kill
    assert (result.error, result.stored, again.stored) == ("", 6, 0)
    stored = {int(m.external_id) for m in sqlite_store.mentions.iterate() if m.platform is Platform.INSTAGRAM}
    assert stored == set(texts)
