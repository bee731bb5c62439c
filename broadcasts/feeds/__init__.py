"""Live public data for broadcast templates: TMD weather and warnings, gold, oil, traffic, earthquakes."""

from broadcasts.feeds.cache import CachedFeed, staleness
from broadcasts.feeds.catalog import DEFAULT_MAX_AGE_MINUTES, FeedProblem, FeedSet, FeedSpec, http_feeds, max_ages

__all__ = ["DEFAULT_MAX_AGE_MINUTES", "CachedFeed", "FeedProblem", "FeedSet", "FeedSpec", "http_feeds", "max_ages",
           "staleness"]
