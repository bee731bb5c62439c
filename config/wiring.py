"""The composition root: builds every concrete piece from settings and hands them to each other."""

from __future__ import annotations

from collections.abc import Callable

from config.broadcast_wiring import add_broadcasts
from config.dashboard_wiring import dashboard_app
from config.responder_wiring import add_responder, ingest_and_kick
from config.settings import CONFIG_DIR, Settings, enabled_parts
from config.sources_facebook import facebook_sources, facebook_webhook_app
from config.sources_instagram import instagram_sources
from config.sources_pantip import pantip_sources
from config.sources_telegram import telegram_sources
from config.sources_twitter import twitter_sources
from config.system import Stage, System
from core.agencies import AgencyDirectory, load_agencies
from core.clock import Clock, SystemClock
from core.ports import Source
from core.store import Store
from nlp.model import ThaiClassifier
from nlp.stage import ClassifyStage
from scrapers.listener import Listener

CLASSIFY_SECONDS = 2.0  # a timer for safety; new mentions wake the pipeline (classify first) at once


def build_sources(settings: Settings, clock: Clock, *, telegram_bot: bool = False) -> list[Source]:
    """Every enabled connector; a platform without credentials contributes nothing.

    With the Telegram bot running, the bot receives updates itself (Telegram allows one reader of
    getUpdates), so the listen-only Telegram source is left out.
    """
    sources: list[Source] = []
    for builder in _source_builders(telegram_bot):
        sources.extend(builder(settings, clock))
    return sources


def _source_builders(telegram_bot: bool) -> list[Callable[[Settings, Clock], list[Source]]]:
    # Each platform's builder lives beside the settings it reads; imported here, explicitly, in one place.
    builders: list[Callable[[Settings, Clock], list[Source]]] = [
        facebook_sources, twitter_sources, instagram_sources, lambda s, c: pantip_sources(s, c)]
    if not telegram_bot:
        builders.append(telegram_sources)
    return builders


def load_agencies_default() -> AgencyDirectory:
    """The staff-edited agency directory shipped in config/."""
    return load_agencies(CONFIG_DIR / "agencies.yaml")


def build_system(settings: Settings, clock: Clock | None = None, *, telegram_bot: bool = False) -> System:
    """Open the store (migrating it), read the agency directory and build every enabled stage.

    `telegram_bot` runs the public bot as a service (for `run` and `demo`); without it Telegram is read
    by a listen-only source, as `listen` and `run --once` need.
    """
    clock = clock or SystemClock()
    store = Store.open(settings.store_url, clock)
    agencies = load_agencies_default()
    sources = build_sources(settings, clock, telegram_bot=telegram_bot)
    listener = Listener(sources, store.mentions, store.health, clock)
    system = System(settings=settings, clock=clock, store=store, agencies=agencies, listener=listener)
    for source in sources:
        system.stages.append(
            Stage(f"listen:{source.name}", _poller(listener, source.name), poll_interval(settings, source))
        )
    classify = ClassifyStage(store.classifications, ThaiClassifier.load(settings.classifier.model_path),
                             batch_size=settings.classifier.batch_size)
    system.stages.append(Stage("classify", classify.run_once, CLASSIFY_SECONDS))
    responding = add_responder(system, with_bot=telegram_bot)
    system.broadcasting = add_broadcasts(system, responding.posters)
    webhook = facebook_webhook_app(settings, store, ingest=ingest_and_kick(store, responding.kick))
    if webhook is not None:
        system.web_apps["/webhooks/facebook"] = webhook
    if settings.dashboard.enabled:
        system.web_apps["/"] = dashboard_app(system)
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
