"""X: replies to citizens' tweets (in_reply_to_tweet_id) and posts on the desk's own account.

X refuses a tweet whose text repeats one of ours ("duplicate content"), even as a reply to someone else:
two citizens asking the same question would get the same answer. So on that refusal we first look
whether *this* tweet already has our reply (then it counts as sent); if not, the answer goes out with a
short reference derived from the outbox key, which makes it unique and is found again after a crash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import tweepy

from bots.channels.target import parse_target
from bots.channels.text import X_LIMIT, outgoing, same_text, x_length
from bots.channels.xapi import Unclear, call
from core.clock import Clock
from core.domain import Platform
from core.errors import DuplicatePost, PublishError
from core.ports import Sent

TIMELINE_PAGES = 5  # 500 of our newest tweets
TWEET_FIELDS = ["referenced_tweets", "conversation_id", "created_at"]


def reference(key: str) -> str:
    """A short, stable reference for one outbox entry ("อ้างอิง 3fa9c1")."""
    return "อ้างอิง " + hashlib.sha256(key.encode("utf-8")).hexdigest()[:6]


def with_reference(text: str, key: str) -> str:
    suffix = f"\n({reference(key)})"
    return outgoing(text, X_LIMIT - x_length(suffix), x_length) + suffix


class _Timeline:
    """Our own account's recent tweets, newest first (GET /2/users/{id}/tweets)."""

    def __init__(self, client: tweepy.Client, user_id: str, clock: Clock) -> None:
        self._client = client
        self._user_id = user_id
        self._clock = clock

    def tweets(self, since_id: str | None = None) -> Iterator[tweepy.Tweet]:
        token: str | None = None
        for _ in range(TIMELINE_PAGES):
            page = call(lambda token=token: self._client.get_users_tweets(
                self._user_id, since_id=since_id, max_results=100, pagination_token=token,
                tweet_fields=TWEET_FIELDS, user_auth=True), self._clock, "reading our timeline", writing=False)
            yield from page.data or []
            token = (page.meta or {}).get("next_token")
            if not token:
                return


def _replied_to(tweet: tweepy.Tweet) -> str:
    for referenced in tweet.referenced_tweets or []:
        if referenced.type == "replied_to":
            return str(referenced.id)
    return ""


class TwitterReplier:
    """Implements core.ports.Replier for "tweet:<id>" targets."""

    platform = Platform.TWITTER
    can_confirm = True

    def __init__(self, client: tweepy.Client, user_id: str, clock: Clock) -> None:
        self._client = client
        self._clock = clock
        self._timeline = _Timeline(client, user_id, clock)

    def reply(self, target: str, text: str, key: str) -> Sent:
        _, tweet_id = parse_target(target, ("tweet",))
        try:
            return self._send(tweet_id, outgoing(text, X_LIMIT, x_length), text, key)
        except DuplicatePost:
            found = self.find_sent(target, key, text)
            if found is not None:
                raise DuplicatePost("X already holds our reply to this tweet", existing_id=found.platform_id) from None
        try:  # the same words went to someone else: make this one unique
            return self._send(tweet_id, with_reference(text, key), text, key)
        except DuplicatePost:
            found = self.find_sent(target, key, text)
            raise DuplicatePost("X already holds our reply to this tweet",
                                existing_id=found.platform_id if found else "") from None

    def find_sent(self, target: str, key: str, text: str) -> Sent | None:
        _, tweet_id = parse_target(target, ("tweet",))
        wanted = (outgoing(text, X_LIMIT, x_length), with_reference(text, key))
        # A reply is always newer than the tweet it answers: since_id bounds the search.
        for tweet in self._timeline.tweets(since_id=tweet_id):
            if _replied_to(tweet) == tweet_id and any(same_text(w, tweet.text) for w in wanted):
                return Sent(str(tweet.id), f"https://x.com/i/web/status/{tweet.id}")
        return None

    def _send(self, tweet_id: str, body: str, text: str, key: str) -> Sent:
        try:
            answer = call(lambda: self._client.create_tweet(text=body, in_reply_to_tweet_id=tweet_id, user_auth=True),
                          self._clock, "a reply", writing=True)
        except Unclear as unclear:
            found = _look(lambda: self.find_sent(f"tweet:{tweet_id}", key, text), unclear)
            if found is not None:
                return found
            raise PublishError(f"{unclear}; not on X, will try again") from None
        new_id = str(answer.data["id"])
        return Sent(new_id, f"https://x.com/i/web/status/{new_id}")


class TwitterPoster:
    """Implements core.ports.Poster: a tweet on the desk's own account."""

    platform = Platform.TWITTER
    can_confirm = True

    def __init__(self, client: tweepy.Client, user_id: str, clock: Clock) -> None:
        self._client = client
        self._clock = clock
        self._timeline = _Timeline(client, user_id, clock)

    def post(self, text: str, key: str) -> Sent:
        body = outgoing(text, X_LIMIT, x_length)
        try:
            answer = call(lambda: self._client.create_tweet(text=body, user_auth=True), self._clock, "a post",
                          writing=True)
        except DuplicatePost as exc:
            found = self.find_posted(key, text)
            raise DuplicatePost(str(exc), existing_id=found.platform_id if found else "") from None
        except Unclear as unclear:
            found = _look(lambda: self.find_posted(key, text), unclear)
            if found is not None:
                return found
            raise PublishError(f"{unclear}; not on X, will try again") from None
        new_id = str(answer.data["id"])
        return Sent(new_id, f"https://x.com/i/web/status/{new_id}")

    def find_posted(self, key: str, text: str) -> Sent | None:
        body = outgoing(text, X_LIMIT, x_length)
        for tweet in self._timeline.tweets():
            if not _replied_to(tweet) and same_text(body, tweet.text):
                return Sent(str(tweet.id), f"https://x.com/i/web/status/{tweet.id}")
        return None


def _look(find: Callable[[], Sent | None], unclear: PublishError) -> Sent | None:
    """After an unclear answer: what the timeline says, or a final 'check by hand' when it cannot be read."""
    try:
        return find()
    except PublishError as exc:
        raise PublishError(f"{unclear}; could not check whether it went out ({exc}): check on X before sending "
                           "it again", permanent=True) from None
