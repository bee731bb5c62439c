"""A poll SIGKILLed part-way loses nothing and stores nothing twice once polling resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from facebook_support import FEED, build_desk, started_sandbox

from core.clock import ManualClock
from core.store import Store
from sandbox.facebook import FacebookSandbox

CHILD = Path(__file__).resolve().parent / "facebook_poll_child.py"
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[FacebookSandbox]:
    with started_sandbox(clock) as started:
        for n in range(5):
            clock.advance(60)
            post = started.visitor_post(f"แจ้งปัญหาที่ {n}", handle=f"k{n}")
            for r in range(3):
                started.comment(post.id, f"ความเห็น {r} ใต้โพสต์ {n}", handle=f"r{r}")
        yield started


def poll_in_child_and_kill_it(sandbox: FacebookSandbox, sqlite_url: str, clock: ManualClock,
                              hold_pattern: str, skip: int) -> None:
    hold = sandbox.hold(hold_pattern, skip=skip)
    child = subprocess.Popen(
        [sys.executable, "-W", "ignore", str(CHILD), sqlite_url, sandbox.url + "/", sandbox.page_id,
         sandbox.access_token, clock.now().isoformat()],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    try:
        assert hold.arrived.wait(timeout=60), child.stderr.read().decode() if child.poll() is not None else "no call"
        assert child.poll() is None, "the child finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        hold.release()
        if child.poll() is None:
            child.kill()
            child.wait()
    assert b"finished" not in (child.stdout.read() if child.stdout else b"")


def test_kill_between_posts_then_resume_reads_on_without_rereading_done_posts(
        sandbox: FacebookSandbox, sqlite_store: Store, sqlite_url: str, clock: ManualClock) -> None:
    third_newest = sandbox.state.feed()[2]
    poll_in_child_and_kill_it(sandbox, sqlite_url, clock, rf"/v25\.0/{third_newest.id}/comments", skip=0)
    stored_by_child = sqlite_store.mentions.count()
    done_by_child = set(sqlite_store.mentions.cursor(FEED)["done"])
    desk = build_desk(sandbox, sqlite_store, clock)
    mark = desk.mark()

    result = desk.poll()

    assert stored_by_child == 8  # two whole posts, each with three comments
    assert result.error == "" and result.stored == 20 - 8
    assert sqlite_store.mentions.count() == 20 == len({m.external_id for m in desk.stored()})
    reread = {r.path.split("/")[2] for r in desk.requests_since(mark, r"/v25\.0/\w+/comments")}
    assert not reread & done_by_child  # finished posts were not read again


def test_kill_inside_a_post_between_comment_pages_loses_nothing(
        sandbox: FacebookSandbox, sqlite_store: Store, sqlite_url: str, clock: ManualClock) -> None:
    newest = sandbox.state.feed()[0]
    for r in range(3, 6):
        sandbox.comment(newest.id, f"ความเห็น {r} ใต้โพสต์ 4", handle=f"r{r}")
    poll_in_child_and_kill_it(sandbox, sqlite_url, clock, rf"/v25\.0/{newest.id}/comments", skip=2)
    stored_by_child = sqlite_store.mentions.count()
    cursor_by_child = sqlite_store.mentions.cursor(FEED)
    desk = build_desk(sandbox, sqlite_store, clock)

    result = desk.poll()

    assert stored_by_child == 3 and cursor_by_child == {}  # the post and two comments; the thread not done
    assert result.error == "" and result.stored == 23 - 3
    assert sorted(m.text for m in desk.stored()) == sorted(
        [f"แจ้งปัญหาที่ {n}" for n in range(5)]
        + [f"ความเห็น {r} ใต้โพสต์ {n}" for n in range(5) for r in range(3)]
        + [f"ความเห็น {r} ใต้โพสต์ 4" for r in range(3, 6)])
