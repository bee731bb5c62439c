"""Builds the answering side from settings: repliers and posters, the responder, the outbox worker, the bot.

`add_responder(system)` is the one call build_system makes. It also makes new work wake the pipeline at
once: every listen stage, the Telegram bot and (through `ingest_and_kick`) the Facebook webhook ring the
pipeline's Kick after storing something, so a reply does not wait for the next timer tick.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from telegram.ext import Application

from bots.casework import CaseDesk
from bots.channels import (
    BotApi,
    FacebookPoster,
    FacebookReplier,
    GraphWriter,
    TelegramPoster,
    TelegramReplier,
    TwitterPoster,
    TwitterReplier,
    x_client,
)
from bots.dispatch import Dispatcher, Pace
from bots.kick import Kick, Pipeline, Step
from bots.knowledge import KnowledgeBase, load_faq, thai_tokenizer
from bots.notify import CitizenNotifier
from bots.respond import Contacts, Responder
from bots.telegram_bot import BotServices, build_bot, notice_buttons, serve_bot
from bots.templates import Templates, load_templates
from bots.throttle import UserThrottle
from bots.triage import Rules
from config.settings import CONFIG_DIR, Settings
from config.system import Stage, System
from core.agencies import AgencyDirectory
from core.clock import Clock
from core.domain import Mention, Platform
from core.errors import ConfigError
from core.ports import Poster, Replier
from core.store import Store
from scrapers.telegram import mention_from_update

log = logging.getLogger("gcc1111")
Service = Callable[[], Awaitable[None]]
TELEGRAM_SOURCE = "telegram"
RESPOND_SECONDS = 5.0
DISPATCH_SECONDS = 2.0
NOTIFY_SECONDS = 30.0


@dataclass
class Responding:
    """Everything the answering side adds to a running desk."""

    repliers: dict[Platform, Replier]
    posters: dict[Platform, Poster]
    responder: Responder
    dispatcher: Dispatcher
    notifier: CitizenNotifier
    pipeline: Pipeline
    bot: Application | None  # type: ignore[type-arg]
    stages: list[Stage] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)

    @property
    def kick(self) -> Kick:
        return self.pipeline.kick


# --- platforms -----------------------------------------------------------------------------------------
def _graph_writer(settings: Settings) -> GraphWriter | None:
    facebook = settings.facebook
    if not facebook.enabled or facebook.access_token is None:
        return None
    return GraphWriter(facebook.graph_url, facebook.api_version, facebook.access_token.get_secret_value(),
                       app_secret=facebook.app_secret.get_secret_value() if facebook.app_secret else "")


def _x_client(settings: Settings) -> Any:
    twitter = settings.twitter
    if not twitter.can_post or not twitter.user_id:
        return None
    secrets = [s.get_secret_value() if s is not None else "" for s in
               (twitter.consumer_key, twitter.consumer_secret, twitter.access_token, twitter.access_token_secret)]
    return x_client(twitter.api_url, consumer_key=secrets[0], consumer_secret=secrets[1], access_token=secrets[2],
                    access_token_secret=secrets[3])


def _bot_api(settings: Settings) -> BotApi | None:
    telegram = settings.telegram
    if not telegram.enabled or telegram.token is None:
        return None
    return BotApi(telegram.base_url, telegram.token.get_secret_value())


def build_repliers(settings: Settings, clock: Clock) -> dict[Platform, Replier]:
    """A Replier for each platform that has credentials to answer with."""
    repliers: dict[Platform, Replier] = {}
    if (writer := _graph_writer(settings)) is not None:
        repliers[Platform.FACEBOOK] = FacebookReplier(writer, settings.facebook.page_id)
    if (client := _x_client(settings)) is not None:
        repliers[Platform.TWITTER] = TwitterReplier(client, settings.twitter.user_id, clock)
    if (api := _bot_api(settings)) is not None:
        repliers[Platform.TELEGRAM] = TelegramReplier(api, markup_for=notice_buttons)
    return repliers


def build_posters(settings: Settings, clock: Clock) -> dict[Platform, Poster]:
    """A Poster for each of the government's own channels that is configured (Page, X account, channel)."""
    posters: dict[Platform, Poster] = {}
    if (writer := _graph_writer(settings)) is not None:
        posters[Platform.FACEBOOK] = FacebookPoster(writer, settings.facebook.page_id)
    if (client := _x_client(settings)) is not None:
        posters[Platform.TWITTER] = TwitterPoster(client, settings.twitter.user_id, clock)
    if (api := _bot_api(settings)) is not None and settings.telegram.channel_id:
        posters[Platform.TELEGRAM] = TelegramPoster(api, settings.telegram.channel_id)
    return posters


# --- the responder ---------------------------------------------------------------------------------------
def load_sensitive_terms(path: Path | None = None) -> tuple[str, ...]:
    """Staff-edited topics a machine never answers alone (config/sensitive.yaml)."""
    source = path or CONFIG_DIR / "sensitive.yaml"
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"sensitive terms {source}: {exc}") from None
    return tuple(str(term) for term in document.get("terms") or [] if str(term).strip())


def default_templates() -> Templates:
    return load_templates(CONFIG_DIR / "templates" / "replies.yaml")


def default_knowledge() -> KnowledgeBase:
    return KnowledgeBase(load_faq(CONFIG_DIR / "faq"), thai_tokenizer())


def coordinator_chats(agencies: AgencyDirectory) -> dict[str, str]:
    """Telegram chat id -> agency code, from the agency directory's coordinators."""
    return {c.telegram_chat_id: agency.code for agency in agencies.agencies.values() for c in agency.coordinators
            if c.telegram_chat_id}


def contacts(settings: Settings, agencies: AgencyDirectory) -> Contacts:
    def chats_for(agency_code: str | None) -> list[str]:
        agency = agencies.get(agency_code)
        return [c.telegram_chat_id for c in agency.coordinators if c.telegram_chat_id] if agency else []

    return Contacts(duty_chat_id=settings.telegram.duty_chat_id, coordinator_chats=chats_for)


def build_responder(settings: Settings, store: Store, agencies: AgencyDirectory, clock: Clock,
                    knowledge: KnowledgeBase | None = None, templates: Templates | None = None) -> Responder:
    answer = settings.responder
    rules = Rules(answer_min_confidence=answer.answer_min_confidence, faq_min_coverage=answer.faq_min_score,
                  case_min_confidence=answer.case_min_confidence, reply_to_other=answer.reply_to_other,
                  sensitive_terms=load_sensitive_terms())
    return Responder(store.triage, store.cases, store.outbox, knowledge or default_knowledge(),
                     templates or default_templates(), rules, agencies, contacts(settings, agencies), clock,
                     default_sla_hours=answer.default_sla_hours)


# --- new work rings the bell -------------------------------------------------------------------------------
def telegram_ingest(store: Store, kick: Kick, source: str = TELEGRAM_SOURCE) -> Callable[[dict[str, Any]], int]:
    """The bot's on_public_message: a citizen's update stored as a Mention, then the pipeline woken."""

    def ingest(update: dict[str, Any]) -> int:
        mention = mention_from_update(update, source)
        stored = store.mentions.ingest(source, [mention], None) if mention is not None else 0
        if stored:
            kick.signal()
        return stored

    return ingest


def ingest_and_kick(store: Store, kick: Kick) -> Callable[[str, Sequence[Mention]], int]:
    """For create_facebook_webhook(store=...): store the webhook's mentions, then wake the pipeline."""

    def ingest(source: str, found: Sequence[Mention]) -> int:
        stored = store.mentions.ingest(source, found, None)
        if stored:
            kick.signal()
        return stored

    return ingest


def _kicking(step: Step, kick: Kick) -> Step:
    def run() -> int:
        done = step()
        if done:
            kick.signal()
        return done

    return run


# --- the whole answering side --------------------------------------------------------------------------------
def build_bot_app(settings: Settings, store: Store, agencies: AgencyDirectory, notifier: CitizenNotifier,
                  clock: Clock, on_public_message: Callable[[dict[str, Any]], object]
                  ) -> Application | None:  # type: ignore[type-arg]
    telegram = settings.telegram
    if not telegram.enabled or telegram.token is None:
        return None
    services = BotServices(
        cases=store.cases, mentions=store.mentions, desk=CaseDesk(store.cases, store.audit, notifier),
        agencies=agencies, coordinators=coordinator_chats(agencies), on_public_message=on_public_message,
        throttle=UserThrottle(clock, limit=telegram.user_messages_per_minute), clock=clock)
    return build_bot(telegram.token.get_secret_value(), telegram.base_url, services)


def bot_service(settings: Settings, app: Application) -> Service:  # type: ignore[type-arg]
    """The bot as a runtime service: PTB's webhook server when a webhook URL is set, else long polling."""
    telegram = settings.telegram
    secret = telegram.webhook_secret.get_secret_value() if telegram.webhook_secret else ""
    if telegram.webhook_url and not secret:
        raise ConfigError("GCC1111_TELEGRAM__WEBHOOK_SECRET: required with a webhook URL (Telegram's "
                          "X-Telegram-Bot-Api-Secret-Token is how the bot knows an update is genuine)")
    path = urlsplit(telegram.webhook_url).path.strip("/") or "telegram"
    return lambda: serve_bot(app, webhook_url=telegram.webhook_url, secret_token=secret,
                             listen=telegram.webhook_listen, port=telegram.webhook_port, url_path=path)


def build_responding(settings: Settings, store: Store, agencies: AgencyDirectory, clock: Clock, *,
                     classify: Step | None = None, knowledge: KnowledgeBase | None = None,
                     repliers: Mapping[Platform, Replier] | None = None,
                     paces: Mapping[Platform, Pace] | None = None, with_bot: bool = True) -> Responding:
    """Responder, outbox worker, notifier, bot and the pipeline that runs them (classify first, when given)."""
    templates = default_templates()
    chosen = dict(repliers) if repliers is not None else build_repliers(settings, clock)
    responder = build_responder(settings, store, agencies, clock, knowledge, templates)
    dispatcher = Dispatcher(store.outbox, chosen, clock, max_attempts=settings.responder.max_attempts, paces=paces)
    notifier = CitizenNotifier(store.cases, store.mentions, store.outbox, templates, agencies, clock)
    steps: list[tuple[str, Step]] = [("classify", classify)] if classify is not None else []
    steps += [("respond", responder.run_once), ("notify", notifier.run_once), ("dispatch", dispatcher.run_once)]
    pipeline = Pipeline(steps)
    bot = (build_bot_app(settings, store, agencies, notifier, clock, telegram_ingest(store, pipeline.kick))
           if with_bot else None)
    stages = [Stage("respond", pipeline.locked("respond"), RESPOND_SECONDS),
              Stage("notify", pipeline.locked("notify"), NOTIFY_SECONDS),
              Stage("dispatch", pipeline.locked("dispatch"), DISPATCH_SECONDS)]
    services: list[Service] = [lambda: pipeline.serve(idle_seconds=RESPOND_SECONDS)]
    if bot is not None:
        services.append(bot_service(settings, bot))
    return Responding(repliers=chosen, posters=build_posters(settings, clock), responder=responder,
                      dispatcher=dispatcher, notifier=notifier, pipeline=pipeline, bot=bot, stages=stages,
                      services=services)


def add_responder(system: System, *, with_bot: bool = True) -> Responding:
    """Append the answering side to a built system: its stages, its services, and kicks from listening."""
    classify = next((stage.run_once for stage in system.stages if stage.name == "classify"), None)
    responding = build_responding(system.settings, system.store, system.agencies, system.clock, classify=classify,
                                  with_bot=with_bot)
    for stage in system.stages:
        if stage.name.startswith("listen:"):
            stage.run_once = _kicking(stage.run_once, responding.kick)
    system.stages.extend(responding.stages)
    system.services.extend(responding.services)
    log.info("answering on: %s; publishing on: %s",
             ", ".join(p.value for p in responding.repliers) or "nothing (no credentials)",
             ", ".join(p.value for p in responding.posters) or "nothing")
    return responding
