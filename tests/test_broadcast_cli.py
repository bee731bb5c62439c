"""`gcc1111 broadcast …` as staff and scripts run it: create, list, preview, approve, cancel; Thai output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from broadcast_support import APPROVER, AUTHOR, OTHER_PR, add_staff
from typer.testing import CliRunner, Result

from config.cli import build_cli
from core.clock import SystemClock
from core.domain import BroadcastStatus
from core.store import Store
from sandbox.feeds import FeedsSandbox

FAR = "2030-01-15T09:00"  # Bangkok time, well ahead of any run of this suite


@pytest.fixture
def feeds_server() -> Iterator[FeedsSandbox]:
    server = FeedsSandbox(SystemClock())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(tmp_path: Path, feeds_server: FeedsSandbox) -> dict[str, str]:
    store = Store.open(f"sqlite:///{tmp_path / 'gcc1111.sqlite'}", SystemClock())
    add_staff(store)
    store.close()
    return {"GCC1111_DATA_DIR": str(tmp_path), "COLUMNS": "200", **feeds_server.env()}


def gcc1111(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(build_cli(), ["broadcast", *args], env=env)


def stored(env: dict[str, str]) -> Store:
    return Store.open(f"sqlite:///{Path(env['GCC1111_DATA_DIR']) / 'gcc1111.sqlite'}", SystemClock())


def test_every_broadcast_command_has_help(env: dict[str, str]) -> None:
    for command in ("create", "list", "preview", "approve", "cancel", "release"):
        result = gcc1111(env, command, "--help")
        assert result.exit_code == 0 and "Usage" in result.output, result.output
    assert "Broadcasts" in gcc1111(env, "--help").output


def test_create_preview_approve_list_cancel(env: dict[str, str]) -> None:
    made = gcc1111(env, "create", "--text", "ศูนย์ 1111 ปิดปรับปรุงระบบ 02:00–04:00 น.", "--channels", "telegram,x",
                   "--at", FAR, "--by", AUTHOR)
    assert made.exit_code == 0, made.output
    assert "สร้างร่างประกาศ #1" in made.output and "── twitter: 41/280 ✓" in made.output

    refused = gcc1111(env, "approve", "1", "--by", AUTHOR)
    assert refused.exit_code == 1 and "อีกคนหนึ่ง" in refused.stderr
    approved = gcc1111(env, "approve", "1", "--by", APPROVER)
    assert approved.exit_code == 0 and "15 ม.ค. 2573 เวลา 09:00 น." in approved.output  # Bangkok, Buddhist Era

    listed = gcc1111(env, "list")
    assert "อนุมัติแล้ว" in listed.output and "telegram,twitter" in listed.output and APPROVER in listed.output

    cancelled = gcc1111(env, "cancel", "1", "--by", OTHER_PR, "--reason", "เลื่อนการปิดปรับปรุง")
    assert cancelled.exit_code == 0 and "ยกเลิกประกาศ #1" in cancelled.output
    store = stored(env)
    assert store.broadcasts.get(1).status is BroadcastStatus.CANCELLED  # type: ignore[union-attr]
    assert [e.action for e in reversed(store.audit.recent())][-4:] == [
        "broadcast.create", "broadcast.approve_refused", "broadcast.approve", "broadcast.cancel"]
    store.close()


def test_a_template_broadcast_previews_live_feed_numbers_and_a_cron_shows_its_next_run(env: dict[str, str]) -> None:
    made = gcc1111(env, "create", "--template", "gold", "--channels", "telegram", "--cron", "30 9 * * 1-5",
                   "--by", AUTHOR)
    assert made.exit_code == 0, made.output
    assert "ขายออก 66,400 บาท" in made.output  # the stand-in's current announcement
    preview = gcc1111(env, "preview", "1")
    assert preview.exit_code == 0 and "ราคาทองคำ" in preview.output
    listed = gcc1111(env, "list")
    assert "cron 30 9 * * 1-5 (Asia/Bangkok), ครั้งถัดไป" in listed.output and "เวลา 09:30 น." in listed.output


def test_bad_input_is_one_clear_line(env: dict[str, str]) -> None:
    channel = gcc1111(env, "create", "--text", "x", "--channels", "line", "--at", FAR, "--by", AUTHOR)
    assert channel.exit_code == 2 and "unknown channel 'line'" in channel.output
    when = gcc1111(env, "create", "--text", "x", "--channels", "telegram", "--at", "พรุ่งนี้", "--by", AUTHOR)
    assert when.exit_code == 2 and "not an ISO time" in when.output
    both = gcc1111(env, "create", "--text", "x", "--channels", "telegram", "--at", FAR, "--cron", "0 9 * * *",
                   "--by", AUTHOR)
    assert both.exit_code == 1 and "อย่างใดอย่างหนึ่ง" in both.stderr and "Traceback" not in both.output
    missing = gcc1111(env, "preview", "42")
    assert missing.exit_code == 1 and "ไม่พบประกาศหมายเลข 42" in missing.stderr
