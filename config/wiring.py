"""The composition root: builds every concrete piece from settings and hands them to each other."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.settings import CONFIG_DIR, Settings, enabled_parts
from config.sources_facebook import facebook_sources, facebook_webhook_app
from config.sources_instagram import instagram_sources
from config.sources_pantip import pantip_sources
from config.sources_telegram import telegram_sources
from config.sources_twitter import twitter_sources
from core.agencies import AgencyDirectory, load_agencies
from core.clock import Clock, SystemClock
from core.ports import Source
from core.store import Store
from scrapers.listener import Listener

log = logging.getLogger("gcc1111")


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

    def close(self) -> None:
        self.store.close()


def build_sources(settings: Settings, clock: Clock) -> list[Source]:
    """Every enabled connector; a platform without credentials contributes nothing."""
    sources: list[Source] = []
    for builder in _source_builders():
        sources.extend(builder(settings, clock))
    return sources


def _source_builders() -> list[Callable[[Settings, Clock], list[Source]]]:
    # Each platform's builder lives beside the settings it reads; imported here, explicitly, in one place.
    return [facebook_sources, twitter_sources, instagram_sources, lambda s, c: pantip_sources(s, c),
            telegram_sources]


def load_agencies_default() -> AgencyDirectory:
    """The staff-edited agency directory shipped in config/."""
    return load_agencies(CONFIG_DIR / "agencies.yaml")


def build_system(settings: Settings, clock: Clock | None = None) -> System:
    """Open the store (migrating it), read the agency directory and build every enabled stage."""
    clock = clock or SystemClock()
    store = Store.open(settings.store_url, clock)
    agencies = load_agencies_default()
    sources = build_sources(settings, clock)
    listener = Listener(sources, store.mentions, store.health, clock)
    system = System(settings=settings, clock=clock, store=store, agencies=agencies, listener=listener)
    webhook = facebook_webhook_app(settings, store)
    if webhook is not None:
        system.web_apps["/webhooks/facebook"] = webhook
    for source in sources:
        system.stages.append(
            Stage(f"listen:{source.name}", _poller(listener, source.name), poll_interval(settings, source))
        )
    return system


def _poller(listener: Listener, name: str) -> Callable[[], int]:
    # The listener skips a source still backing off from a failure, so a timer tick costs nothing then.
    return lambda: sum(result.stored for result in listener.poll_all(only=name))


def poll_interval(settings: Settings, source: Source) -> float:
    """How often a source is polled, from its platform's settings section."""
    section = getattr(settings, source.platform.value)
    return max(1.0, float(section.poll_seconds))


def describe_enabled(settings: Settings) -> str:
    """One start-up line saying which sources, bots and channels run and which are off."""
    parts = enabled_parts(settings)
    on = [name for name, enabled in parts.items() if enabled]
    off = [name for name, enabled in parts.items() if not enabled]
    return f"enabled: {', '.join(on) or 'none'}; disabled (no credentials or targets): {', '.join(off) or 'none'}"


def data_path(settings: Settings, *parts: str) -> Path:
    path = settings.data_dir.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
