"""Facebook Page listening over the Graph API (facebook-sdk): feed, comments, Messenger, and the webhook."""

from scrapers.facebook.client import GraphClient, GraphPage, InvalidCursor
from scrapers.facebook.feed import PageFeedSource
from scrapers.facebook.messenger import MessengerSource
from scrapers.facebook.usage import Throttle, Usage, read_usage
from scrapers.facebook.webhook import create_facebook_webhook

__all__ = [
    "GraphClient",
    "GraphPage",
    "InvalidCursor",
    "MessengerSource",
    "PageFeedSource",
    "Throttle",
    "Usage",
    "create_facebook_webhook",
    "read_usage",
]
