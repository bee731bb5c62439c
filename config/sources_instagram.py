"""Builds the Instagram sources from settings: one shared logged-in client, a source per kind of target."""

from __future__ import annotations

from config.settings import Settings
from core.clock import Clock
from core.ports import Source
from core.text import hashtag_name
from scrapers.instagram.client import InstagramClient
from scrapers.instagram.sources import HashtagPostsSource, ProfileCommentsSource


def instagram_sources(settings: Settings, clock: Clock) -> list[Source]:
    """Comments on the agency's recent posts and posts under tracked hashtags; [] when not configured."""
    section = settings.instagram
    if not section.enabled or section.session_file is None:
        return []
    client = InstagramClient(section.base_url, section.iphone_url, section.username, section.session_file,
                             clock, section.request_timeout)
    sources: list[Source] = []
    if section.profile:
        sources.append(ProfileCommentsSource(client, section.profile.lstrip("@"), section.recent_posts))
    tags = [tag for tag in dict.fromkeys(hashtag_name(t) for t in section.hashtags) if tag]
    if tags:
        sources.append(HashtagPostsSource(client, tags, section.hashtag_posts))
    return sources
