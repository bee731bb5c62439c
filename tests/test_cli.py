"""The gcc1111 command, run as staff and operators run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.clock import SystemClock
from core.domain import Mention, Platform
from core.store import Store


def gcc1111(args: list[str], data_dir: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GCC1111_")}
    environment.update({"GCC1111_DATA_DIR": str(data_dir), "PYTHAINLP_OFFLINE": "1", "COLUMNS": "200", **env})
    return subprocess.run([sys.executable, "-m", "config", *args], input=stdin, capture_output=True, text=True,
                          env=environment, timeout=120, check=False)


def test_every_command_has_help(tmp_path: Path) -> None:
    commands = (["--help"], ["demo", "--help"], ["run", "--help"], ["listen", "--help"], ["db", "upgrade", "--help"],
                ["users", "add", "--help"], ["sources", "status", "--help"], ["mentions", "export", "--help"])
    for command in commands:
        result = gcc1111(command, tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Usage" in result.stdout


def test_db_upgrade_then_users_add(tmp_path: Path) -> None:
    assert "database at revision 0" in gcc1111(["db", "upgrade"], tmp_path).stdout

    made = gcc1111(["users", "add", "somsri", "--role", "admin", "--password-stdin"], tmp_path,
                   stdin="a-long-enough-password\n")
    duplicate = gcc1111(["users", "add", "somsri", "--role", "analyst", "--generate"], tmp_path)
    coordinator = gcc1111(["users", "add", "k", "--role", "coordinator", "--generate"], tmp_path)

    assert made.returncode == 0, made.stderr
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    assert coordinator.returncode == 2 and "--agency" in coordinator.stderr
    store = Store.open(f"sqlite:///{tmp_path / 'gcc1111.sqlite'}", SystemClock())
    assert store.users.authenticate("somsri", "a-long-enough-password") is not None
    assert [e.action for e in store.audit.recent()] == ["user.add"]
    store.close()


def test_a_bad_setting_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    result = gcc1111(["run", "--once"], tmp_path, GCC1111_DASHBOARD__PORT="eighty")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "gcc1111: GCC1111_DASHBOARD__PORT: Input should be a valid integer, unable to parse string as an integer"
    ]


def test_a_corrupt_database_stops_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "gcc1111.sqlite").write_bytes(b"not a database at all" * 50)
    result = gcc1111(["run", "--once"], tmp_path)
    assert result.returncode == 2
    assert "corrupt, or not a gcc1111 database" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_mentions_export_redacts_personal_data(tmp_path: Path, fmt: str) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'gcc1111.sqlite'}", SystemClock())
    text = "โทรกลับ 081-234-5678 ด้วยค่ะ somchai@example.com"
    written = Mention(Platform.TELEGRAM, "1", text, datetime(2026, 11, 1, tzinfo=UTC), "telegram", author_name="สมชาย")
    store.mentions.ingest("telegram", [written], None)
    store.close()

    result = gcc1111(["mentions", "export", "--format", fmt], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "081-234-5678" not in result.stdout and "somchai@example.com" not in result.stdout
    assert "[เบอร์โทร]" in result.stdout
    if fmt == "jsonl":
        row = json.loads(result.stdout.splitlines()[0])
        assert row["posted_at_bangkok"].startswith("2026-11-01T07:00:00+07:00")


def test_run_once_with_nothing_enabled_exits_cleanly(tmp_path: Path) -> None:
    result = gcc1111(["run", "--once"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "enabled: dashboard" in result.stderr
