"""Real processes: kill -9 between a platform accepting a post and the database recording it; two schedulers.

A child process runs the real scheduler and the real Posters (built by config, as `gcc1111 run` builds them)
against the stand-ins. In the kill tests a wrapper stops the child right after the platform accepted the
first post and the test SIGKILLs it there; a restarted scheduler then reconciles: X is asked and the post is
recorded, not repeated; Telegram cannot be asked, so the occurrence is held for a person, never re-sent.
In the last test two child schedulers race on one database (SQLite and PostgreSQL) at the same due time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path

import pytest
from broadcast_support import add_staff, approved_one_off, build_desk, deliveries_of

from config.broadcast_wiring import Broadcasting
from config.responder_wiring import build_posters
from config.settings import load_settings
from core.clock import ManualClock
from core.domain import DeliveryStatus, Platform
from core.store import Store
from sandbox.server import PlatformServer
from sandbox.telegram import CHANNEL_USERNAME, TelegramSandbox
from sandbox.twitter import TwitterSandbox

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys, threading
from datetime import datetime
from bots.channels import BotApi, TelegramPoster, TwitterPoster, x_client
from config.broadcast_wiring import build_broadcasting
from config.settings import load_settings
from core.clock import ManualClock
from core.domain import Platform
from core.store import Store

store_url, now, holder, mode, rounds = sys.argv[1:6]
clock = ManualClock(datetime.fromisoformat(now))
store = Store.open(store_url, clock)
settings = load_settings()
# The real Posters, configured from settings as config/responder_wiring.py does (without importing the bot).
posters = {}
x, telegram = settings.twitter, settings.telegram
if x.can_post:
    keys = [s.get_secret_value() for s in (x.consumer_key, x.consumer_secret, x.access_token, x.access_token_secret)]
    client = x_client(x.api_url, consumer_key=keys[0], consumer_secret=keys[1], access_token=keys[2],
                      access_token_secret=keys[3])
    posters[Platform.TWITTER] = TwitterPoster(client, x.user_id, clock)
if telegram.enabled and telegram.channel_id:
    posters[Platform.TELEGRAM] = TelegramPoster(BotApi(telegram.base_url, telegram.token.get_secret_value()),
                                                telegram.channel_id)


class PauseAfterPost:
    # The platform has accepted the post; this process is killed before the database says so.
    def __init__(self, inner):
        self.inner, self.platform, self.can_confirm = inner, inner.platform, inner.can_confirm

    def post(self, text, key):
        sent = self.inner.post(text, key)
        print("POSTED", sent.platform_id, flush=True)
        threading.Event().wait()

    def find_posted(self, key, text):
        return self.inner.find_posted(key, text)


if mode == "pause":
    posters = {platform: PauseAfterPost(poster) for platform, poster in posters.items()}
desk = build_broadcasting(settings, store, clock, posters, holder=holder)
reports = [desk.scheduler.tick() for _ in range(int(rounds))]
print("DONE", sum(r.published for r in reports), sum(r.leader for r in reports), flush=True)
"""


@pytest.fixture
def stand_in(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[PlatformServer]:
    server: PlatformServer = {"twitter": TwitterSandbox, "telegram": TelegramSandbox}[request.param](clock)
    server.start()
    yield server
    server.stop()


def child(store_url: str, clock: ManualClock, server: PlatformServer, holder: str, mode: str,
          rounds: int = 1) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GCC1111_")}
    env.update({**server.env(), "PYTHONPATH": str(ROOT), "GCC1111_DATA_DIR": str(ROOT / "data" / "unused")})  # type: ignore[attr-defined]
    return subprocess.Popen([sys.executable, "-c", CHILD, store_url, clock.now().isoformat(), holder, mode,
                             str(rounds)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def published_on(server: PlatformServer) -> list[str]:
    if isinstance(server, TwitterSandbox):
        return [tweet.text for tweet in server.posted]
    assert isinstance(server, TelegramSandbox)
    return [message["text"] for message in server.sent_to(f"@{CHANNEL_USERNAME}")]


def restarted(store: Store, clock: ManualClock, env: Mapping[str, str]) -> Broadcasting:
    return build_desk(store, clock, build_posters(load_settings(env), clock), env=env, holder="restarted:2")


def kill_after_first_post(store_url: str, clock: ManualClock, server: PlatformServer) -> str:
    process = child(store_url, clock, server, "doomed:1", "pause")
    try:
        line = process.stdout.readline().decode() if process.stdout else ""
    finally:
        process.send_signal(signal.SIGKILL)
        _, errors = process.communicate(timeout=60)
    assert line.startswith("POSTED"), errors.decode(errors="replace")
    assert process.returncode == -signal.SIGKILL
    return line.split()[1]


@pytest.mark.parametrize("stand_in", ["twitter"], indirect=True)
def test_killed_after_x_accepted_the_post_is_recorded_not_repeated(
        stand_in: PlatformServer, sqlite_store: Store, sqlite_url: str, clock: ManualClock) -> None:
    add_staff(sqlite_store)
    desk = build_desk(sqlite_store, clock, {}, env=stand_in.env())  # type: ignore[attr-defined]
    due = clock.now() + timedelta(minutes=1)
    first = approved_one_off(desk, due, text="ประกาศผลการคัดเลือก รอบที่ 1", channels=(Platform.TWITTER,))
    second = approved_one_off(desk, due, text="ประกาศผลการคัดเลือก รอบที่ 2", channels=(Platform.TWITTER,))
    clock.set(due)

    posted_id = kill_after_first_post(sqlite_url, clock, stand_in)
    both = deliveries_of(sqlite_store, first) + deliveries_of(sqlite_store, second)
    (claimed,) = [d for d in both if d.status is DeliveryStatus.SENDING]
    (waiting,) = [d for d in both if d.status is DeliveryStatus.PENDING]
    assert published_on(stand_in) == [claimed.text]

    again = restarted(sqlite_store, clock, stand_in.env())  # type: ignore[attr-defined]
    clock.advance(seconds=31)  # the killed holder's lease lapses
    again.scheduler.tick()
    clock.advance(minutes=2)  # in flight long enough to be judged
    for _ in range(2):
        again.scheduler.tick()
        clock.advance(minutes=1)

    recorded = next(d for d in sqlite_store.broadcasts.deliveries(None) if d.id == claimed.id)
    sent_now = next(d for d in sqlite_store.broadcasts.deliveries(None) if d.id == waiting.id)
    assert (recorded.status, recorded.platform_post_id) == (DeliveryStatus.PUBLISHED, posted_id)  # found, not resent
    assert sent_now.status is DeliveryStatus.PUBLISHED and sent_now.attempts == 1
    assert sorted(text.split("\n")[0] for text in published_on(stand_in)) == ["ประกาศผลการคัดเลือก รอบที่ 1",
                                                                                "ประกาศผลการคัดเลือก รอบที่ 2"]


@pytest.mark.parametrize("stand_in", ["telegram"], indirect=True)
def test_killed_after_telegram_accepted_the_post_is_held_for_a_person_never_resent(
        stand_in: PlatformServer, sqlite_store: Store, sqlite_url: str, clock: ManualClock) -> None:
    add_staff(sqlite_store)
    desk = build_desk(sqlite_store, clock, {}, env=stand_in.env())  # type: ignore[attr-defined]
    due = clock.now() + timedelta(minutes=1)
    broadcast = approved_one_off(desk, due, text="แจ้งเตือนพายุเข้าภาคใต้", channels=(Platform.TELEGRAM,))
    clock.set(due)

    kill_after_first_post(sqlite_url, clock, stand_in)
    again = restarted(sqlite_store, clock, stand_in.env())  # type: ignore[attr-defined]
    for _ in range(4):
        clock.advance(minutes=1)
        again.scheduler.tick()

    (held,) = deliveries_of(sqlite_store, broadcast)
    assert held.status is DeliveryStatus.HELD and "ตรวจช่องทาง" in held.error
    assert published_on(stand_in) == ["แจ้งเตือนพายุเข้าภาคใต้"]  # once, never twice


@pytest.mark.parametrize("stand_in", ["telegram"], indirect=True)
def test_two_scheduler_processes_at_the_same_due_time_publish_each_occurrence_once(
        stand_in: PlatformServer, store: Store, database_url: str, clock: ManualClock) -> None:
    add_staff(store)
    desk = build_desk(store, clock, {}, env=stand_in.env())  # type: ignore[attr-defined]
    due = clock.now() + timedelta(minutes=2)
    texts = [f"ประกาศที่ {n} ถึงเวลาพร้อมกัน" for n in range(1, 4)]
    for text in texts:
        approved_one_off(desk, due, text=text, channels=(Platform.TELEGRAM,))
    clock.set(due)

    racing = [child(database_url, clock, stand_in, f"host-{name}:1", "run", rounds=20) for name in "ab"]
    outputs = []
    for process in racing:
        out, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors.decode(errors="replace")
        outputs.append(out.decode().split())

    assert sorted(int(words[1]) for words in outputs) == [0, 3]  # one leader published all three
    assert sorted(int(words[2]) for words in outputs) == [0, 20]  # the other never held the lease
    assert sorted(published_on(stand_in)) == sorted(texts)
    assert {d.status for d in store.broadcasts.deliveries(None)} == {DeliveryStatus.PUBLISHED}
