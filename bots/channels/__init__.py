"""Repliers and Posters: the platform adapters that deliver what the outbox holds."""

from bots.channels.facebook import FacebookPoster, FacebookReplier
from bots.channels.graph import GraphWriter
from bots.channels.telegram import BotApi, TelegramPoster, TelegramReplier
from bots.channels.twitter import TwitterPoster, TwitterReplier
from bots.channels.xapi import x_client

__all__ = ["BotApi", "FacebookPoster", "FacebookReplier", "GraphWriter", "TelegramPoster", "TelegramReplier",
           "TwitterPoster", "TwitterReplier", "x_client"]
