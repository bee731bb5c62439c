"""Builds the broadcast side from settings: feeds, templates, preview, workflow, publisher and the scheduler service.

The one call build_system makes (after add_responder, whose Responding carries the Posters):

    responding = add_responder(system)
    add_broadcasts(system, responding.posters)

That appends the scheduler service (an async callable) to system.services; the runtime starts it in its loop.
The CLI and the dashboard use `build_broadcasting(...)` without Posters: they plan and preview, never publish.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from broadcasts.alerts import StaffAlerts
from broadcasts.compose import Composer
from broadcasts.feeds import FeedSet, http_feeds, max_ages
from broadcasts.preview import Previewer
from broadcasts.publisher import Publisher
from broadcasts.render import Templates
from broadcasts.scheduler import BroadcastScheduler
from broadcasts.service import SchedulerService
from broadcasts.workflow import BroadcastWorkflow
from config.settings import Settings
from config.system import System
from core.clock import Clock
from core.domain import Platform
from core.ports import Poster
from core.store import Store

SYNC_SECONDS = 5.0


@dataclass
class Broadcasting:
    """Everything the broadcast side adds to a desk."""

    feeds: FeedSet
    templates: Templates
    composer: Composer
    previewer: Previewer  # a core.ports.BroadcastPreviewer: hand it to the dashboard
    workflow: BroadcastWorkflow
    publisher: Publisher
    scheduler: BroadcastScheduler
    service: SchedulerService


def feed_urls(settings: Settings) -> dict[str, str]:
    """Feed name → URL from GCC1111_FEEDS__*_URL."""
    feeds = settings.feeds
    return {"weather": feeds.weather_url, "warning": feeds.warning_url, "gold": feeds.gold_url,
            "oil": feeds.oil_url, "traffic": feeds.traffic_url, "earthquake": feeds.earthquake_url}


def build_feeds(settings: Settings, clock: Clock) -> FeedSet:
    """Every feed with a URL, cached for GCC1111_FEEDS__CACHE_SECONDS, each with its freshness limit."""
    feeds = settings.feeds
    return http_feeds(feed_urls(settings), clock, ttl_seconds=feeds.cache_seconds,
                      max_age=max_ages(feeds.max_age_minutes_by_feed, feeds.max_age_minutes),
                      tmd_uid=feeds.tmd_uid, tmd_ukey=feeds.tmd_ukey.get_secret_value() if feeds.tmd_ukey else "")


def scheduler_holder() -> str:
    """Who holds the lease: host, process and a random suffix (a restarted process is a new holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def build_broadcasting(settings: Settings, store: Store, clock: Clock, posters: Mapping[Platform, Poster], *,
                       holder: str | None = None, templates_dir: Path | None = None,
                       sync_seconds: float = SYNC_SECONDS) -> Broadcasting:
    """The broadcast side over `store`; `posters` are the Page, X account and Telegram channel publishers."""
    options = settings.broadcasts
    late_after = timedelta(minutes=options.late_publish_minutes)
    feeds = build_feeds(settings, clock)
    templates = Templates(templates_dir)
    composer = Composer(templates, feeds)
    previewer = Previewer(composer, clock)
    duty_chat = settings.telegram.duty_chat_id if settings.telegram.enabled else ""
    alerts = StaffAlerts(store.audit, clock, store.outbox, duty_chat)
    publisher = Publisher(store.broadcasts, composer, posters, alerts, clock, late_after=late_after,
                          max_attempts=options.max_attempts)
    scheduler = BroadcastScheduler(store.broadcasts, publisher, clock, holder=holder or scheduler_holder(),
                                   late_after=late_after, lease_seconds=options.lease_seconds, audit=store.audit)
    workflow = BroadcastWorkflow(store.broadcasts, store.users, store.audit, previewer, templates, clock,
                                 late_after=late_after)
    return Broadcasting(feeds=feeds, templates=templates, composer=composer, previewer=previewer, workflow=workflow,
                        publisher=publisher, scheduler=scheduler,
                        service=SchedulerService(scheduler, sync_seconds=sync_seconds))


def add_broadcasts(system: System, posters: Mapping[Platform, Poster]) -> Broadcasting:
    """Append the broadcast scheduler service to a built system (it publishes only while holding the lease)."""
    broadcasting = build_broadcasting(system.settings, system.store, system.clock, posters)
    system.services.append(broadcasting.service)
    return broadcasting
