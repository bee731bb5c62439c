"""Builds the listen-only Telegram source from settings (GCC1111_TELEGRAM__*)."""

from __future__ import annotations

from config.settings import Settings
from core.clock import Clock
from core.ports import Source
from scrapers.telegram import TelegramSource


def telegram_sources(settings: Settings, clock: Clock) -> list[Source]:
    """A getUpdates source when a bot token is set; none without one, or when a webhook receives the updates.

    Only one consumer may read a bot's updates. With GCC1111_TELEGRAM__WEBHOOK_URL set, Telegram pushes them
    to the bot and getUpdates would only answer 409, so the bot hands each update to mention_from_update
    instead. (A bot that polls for itself must likewise be wired without this source.) The clock is unused:
    every update carries its own date.
    """
    telegram = settings.telegram
    if not telegram.enabled or telegram.token is None or telegram.webhook_url:
        return []
    return [TelegramSource(telegram.base_url, telegram.token.get_secret_value())]
