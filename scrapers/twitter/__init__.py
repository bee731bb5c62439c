"""X (Twitter) listening through tweepy's API v2 Client: mentions of the account and recent search."""

from scrapers.twitter.client import build_client
from scrapers.twitter.parse import Timeline, parse_timeline, tweet_to_mention
from scrapers.twitter.source import Cursor, TwitterMentions, TwitterSearch

__all__ = [
    "Cursor",
    "Timeline",
    "TwitterMentions",
    "TwitterSearch",
    "build_client",
    "parse_timeline",
    "tweet_to_mention",
]
