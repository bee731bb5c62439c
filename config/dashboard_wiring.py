"""Builds the web desk from the system: its session secret, lifetime and the store."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dashboard.app import create_app
from dashboard.deps import DeskDeps

if TYPE_CHECKING:  # config.wiring imports this module: no import cycle at run time
    from config.wiring import System

SESSION_KEY_FILE = "dashboard-session.key"


def dashboard_app(system: System) -> Any:
    """The dashboard's ASGI app, to mount at "/"."""
    settings = system.settings.dashboard
    secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
    deps = DeskDeps(
        store=system.store,
        agencies=system.agencies,
        clock=system.clock,
        secret_key=secret or generated_secret(system.settings.data_dir),
        session_minutes=settings.session_minutes,
        known_sources=lambda: list(system.listener.sources),
        warm_insight=True,
    )
    return create_app(deps)


def generated_secret(data_dir: Path) -> str:
    """The session key kept in the data folder, created once (readable by its owner only)."""
    path = data_dir / SESSION_KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: if two processes start at once, one creates the file and the other reads it.
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    return key
