"""Instagram posts and comments, as instaloader parses them, turned into Mentions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import instaloader
from instaloader import Post, PostComment

from core.domain import Mention, Platform

PUBLIC_URL = "https://www.instagram.com"


def media_struct(post: Post) -> dict[str, Any]:
    """The iPhone media payload a Post was built from (the raw we keep), via instaloader's JSON export."""
    node = instaloader.get_json_structure(post)["node"]
    media = node.get("iphone_struct")
    if not isinstance(media, dict):
        raise KeyError("iphone_struct")
    return media


def post_url(shortcode: str) -> str:
    return f"{PUBLIC_URL}/p/{shortcode}/"


def caption_mention(post: Post, source: str) -> Mention | None:
    """A post found under a tracked hashtag: its caption is what the citizen wrote. None without a caption."""
    media = media_struct(post)
    # The caption as sent: instaloader's Post.caption NFC-normalises it, and we keep text verbatim.
    caption = (media.get("caption") or {}).get("text") or ""
    if not caption.strip():
        return None
    owner = post.owner_profile
    return Mention(
        platform=Platform.INSTAGRAM,
        external_id=str(post.mediaid),
        text=caption,
        posted_at=_aware(post.date_utc),
        source=source,
        author_handle=owner.username,
        author_name=owner.full_name or "",
        url=post_url(post.shortcode),
        thread_id=post.shortcode,
        raw=media,
    )


def comment_mentions(context: instaloader.InstaloaderContext, post: Post, source: str) -> Iterator[Mention]:
    """Every comment on `post` and every reply to one, replies right after their parent."""
    for node, parent in comment_nodes(context, post):
        comment = PostComment.from_iphone_struct(context, node, iter(()), post)
        owner = comment.owner
        url = post_url(post.shortcode) + (f"c/{parent}/r/{comment.id}/" if parent else f"c/{comment.id}/")
        yield Mention(
            platform=Platform.INSTAGRAM,
            external_id=str(comment.id),
            text=comment.text,
            posted_at=_aware(comment.created_at_utc),
            source=source,
            author_handle=owner.username,
            author_name=owner.full_name or "",
            url=url,
            thread_id=post.shortcode,
            parent_id=str(parent) if parent else "",
            raw=node,
        )


def comment_nodes(context: instaloader.InstaloaderContext, post: Post) -> Iterator[tuple[dict[str, Any], int]]:
    """(comment payload, parent comment pk or 0) from the iPhone comments endpoint, paged by next_min_id.

    This is the endpoint instaloader's Post.get_comments() falls back to (its GraphQL comment
    query no longer pages reliably, instaloader issue #2125); calling it here, the same way,
    keeps each payload as the raw of its mention and never costs a metadata query per post.
    """
    min_id: str | None = None
    while True:
        params = {"can_support_threading": "true", "permalink_enabled": "false"}
        if min_id:
            params["min_id"] = min_id
        page = context.get_iphone_json(f"api/v1/media/{post.mediaid}/comments/", params)
        for node in page["comments"]:
            yield node, 0
            for child in _children(context, post, node):
                yield child, int(node["pk"])
        min_id = page.get("next_min_id")
        if not min_id:
            return


def _children(context: instaloader.InstaloaderContext, post: Post, node: dict[str, Any]) -> list[dict[str, Any]]:
    count = int(node.get("child_comment_count") or 0)
    if count == 0:
        return []
    preview = list(node.get("preview_child_comments") or [])
    if len(preview) == count:
        return preview
    answer = context.get_iphone_json(f"api/v1/media/{post.mediaid}/comments/{node['pk']}/child_comments/",
                                     {"max_id": ""})
    return list(answer["child_comments"])


def _aware(naive_utc: datetime) -> datetime:
    """instaloader gives naive UTC datetimes; storage wants aware ones."""
    return naive_utc.replace(tzinfo=UTC)
