"""What a built desk is made of: its stages on timers, its services, its web parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from config.settings import Settings
from core.agencies import AgencyDirectory
from core.clock import Clock
from core.store import Store
from scrapers.listener import Listener


@dataclass
class Stage:
    """One step of the pipeline the runtime drives on a timer: `run_once()` returns how much it did."""

    name: str
    run_once: Callable[[], int]
    every_seconds: float


@dataclass
class System:
    """Everything `gcc1111 run` needs, built once and passed down."""

    settings: Settings
    clock: Clock
    store: Store
    agencies: AgencyDirectory
    listener: Listener
    stages: list[Stage] = field(default_factory=list)
    web_apps: dict[str, Any] = field(default_factory=dict)  # mount path -> ASGI app (webhooks, dashboard)
    services: list[Callable[[], Any]] = field(default_factory=list)  # long-running coroutines (bot, pipeline)
    broadcasting: Any = None  # broadcasts' workflow and previewer, for the desk's broadcast pages

    def close(self) -> None:
        self.store.close()
