"""What `listen` and `run` do, between the CLI's options and the runtime."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from rich.console import Console

from config.runtime import install_signal_handlers, run_cycle, run_forever
from config.settings import Settings
from config.web import build_web, serve
from config.wiring import System, build_system, describe_enabled
from core.logs import configure_logging

log = logging.getLogger("gcc1111")
out = Console()


def secrets_of(settings: Settings) -> list[str]:
    """Every configured secret value, so the log filter can mask it wherever it appears."""
    found: list[str] = []
    for section in (settings.facebook, settings.twitter, settings.instagram, settings.telegram, settings.feeds,
                    settings.dashboard):
        for value in section.model_dump().values():
            if hasattr(value, "get_secret_value"):
                found.append(value.get_secret_value())
    return [s for s in found if s]


def start(settings: Settings, *, telegram_bot: bool = False) -> System:
    configure_logging(settings.log_level, secrets_of(settings))
    system = build_system(settings, telegram_bot=telegram_bot)
    log.info("database: %s", system.store.engine.url.render_as_string(hide_password=True))
    log.info(describe_enabled(settings))
    return system


def listen_command(settings: Settings, *, once: bool, only: str | None) -> None:
    system = start(settings)
    try:
        if only is not None and only not in system.listener.sources:
            raise SystemExit(f"gcc1111: no enabled source {only!r}; enabled: {', '.join(system.listener.sources)}")
        if once:
            for result in system.listener.poll_all(only=only, force=True):
                status = f"error: {result.error}" if result.error else "ok"
                out.print(f"{result.source}: {result.stored} new mentions in {result.pages} pages ({status})")
            return
        system.stages = [s for s in system.stages if s.name.startswith("listen:") and (only is None or
                                                                                     s.name == f"listen:{only}")]
        asyncio.run(_serve_until_stopped(system, web=False, services=False))
    finally:
        system.close()


def run_command(settings: Settings, *, once: bool) -> None:
    # A single cycle reads Telegram with the listen-only source; a running desk lets the bot receive updates.
    system = start(settings, telegram_bot=not once)
    try:
        if once:
            for stage, done in run_cycle(system).items():
                out.print(f"{stage}: {done}")
            return
        asyncio.run(_serve_until_stopped(system, web=settings.dashboard.enabled))
    finally:
        system.close()


async def _serve_until_stopped(system: System, *, web: bool, services: bool = True) -> None:
    stop = asyncio.Event()
    install_signal_handlers(stop)
    extra: list[Callable[[], Awaitable[None]]] = list(system.services) if services else []
    if web:
        app = build_web(system)
        host, port = system.settings.dashboard.host, system.settings.dashboard.port
        extra.append(lambda: serve(app, host, port, stop))
        log.info("web desk on http://%s:%d/", host, port)
    await run_forever(system, stop, extra)
