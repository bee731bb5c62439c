"""Builds the web desk from the system: its session secret, lifetime, the store and the broadcast actions."""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcasts.occurrences import occurrences
from dashboard.app import create_app
from dashboard.deps import DeskDeps

if TYPE_CHECKING:  # config.wiring imports this module: no import cycle at run time
    from config.broadcast_wiring import Broadcasting
    from config.system import System
    from core.domain import Broadcast, BroadcastStatus, Delivery, Platform
    from core.ports import BroadcastPreview

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
        broadcasts=BroadcastActions(system.broadcasting) if system.broadcasting is not None else None,
    )
    return create_app(deps)


class BroadcastActions:
    """core.ports.BroadcastDesk over the broadcast side: its workflow, previewer, templates and occurrences."""

    def __init__(self, broadcasting: Broadcasting) -> None:
        self._workflow = broadcasting.workflow
        self._previewer = broadcasting.previewer
        self._templates = broadcasting.templates

    def create(self, *, by: str, channels: Sequence[Platform], text: str = "", template: str = "",
               run_at: datetime | None = None, cron: str = "", title: str = "") -> Broadcast:
        """A new draft through the workflow (its checks and audit)."""
        return self._workflow.create(by=by, channels=channels, text=text, template=template, run_at=run_at,
                                     cron=cron, title=title)

    def approve(self, broadcast_id: int, by: str, *, emergency: bool = False) -> Broadcast:
        """Four eyes, or the audited emergency path."""
        return self._workflow.approve(broadcast_id, by, emergency=emergency)

    def cancel(self, broadcast_id: int, by: str, reason: str = "") -> Broadcast:
        """Stop a broadcast that has not finished."""
        return self._workflow.cancel(broadcast_id, by, reason)

    def listing(self, statuses: Sequence[BroadcastStatus] = (), limit: int = 50
                ) -> list[tuple[Broadcast, list[Delivery]]]:
        """Broadcasts newest first with their deliveries."""
        return self._workflow.listing(statuses, limit)

    def preview(self, broadcast: Broadcast) -> BroadcastPreview:
        """Each channel's rendered text, length and warnings."""
        return self._previewer.preview(broadcast)

    def template_names(self) -> list[str]:
        """The templates staff can choose."""
        return self._templates.names()

    def occurrences(self, broadcast: Broadcast, after: datetime, until: datetime) -> list[datetime]:
        """Occurrence times in (after, until], UTC, read the way the scheduler reads them."""
        return occurrences(broadcast, after, until)


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
