"""`gcc1111 demo`: the sandbox platforms, the simulated public and the whole desk, with no credentials."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from config.runtime import install_signal_handlers, run_forever
from config.settings import load_settings
from config.web import build_web, serve
from config.wiring import System, build_system, describe_enabled
from core.clock import BANGKOK
from core.domain import Platform, Role, User
from core.logs import configure_logging
from sandbox.seed import load_seed
from sandbox.world import Platform as StandIn
from sandbox.world import Sandbox

log = logging.getLogger("gcc1111.demo")
out = Console(highlight=False)

DEMO_USERS = (
    ("admin", Role.ADMIN, None, "demo-admin-1111"),
    ("pr", Role.PR, None, "demo-pr-1111"),
    ("approver", Role.APPROVER, None, "demo-approver-1111"),
    ("analyst", Role.ANALYST, None, "demo-analyst-1111"),
    ("coordinator", Role.COORDINATOR, "MOI", "demo-coord-1111"),
)

# Fast polling so the demo shows posts flowing within seconds; production defaults are gentler.
DEMO_POLLING = {
    "GCC1111_FACEBOOK__POLL_SECONDS": "3",
    "GCC1111_TWITTER__POLL_SECONDS": "3",
    "GCC1111_INSTAGRAM__POLL_SECONDS": "5",
    "GCC1111_PANTIP__POLL_SECONDS": "15",
    "GCC1111_TELEGRAM__POLL_SECONDS": "2",
}


def sandbox_platforms() -> list[StandIn]:
    """Every platform stand-in this build has."""
    from config.sandboxes import all_sandboxes

    return all_sandboxes()


def demo_environment(sandbox: Sandbox, data_dir: Path, port: int) -> dict[str, str]:
    """The user's environment, pointed at the sandbox and a demo SQLite database."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GCC1111_")}
    env.update(sandbox.env())
    env.update(DEMO_POLLING)
    env.update({"GCC1111_DATA_DIR": str(data_dir), "GCC1111_DASHBOARD__PORT": str(port),
                "GCC1111_LOG_LEVEL": os.environ.get("GCC1111_LOG_LEVEL", "INFO")})
    return env


def add_demo_users(system: System) -> None:
    for username, role, agency, password in DEMO_USERS:
        if system.store.users.get(username) is None:
            system.store.users.add(User(username=username, role=role, agency=agency), password)


def add_demo_broadcasts(system: System) -> None:
    """PR staff planned a gold-price post every two minutes and an approver signed it off; one more waits."""
    workflow = system.broadcasting.workflow
    gold = workflow.create(by="pr", channels=[Platform.TELEGRAM], template="gold", cron="*/2 * * * *",
                           title="ราคาทองคำประจำรอบ")
    workflow.approve(gold.id, by="approver")
    workflow.create(by="pr", channels=[Platform.TELEGRAM, Platform.FACEBOOK, Platform.TWITTER],
                    text="ขอเชิญชมนิทรรศการ \"บริการภาครัฐใกล้บ้าน\" ณ ศูนย์ราชการฯ แจ้งวัฒนะ ตลอดสัปดาห์นี้ "
                         "เข้าชมฟรี สอบถามโทร 1111", title="นิทรรศการบริการภาครัฐ",
                    run_at=system.clock.now() + timedelta(hours=2))


async def run_demo(*, data_dir: Path, port: int, seconds: float, fresh: bool) -> None:
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(sandbox_platforms())
    sandbox.start()
    try:
        settings = load_settings(demo_environment(sandbox, data_dir.resolve(), port))
        configure_logging(settings.log_level)
        system = build_system(settings, telegram_bot=True)
        add_demo_users(system)
        add_demo_broadcasts(system)
        posts = load_seed()
        sandbox.seed(posts[: len(posts) // 3])
        sandbox.simulate(interval_seconds=1.5, posts=posts[len(posts) // 3 :])
        _print_welcome(system, port)
        try:
            await _run(system, sandbox, seconds)
        finally:
            system.close()
    finally:
        sandbox.stop()


def _print_welcome(system: System, port: int) -> None:
    out.print("[bold]GCC 1111 Social Desk: demo[/bold] (sandbox platforms, no real accounts touched)")
    out.print(describe_enabled(system.settings))
    out.print(f"database: {system.store.engine.url.render_as_string(hide_password=True)}")
    out.print(f"dashboard: http://127.0.0.1:{port}/")
    out.print("demo logins (demo only):")
    for username, role, agency, password in DEMO_USERS:
        out.print(f"  {username:<12} {password:<20} {role.value}{' (' + agency + ')' if agency else ''}")
    out.print("mentions as they arrive (Ctrl-C to stop):")


async def _subscribe_facebook_webhook(sandbox: Sandbox, callback: str) -> None:
    """Once the web server listens, subscribe like Meta does: GET handshake, then signed POSTs."""
    facebook = sandbox.platforms.get("facebook")
    if facebook is None:
        return
    for _ in range(50):
        await asyncio.sleep(0.2)
        env = facebook.env()
        subscribed = await asyncio.to_thread(
            facebook.subscribe,  # type: ignore[attr-defined]
            callback, env["GCC1111_FACEBOOK__VERIFY_TOKEN"], env["GCC1111_FACEBOOK__APP_SECRET"])
        if subscribed:
            log.info("facebook webhook subscribed: %s", callback)
            return
    log.warning("facebook webhook could not be subscribed; polling alone will find the posts")


async def _run(system: System, sandbox: Sandbox, seconds: float) -> None:
    stop = asyncio.Event()
    install_signal_handlers(stop)
    app = build_web(system)
    host, port = system.settings.dashboard.host, system.settings.dashboard.port
    extra: list[Callable[[], Awaitable[None]]] = [lambda: serve(app, host, port, stop),
                                                  lambda: _show_new_mentions(system, stop), *system.services]
    if seconds:
        extra.append(lambda: _stop_after(stop, seconds))
    if "/webhooks/facebook" in system.web_apps:
        extra.append(lambda: _subscribe_facebook_webhook(sandbox, f"http://{host}:{port}/webhooks/facebook"))
    await run_forever(system, stop, extra)


async def _stop_after(stop: asyncio.Event, seconds: float) -> None:
    await asyncio.sleep(seconds)
    stop.set()


async def _show_new_mentions(system: System, stop: asyncio.Event) -> None:
    """Print each newly stored mention, so the demo visibly works without opening a browser."""
    shown = 0
    while not stop.is_set():
        fresh = [m for m in await asyncio.to_thread(system.store.mentions.latest, 1000) if (m.id or 0) > shown]
        for mention in sorted(fresh, key=lambda m: m.id or 0):
            when = mention.posted_at.astimezone(BANGKOK).strftime("%H:%M:%S")
            text = " ".join(mention.text.split())[:90]
            out.print(f"  #{mention.id:<5} {when} {mention.platform.value:<9} {mention.author_name[:16]:<16} {text}",
                      markup=False, no_wrap=True, overflow="ellipsis", crop=True)
            shown = max(shown, mention.id or 0)
        try:
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        except TimeoutError:
            continue
