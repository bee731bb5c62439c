"""`gcc1111 run --once` against every stand-in: exits 0, stores every post once, and a second run adds nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.sandboxes import all_sandboxes
from core.clock import SystemClock
from core.store import Store
from sandbox.seed import load_seed
from sandbox.world import Sandbox


@pytest.fixture
def world() -> Iterator[Sandbox]:
    sandbox = Sandbox(all_sandboxes())
    sandbox.start()
    sandbox.seed(load_seed()[:150])
    yield sandbox
    sandbox.stop()


def run_once(world: Sandbox, data_dir: Path, command: tuple[str, ...] = ("run", "--once")
             ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GCC1111_")}
    env.update(world.env())
    env.update({"GCC1111_DATA_DIR": str(data_dir), "GCC1111_PANTIP__DOWNLOAD_DELAY": "0",
                "GCC1111_PANTIP__AUTOTHROTTLE_START_DELAY": "0", "PYTHAINLP_OFFLINE": "1"})
    return subprocess.run([sys.executable, "-m", "config", *command], capture_output=True, text=True, env=env,
                          timeout=300, check=False)


def stored_per_source(output: str) -> dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(r"^listen:(\S+): (\d+)$", output, re.MULTILINE)}


def test_run_once_stores_everything_once_and_is_idempotent(world: Sandbox, tmp_path: Path) -> None:
    first = run_once(world, tmp_path)
    second = run_once(world, tmp_path)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    firsts, seconds = stored_per_source(first.stdout), stored_per_source(second.stdout)
    for source in ("facebook.feed", "facebook.messenger", "twitter.mentions", "instagram.profile", "pantip",
                   "telegram"):
        assert firsts.get(source, 0) > 0, (source, firsts)
    assert set(seconds.values()) == {0}, seconds
    store = Store.open(f"sqlite:///{tmp_path / 'gcc1111.sqlite'}", SystemClock())
    assert store.mentions.count() == sum(firsts.values())
    store.close()


def test_listen_once_stores_every_post_once_and_a_second_run_reads_nothing_new(world: Sandbox, tmp_path: Path) -> None:
    first = run_once(world, tmp_path, ("listen", "--once"))
    second = run_once(world, tmp_path, ("listen", "--once"))

    assert first.returncode == 0, first.stderr
    new = {m[1]: int(m[2]) for m in re.finditer(r"^(\S+): (\d+) new mentions", first.stdout, re.MULTILINE)}
    again = {m[1]: int(m[2]) for m in re.finditer(r"^(\S+): (\d+) new mentions", second.stdout, re.MULTILINE)}
    assert sum(new.values()) > 100 and all(new[name] > 0 for name in ("facebook.feed", "pantip", "telegram"))
    assert set(again.values()) == {0} and set(again) == set(new)
    assert "error" not in second.stdout


def test_ctrl_c_stops_run_cleanly_after_work_in_flight(world: Sandbox, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GCC1111_")}
    env.update(world.env())
    env.update({"GCC1111_DATA_DIR": str(tmp_path), "GCC1111_DASHBOARD__PORT": "0", "PYTHAINLP_OFFLINE": "1",
                "GCC1111_TWITTER__POLL_SECONDS": "1", "GCC1111_PANTIP__DOWNLOAD_DELAY": "0"})
    process = subprocess.Popen([sys.executable, "-m", "config", "run"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    database = f"sqlite:///{tmp_path / 'gcc1111.sqlite'}"
    try:
        assert process.stderr is not None
        for line in process.stderr:  # wait until real work has happened, then interrupt it
            if "new mentions" in line:
                break
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert "shutting down" in rest
    assert "Traceback" not in rest
    store = Store.open(database, SystemClock())
    assert store.mentions.count() > 0
    store.close()
