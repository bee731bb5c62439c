"""The web desk as `gcc1111 run` serves it: mounted at "/" beside the webhooks, with a kept session key."""

from __future__ import annotations

import stat
import warnings
from pathlib import Path

from config.dashboard_wiring import SESSION_KEY_FILE, generated_secret
from config.settings import load_settings
from config.web import build_web
from config.wiring import build_system
from core.clock import ManualClock

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette 1.x nudges towards httpx2 for its TestClient
    from starlette.testclient import TestClient


def test_the_session_key_is_generated_once_and_readable_by_its_owner_only(tmp_path: Path) -> None:
    first = generated_secret(tmp_path)
    second = generated_secret(tmp_path)

    assert first == second and len(first) >= 32
    assert stat.S_IMODE((tmp_path / SESSION_KEY_FILE).stat().st_mode) == 0o600


def test_the_running_desk_serves_the_dashboard_at_the_root(tmp_path: Path) -> None:
    settings = load_settings({"GCC1111_DATA_DIR": str(tmp_path)})
    system = build_system(settings, ManualClock())
    try:
        with TestClient(build_web(system), base_url="http://desk.test") as client:
            login = client.get("/login")
            start = client.get("/", follow_redirects=False)
            health = client.get("/healthz")
    finally:
        system.close()

    assert login.status_code == 200 and "เข้าสู่ระบบ" in login.text
    assert start.status_code == 303 and start.headers["location"].startswith("/login")
    assert health.status_code == 200  # the runtime's own route still wins over the dashboard's "/"
    assert (tmp_path / SESSION_KEY_FILE).exists()


def test_a_configured_session_key_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = load_settings({"GCC1111_DATA_DIR": str(tmp_path),
                              "GCC1111_DASHBOARD__SECRET_KEY": "configured-key-0123456789abcdef"})
    system = build_system(settings, ManualClock())
    system.close()

    assert "/" in system.web_apps
    assert not (tmp_path / SESSION_KEY_FILE).exists()


def test_the_dashboard_can_be_switched_off(tmp_path: Path) -> None:
    settings = load_settings({"GCC1111_DATA_DIR": str(tmp_path), "GCC1111_DASHBOARD__ENABLED": "false"})
    system = build_system(settings, ManualClock())
    system.close()

    assert "/" not in system.web_apps
