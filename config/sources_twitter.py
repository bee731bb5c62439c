"""Builds the X listening sources from settings (GCC1111_TWITTER__*)."""

from __future__ import annotations

from config.settings import Settings
from core.clock import Clock
from core.ports import Source
from scrapers.twitter import TwitterMentions, TwitterSearch, build_client


def twitter_sources(settings: Settings, clock: Clock) -> list[Source]:
    """A mentions source when a user id is set, a search source when a query is set; none without a token."""
    twitter = settings.twitter
    if not twitter.enabled or twitter.bearer_token is None:
        return []
    # One client for both: the listener polls its sources one after another, never at once.
    client = build_client(twitter.api_url, twitter.bearer_token.get_secret_value())
    sources: list[Source] = []
    if twitter.user_id:
        sources.append(TwitterMentions(client, twitter.user_id, clock))
    if twitter.query:
        sources.append(TwitterSearch(client, twitter.query, clock, own_user_id=twitter.user_id))
    return sources
