"""kill -9 between the platform accepting a reply and the outbox recording it: no duplicate, nothing lost.

A child process runs the real outbox worker with the real repliers against the stand-ins; a hook in it
stops right after the platform accepted the first reply (or the stand-in holds its answer back), and the
test SIGKILLs it there. A fresh worker then reconciles: X and Facebook are asked (find_sent) and the reply
is recorded, not resent; Telegram cannot be asked, so the reply is held for a person, never resent blindly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bots.dispatch import Dispatcher
from config.responder_wiring import build_repliers
from config.settings import load_settings
from core.clock import ManualClock
from core.domain import Platform, Reply, ReplyKind, ReplyStatus
from core.store import Store
from sandbox.facebook import FacebookSandbox
from sandbox.server import PlatformServer
from sandbox.telegram import TelegramSandbox
from sandbox.twitter import TwitterSandbox

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys, threading
from datetime import datetime
from bots.dispatch import Dispatcher
from config.responder_wiring import build_repliers
from config.settings import load_settings
from core.clock import ManualClock
from core.domain import Platform
from core.store import Store

store_url, now, platform, pause = sys.argv[1:5]
clock = ManualClock(datetime.fromisoformat(now))
store = Store.open(store_url, clock)
inner = build_repliers(load_settings(), clock)[Platform(platform)]


class PauseAfterSend:
    # The platform has accepted the reply; this process is killed before the outbox records it.
    platform, can_confirm = inner.platform, inner.can_confirm

    def reply(self, target, text, key):
        sent = inner.reply(target, text, key)
        print("SENT", sent.platform_id, flush=True)
        threading.Event().wait()

    def find_sent(self, target, key, text):
        return inner.find_sent(target, key, text)


replier = PauseAfterSend() if pause == "pause" else inner
Dispatcher(store.outbox, {replier.platform: replier}, clock, paces={}).run_once()
"""


@pytest.fixture
def stand_in(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[PlatformServer]:
    server: PlatformServer = {"twitter": TwitterSandbox, "facebook": FacebookSandbox,
                              "telegram": TelegramSandbox}[request.param](clock)
    server.start()
    yield server
    server.stop()


def targets(server: PlatformServer) -> list[str]:
    """Two things to answer on the stand-in: two citizens' tweets, comments or chats."""
    if isinstance(server, TwitterSandbox):
        return [f"tweet:{server.add_tweet(f'@GCC1111 ถาม {n}', f'citizen{n}').id}" for n in (1, 2)]
    if isinstance(server, FacebookSandbox):
        return [f"comment:{server.comment(server.announcements[0].id, f'ถาม {n}', handle=f'c{n}').id}" for n in (1, 2)]
    assert isinstance(server, TelegramSandbox)
    return [f"chat:{uid}:{server.user_says(uid, 'ถาม')['message']['message_id']}"  # type: ignore[index]
            for uid in (6_300_000_001, 6_300_000_002)]


def delivered(server: PlatformServer) -> list[str]:
    """Every reply text the desk got onto the stand-in."""
    if isinstance(server, TwitterSandbox):
        return [t.text for t in server.posted]
    if isinstance(server, FacebookSandbox):
        return [n.message for n in server.page_comments()]
    assert isinstance(server, TelegramSandbox)
    return [m["text"] for chat in list(server.sent) for m in server.sent_to(chat)]


def run_child_until_killed(store_url: str, clock: ManualClock, platform: Platform, server: PlatformServer, *,
                           pause: bool) -> str:
    env = {**os.environ, **server.env(), "PYTHONPATH": str(ROOT)}  # type: ignore[attr-defined]
    child = subprocess.Popen([sys.executable, "-c", CHILD, store_url, clock.now().isoformat(), platform.value,
                              "pause" if pause else "slow"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        if pause:
            line = child.stdout.readline().decode() if child.stdout else ""
        else:
            assert isinstance(server, TelegramSandbox)
            line = "STALLED" if server.stalled.wait(timeout=60) else ""
    finally:
        child.send_signal(signal.SIGKILL)
        _, errors = child.communicate(timeout=30)
    assert line.startswith(("SENT", "STALLED")), errors.decode(errors="replace")
    assert child.returncode == -signal.SIGKILL
    return line


def enqueue(store: Store, platform: Platform, target: str, n: int) -> str:
    key = f"answer:mention:{n}"
    store.outbox.enqueue(Reply(key=key, kind=ReplyKind.ANSWER, platform=platform, target=target,
                               text=f"คำตอบที่ {n} จากศูนย์ 1111", status=ReplyStatus.PENDING,
                               created_at=store.clock.now()))
    return key


@pytest.mark.parametrize("stand_in", ["twitter", "facebook"], indirect=True)
def test_killed_after_x_or_facebook_accepted_is_reconciled_without_a_duplicate(
        stand_in: PlatformServer, sqlite_store: Store, sqlite_url: str, clock: ManualClock) -> None:
    platform = Platform(stand_in.name)
    keys = [enqueue(sqlite_store, platform, target, n) for n, target in enumerate(targets(stand_in), start=1)]

    line = run_child_until_killed(sqlite_url, clock, platform, stand_in, pause=True)
    assert [r.status for r in map(sqlite_store.outbox.by_key, keys)] == [ReplyStatus.SENDING] * 2  # type: ignore
    assert len(delivered(stand_in)) == 1

    clock.advance(minutes=3)
    repliers = build_repliers(load_settings(stand_in.env()), clock)  # type: ignore[attr-defined]
    Dispatcher(sqlite_store.outbox, {platform: repliers[platform]}, clock, paces={}).run_once()

    first, second = (sqlite_store.outbox.by_key(k) for k in keys)
    assert first is not None and second is not None
    assert (first.status, first.platform_message_id) == (ReplyStatus.SENT, line.split()[1])  # found, not resent
    assert second.status is ReplyStatus.SENT  # claimed but never sent before the kill: sent now, once
    assert sorted(delivered(stand_in)) == ["คำตอบที่ 1 จากศูนย์ 1111", "คำตอบที่ 2 จากศูนย์ 1111"]


@pytest.mark.parametrize("pause", [True, False], ids=["killed-after-send", "killed-during-slow-answer"])
@pytest.mark.parametrize("stand_in", ["telegram"], indirect=True)
def test_killed_after_telegram_accepted_is_held_for_a_person_never_resent(
        stand_in: PlatformServer, pause: bool, sqlite_store: Store, sqlite_url: str, clock: ManualClock) -> None:
    assert isinstance(stand_in, TelegramSandbox)
    keys = [enqueue(sqlite_store, Platform.TELEGRAM, target, n) for n, target in enumerate(targets(stand_in), 1)]
    if not pause:
        stand_in.slow(delay_seconds=60, method="sendMessage")  # the message is sent, the answer never comes

    run_child_until_killed(sqlite_url, clock, Platform.TELEGRAM, stand_in, pause=pause)
    assert delivered(stand_in) == ["คำตอบที่ 1 จากศูนย์ 1111"]

    clock.advance(minutes=3)
    repliers = build_repliers(load_settings(stand_in.env()), clock)
    Dispatcher(sqlite_store.outbox, {Platform.TELEGRAM: repliers[Platform.TELEGRAM]}, clock, paces={}).run_once()

    held = [sqlite_store.outbox.by_key(k) for k in keys]
    assert [r.status for r in held if r is not None] == [ReplyStatus.REVIEW, ReplyStatus.REVIEW]
    assert all("cannot tell" in r.error for r in held if r is not None)  # visible to staff, with the reason
    assert delivered(stand_in) == ["คำตอบที่ 1 จากศูนย์ 1111"]  # never resent blindly
