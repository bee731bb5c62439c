"""A listener SIGKILLed part-way through a Telegram poll loses nothing and stores nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from telegram_support import CITIZEN, get_updates_params, listen, started_sandbox

from core.clock import ManualClock
from core.store import Store

ROOT = Path(__file__).resolve().parents[1]

# The child polls once, as `gcc1111 run` would, against the same SQLite file and stand-in.
CHILD = """
import sys
from datetime import datetime
from core.clock import ManualClock
from core.store import Store
from scrapers.listener import Listener
from scrapers.telegram import TelegramSource

store_url, base_url, token, now = sys.argv[1:5]
clock = ManualClock(datetime.fromisoformat(now))
store = Store.open(store_url, clock)
source = TelegramSource(base_url, token, limit=5)
Listener([source], store.mentions, store.health, clock).poll(source)
"""


def test_kill_9_mid_poll_then_restart_stores_every_message_exactly_once(
        sqlite_store: Store, sqlite_url: str, clock: ManualClock) -> None:
    with started_sandbox(clock) as tg:
        updates = []
        for n in range(12):  # pages of five: 5, 5, 2
            updates.append(tg.user_says(CITIZEN + n, f"น้ำท่วมสูงหนึ่งเมตร หมู่ {n} ขอเรือด่วน"))
            clock.advance(seconds=20)
        ids = [u["update_id"] for u in updates if u is not None]
        # The second getUpdates (which confirms page one and carries page two) is answered too late:
        # the child is killed while waiting, so page two is lost in flight and never confirmed.
        tg.slow(delay_seconds=20, after_calls=1)

        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, sqlite_url, tg.base_url, tg.token, clock.now().isoformat()],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            reached = tg.stalled.wait(timeout=60)
        finally:
            child.send_signal(signal.SIGKILL)
            _, errors = child.communicate(timeout=30)
        assert reached, f"the child never reached the second page: {errors.decode(errors='replace')}"
        assert child.returncode == -signal.SIGKILL

        after_kill = sqlite_store.mentions.count()
        cursor = sqlite_store.mentions.cursor("telegram")
        unconfirmed = [u["update_id"] for u in tg.pending_updates()]
        listener, source = listen(sqlite_store, clock, tg, limit=5)
        result = listener.poll(source)
        calls = get_updates_params(tg)

    assert (after_kill, cursor) == (5, {"offset": ids[4] + 1})
    assert unconfirmed == ids[5:]  # page one was confirmed by the call that hung; the rest wait for us
    assert (result.stored, result.error) == (7, "")
    assert [c.get("offset") for c in calls] == [None, str(ids[4] + 1), str(ids[4] + 1), str(ids[9] + 1)]
    stored = sorted(m.external_id for m in sqlite_store.mentions.iterate())
    assert stored == sorted(f"{CITIZEN + n}:1" for n in range(12))
    assert sqlite_store.mentions.cursor("telegram") == {"offset": ids[-1] + 1}
