"""Graph items and webhook events → Mention; the same item gives the same Mention on either path.

Text is kept verbatim (script tags, SQL, zero-width characters, any length). The one exception is a
lone UTF-16 surrogate, which a hostile JSON escape can produce but no database can store as UTF-8: it
becomes U+FFFD, as any UTF-8 reader would show it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.domain import Mention, Platform
from core.errors import ParseError

GRAPH_TIME = "%Y-%m-%dT%H:%M:%S%z"  # "+0000", not "Z"
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
POST_ITEMS = frozenset({"status", "post", "photo", "video", "share"})


@dataclass(frozen=True)
class Thread:
    """A post or a Messenger conversation as listed, with the time it last changed."""

    id: str
    updated_at: datetime
    item: dict[str, Any]


def graph_time(value: Any, what: str = "created_time") -> datetime:
    """Graph's REST time ("2026-05-01T03:04:05+0000") as aware UTC."""
    if not isinstance(value, str):
        raise ParseError(f"{what} missing or not a string", _dump(value))
    try:
        return datetime.strptime(value, GRAPH_TIME).astimezone(UTC)
    except ValueError:
        raise ParseError(f"{what} {value[:40]!r} is not a Graph time", value[:2000]) from None


def unix_time(value: Any, *, millis: bool = False, what: str = "created_time") -> datetime:
    """Webhook times: unix seconds (feed) or milliseconds (Messenger)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParseError(f"{what} missing or not a number", _dump(value))
    try:
        return datetime.fromtimestamp(value / 1000 if millis else value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ParseError(f"{what} {value!r} is out of range", _dump(value)) from None


def thread(item: dict[str, Any]) -> Thread:
    """A listed post or conversation: its id and updated_time (created_time when never updated)."""
    changed = item.get("updated_time", item.get("created_time"))
    return Thread(_text_id(item, "id"), graph_time(changed, "updated_time"), item)


def created_at(item: dict[str, Any]) -> datetime:
    try:
        return graph_time(item.get("created_time"))
    except ParseError as exc:
        raise ParseError(str(exc), _dump(item)) from None


def post_mention(item: dict[str, Any], *, page_id: str, source: str) -> Mention | None:
    """A post on the Page's feed; None when the Page wrote it."""
    author = _author(item.get("from"), item)
    if author[0] == page_id:
        return None
    post_id = _text_id(item, "id")
    return _mention(item, post_id, post_id, "", author, created_at(item), source, _url(item, post_id))


def comment_mention(item: dict[str, Any], *, post_id: str, page_id: str, source: str) -> Mention | None:
    """A comment or reply (filter=stream flattens replies; `parent{id}` names the comment answered)."""
    author = _author(item.get("from"), item)
    if author[0] == page_id:
        return None
    comment_id = _text_id(item, "id")
    parent = item.get("parent")
    parent_id = ""
    if parent is not None:
        if not isinstance(parent, dict):
            raise ParseError("comment parent is not an object", _dump(item))
        parent_id = _text_id(parent, "id", item)
    return _mention(item, comment_id, post_id, parent_id, author, created_at(item), source,
                    _url(item, comment_id))


def message_mention(item: dict[str, Any], *, page_id: str, source: str) -> Mention | None:
    """A Messenger message; the thread is the citizen's PSID, which the webhook also knows."""
    author = _author(item.get("from"), item)
    if author[0] == page_id:
        return None
    if not author[0]:
        raise ParseError("Messenger message without a sender id", _dump(item))
    return _mention(item, _text_id(item, "id"), author[0], "", author, created_at(item), source, "")


def feed_change_mention(value: dict[str, Any], *, page_id: str, source: str) -> Mention | None:
    """A webhook `feed` change; None for the Page's own items, reactions, edits and removals."""
    if value.get("verb") != "add":
        return None
    item = value.get("item")
    if not isinstance(item, str) or (item != "comment" and item not in POST_ITEMS):
        return None
    author = _author(value.get("from"), value)
    if author[0] == page_id:
        return None
    post_id = _text_id(value, "post_id")
    posted = unix_time(value.get("created_time"))
    if item == "comment":
        comment_id = _text_id(value, "comment_id")
        parent = value.get("parent_id")
        parent_id = parent if isinstance(parent, str) and parent != post_id else ""
        return _mention(value, comment_id, post_id, parent_id, author, posted, source, _url({}, comment_id))
    return _mention(value, post_id, post_id, "", author, posted, source, _url(value, post_id))


def messaging_mention(event: dict[str, Any], *, page_id: str, source: str) -> Mention | None:
    """A webhook Messenger event; None for echoes of the Page's sends, deliveries, reads and postbacks."""
    message = event.get("message")
    if message is None:
        return None
    if not isinstance(message, dict):
        raise ParseError("messaging.message is not an object", _dump(event))
    sender = event.get("sender")
    sender_id = sender.get("id") if isinstance(sender, dict) else None
    if not isinstance(sender_id, str) or not sender_id:
        raise ParseError("messaging event without sender.id", _dump(event))
    if message.get("is_echo") or sender_id == page_id:
        return None
    mid = _text_id(message, "mid", event)
    posted = unix_time(event.get("timestamp"), millis=True, what="timestamp")
    text = _text(message, "text", event)
    return Mention(platform=Platform.FACEBOOK, external_id=mid, text=text, posted_at=posted, source=source,
                   author_handle=sender_id, thread_id=sender_id, raw=_clean(event))


# --- helpers -----------------------------------------------------------------------------------------

def _mention(item: dict[str, Any], external_id: str, thread_id: str, parent_id: str, author: tuple[str, str],
             posted: datetime, source: str, url: str) -> Mention:
    return Mention(platform=Platform.FACEBOOK, external_id=external_id, text=_text(item, "message", item),
                   posted_at=posted,
                   source=source, author_handle=author[0], author_name=author[1], url=url, thread_id=thread_id,
                   parent_id=parent_id, raw=_clean(item))


def _text(holder: dict[str, Any], key: str, context: dict[str, Any]) -> str:
    """The message text; absent means a post or message with no words (a photo, a sticker)."""
    text = holder.get(key, "")
    if not isinstance(text, str):
        raise ParseError(f"{key} is not a string", _dump(context))
    return LONE_SURROGATE.sub("\ufffd", text)


def _text_id(holder: dict[str, Any], key: str, context: dict[str, Any] | None = None) -> str:
    value = holder.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ParseError(f"{key} missing or empty (a token without MODERATE hides comment ids)",
                         _dump(context if context is not None else holder))
    return value


def _author(value: Any, context: dict[str, Any]) -> tuple[str, str]:
    """(id, name); Graph may withhold `from` for some people, which leaves both empty."""
    if value is None:
        return "", ""
    if not isinstance(value, dict):
        raise ParseError("from is not an object", _dump(context))
    author_id, name = value.get("id", ""), value.get("name", "")
    if not isinstance(author_id, str) or not isinstance(name, str):
        raise ParseError("from.id or from.name is not a string", _dump(context))
    return author_id, LONE_SURROGATE.sub("\ufffd", name)


def _url(item: dict[str, Any], object_id: str) -> str:
    link = item.get("permalink_url")
    return link if isinstance(link, str) and link.startswith("https://") else f"https://www.facebook.com/{object_id}"


def _clean(value: Any) -> Any:
    """The raw payload as received, minus lone surrogates (unstorable as UTF-8)."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _dump(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)[:200_000]
    except (TypeError, ValueError):
        return repr(value)[:200_000]
