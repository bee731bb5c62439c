"""Builds the Facebook Page sources and webhook receiver from settings (GCC1111_FACEBOOK__*)."""

from __future__ import annotations

from starlette.types import ASGIApp

from config.settings import Settings
from core.clock import Clock
from core.ports import Source
from core.store import Store
from scrapers.facebook import GraphClient, MessengerSource, PageFeedSource, create_facebook_webhook
from scrapers.facebook.webhook import Ingest


def facebook_sources(settings: Settings, clock: Clock) -> list[Source]:
    """The Page feed source and, unless turned off, the Messenger source; none without a page and token."""
    facebook = settings.facebook
    if not facebook.enabled or facebook.access_token is None:
        return []
    # One client for both: they share the Page token, so they share Meta's usage budget and its throttle.
    client = GraphClient(
        facebook.graph_url,
        facebook.api_version,
        facebook.access_token.get_secret_value(),
        clock=clock,
        app_secret=facebook.app_secret.get_secret_value() if facebook.app_secret else "",
    )
    sources: list[Source] = [PageFeedSource(client, facebook.page_id, clock)]
    if facebook.include_messenger:
        sources.append(MessengerSource(client, facebook.page_id, clock))
    return sources


def facebook_webhook_app(settings: Settings, store: Store, ingest: Ingest | None = None) -> ASGIApp | None:
    """The webhook receiver, when the Page, the app secret and a verify token are all set; else None."""
    facebook = settings.facebook
    if not facebook.enabled or facebook.app_secret is None or facebook.verify_token is None:
        return None
    app_secret = facebook.app_secret.get_secret_value()
    verify_token = facebook.verify_token.get_secret_value()
    if not app_secret or not verify_token:
        return None
    return create_facebook_webhook(
        page_id=facebook.page_id,
        verify_token=verify_token,
        app_secret=app_secret,
        store=ingest or store.mentions,
        on_unreadable=store.health.save_unreadable,
    )
