"""Instagram sources: comments on the agency's own recent posts, and posts under tracked hashtags."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from instaloader import Hashtag, Post, Profile

from core.domain import Mention, Platform
from core.errors import ParseError
from core.ports import Page
from scrapers.instagram.client import InstagramClient
from scrapers.instagram.mentions import caption_mention, comment_mentions, media_struct

BATCH = 25  # hashtag posts stored per transaction while a tag is being read


@dataclass
class ProfileCommentsSource:
    """Comments and replies on the profile's most recent posts.

    Cursor: {"posts": {shortcode: comment_count already read}}. A post whose comment count has
    not changed costs no request; one that changed is read again in full (the store drops the
    comments it already has). Posts that leave the recent window leave the cursor too.
    """

    client: InstagramClient
    profile: str
    recent_posts: int = 12
    name: str = "instagram.profile"
    platform: Platform = field(default=Platform.INSTAGRAM, init=False)

    def poll(self, position: dict[str, Any]) -> Iterator[Page]:
        with self.client.lock:
            yield from self._poll(position)

    def _poll(self, position: dict[str, Any]) -> Iterator[Page]:
        context = self.client.ready()
        with self.client.translated(f"recent posts of {self.profile}"):
            posts = list(islice(Profile.from_username(context, self.profile).get_posts(), self.recent_posts))
            counts = {post.shortcode: int(media_struct(post).get("comment_count") or 0) for post in posts}
        read: dict[str, int] = {
            code: int(count) for code, count in dict(position.get("posts") or {}).items() if code in counts
        }
        problems: list[ParseError] = []
        for post in posts:
            code = post.shortcode
            if read.get(code) == counts[code]:
                continue
            try:
                mentions = self._comments(post) if counts[code] else []
            except ParseError as exc:
                problems.append(exc)  # skipped, cursor kept: the next poll reads this post again
                continue
            read[code] = counts[code]
            if mentions:
                yield Page(mentions, {"posts": dict(read)})
        # Posts without new comments, and posts that left the recent window, settle here.
        yield Page([], {"posts": dict(read)})
        if problems:
            raise problems[0]

    def _comments(self, post: Post) -> list[Mention]:
        with self.client.translated(f"comments of post {post.shortcode}"):
            return list(comment_mentions(self.client.context, post, self.name))


@dataclass
class HashtagPostsSource:
    """Recent posts under each tracked hashtag; the caption is the mention.

    Cursor: {"newest": {tag: newest media pk read}}. Instagram's recent section is newest
    first and media pks grow with time, so reading stops at the first post already seen.
    """

    client: InstagramClient
    hashtags: Sequence[str]
    max_posts: int = 50
    name: str = "instagram.hashtag"
    platform: Platform = field(default=Platform.INSTAGRAM, init=False)

    def poll(self, position: dict[str, Any]) -> Iterator[Page]:
        with self.client.lock:
            yield from self._poll(position)

    def _poll(self, position: dict[str, Any]) -> Iterator[Page]:
        context = self.client.ready()
        newest: dict[str, int] = {tag: int(pk) for tag, pk in dict(position.get("newest") or {}).items()}
        problems: list[ParseError] = []
        for tag in self.hashtags:
            try:
                yield from self._read_tag(context, tag, newest)
            except ParseError as exc:
                problems.append(exc)  # the tag's cursor stays where it was; the other tags carry on
        if problems:
            raise problems[0]

    def _read_tag(self, context: Any, tag: str, newest: dict[str, int]) -> Iterator[Page]:
        since = newest.get(tag, 0)
        top = since
        batch: list[Mention] = []
        with self.client.translated(f"hashtag #{tag}"):
            for post in islice(Hashtag.from_name(context, tag).get_posts(), self.max_posts):
                if post.mediaid <= since:
                    break
                top = max(top, post.mediaid)
                mention = caption_mention(post, self.name)
                if mention is not None:
                    batch.append(mention)
                if len(batch) >= BATCH:
                    # Stored now, cursor unchanged until the whole tag is read: a failure later re-reads, never skips.
                    yield Page(batch, None)
                    batch = []
        newest[tag] = top
        yield Page(batch, {"newest": dict(newest)})
