"""X API v2 timeline bodies (mentions, recent search) to Mentions, strictly: anything odd is a ParseError."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.domain import Mention, Platform
from core.errors import ParseError, SourceError

log = logging.getLogger("gcc1111.twitter")

X_EPOCH_MS = 1288834974657  # snowflake ids carry their creation time: (id >> 22) + epoch, in ms


@dataclass(frozen=True)
class Timeline:
    """One page of an X timeline: the mentions on it, the token for the next page, and partial errors."""

    mentions: list[Mention]
    next_token: str | None
    partial_errors: list[dict[str, Any]] = field(default_factory=list)


class _Malformed(Exception):
    """Raised inside the parser; parse_timeline turns it into ParseError carrying the whole body."""


def parse_timeline(body: str, source: str, content_type: str = "application/json") -> Timeline:
    """Read one mentions or recent-search page; raises ParseError (with the raw body) if it is not X's shape."""
    try:
        if "json" not in content_type.lower():
            raise _Malformed(f"expected JSON from X, got {content_type or 'no content type'}")
        try:
            document = json.loads(body, parse_constant=_no_constants)
        except (ValueError, RecursionError) as exc:
            raise _Malformed(f"invalid JSON from X: {exc}") from None
        return _timeline(document, source)
    except _Malformed as exc:
        raise ParseError(str(exc), raw_body=body) from None


def _timeline(document: Any, source: str) -> Timeline:
    if not isinstance(document, Mapping):
        raise _Malformed("an X timeline body must be a JSON object")
    if "meta" not in document and "data" not in document and document.get("errors"):
        # A well-formed answer made only of errors (an unknown user id, say): nothing to read, nothing malformed.
        errors = _list_of_objects(document, "errors")
        raise SourceError("X answered with errors only: " + "; ".join(str(e.get("detail", e)) for e in errors)[:300])
    meta = document.get("meta")
    if not isinstance(meta, Mapping) or not isinstance(meta.get("result_count"), int):
        raise _Malformed("meta.result_count is missing: cannot tell whether the page was read")
    tweets = _list_of_objects(document, "data")
    includes = document.get("includes", {})
    if not isinstance(includes, Mapping):
        raise _Malformed("includes must be an object")
    users = {u["id"]: dict(u) for u in _list_of_objects(includes, "users") if isinstance(u.get("id"), str)}
    errors = _list_of_objects(document, "errors")
    for error in errors:
        # Partial errors come with a 200: a suspended author, a deleted referenced tweet. The tweets still count.
        log.warning("X partial error on %s: %s %s", source, error.get("title", ""), error.get("detail", ""))
    token = meta.get("next_token")
    if token is not None and (not isinstance(token, str) or not token):
        raise _Malformed("meta.next_token must be a non-empty string")
    return Timeline([tweet_to_mention(t, users, source) for t in tweets], token, [dict(e) for e in errors])


def tweet_to_mention(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], source: str) -> Mention:
    """One v2 tweet object (with the expanded users) as a Mention; the raw tweet and its author kept for audit."""
    tweet_id, text = tweet.get("id"), tweet.get("text")
    if not isinstance(tweet_id, str) or not tweet_id.isascii() or not tweet_id.isdigit():
        raise _Malformed(f"tweet id must be a string of digits, got {tweet_id!r}")
    if not isinstance(text, str):
        raise _Malformed(f"tweet {tweet_id} has no text")
    author_id = _optional_str(tweet, "author_id")
    author = users.get(author_id, {}) if author_id else {}
    username, name = author.get("username"), author.get("name")
    username = username if isinstance(username, str) else ""
    name = name if isinstance(name, str) else ""
    raw = dict(tweet)
    if author:
        raw["author"] = dict(author)
    return Mention(
        platform=Platform.TWITTER,
        external_id=tweet_id,
        text=text,
        posted_at=_posted_at(tweet, tweet_id),
        source=source,
        author_handle=username,
        author_name=name,
        url=f"https://x.com/{username}/status/{tweet_id}" if username else f"https://x.com/i/web/status/{tweet_id}",
        thread_id=_optional_str(tweet, "conversation_id") or tweet_id,
        parent_id=_replied_to(tweet),
        raw=raw,
    )


def snowflake_time(tweet_id: str) -> datetime:
    """When a tweet was created, from its id alone."""
    try:
        return datetime.fromtimestamp(((int(tweet_id) >> 22) + X_EPOCH_MS) / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise _Malformed(f"tweet id {tweet_id} is not a snowflake id") from None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _posted_at(tweet: Mapping[str, Any], tweet_id: str) -> datetime:
    created = _optional_str(tweet, "created_at")
    if not created:
        return snowflake_time(tweet_id)  # created_at was not requested (as in tweepy's recordings)
    try:
        moment = datetime.fromisoformat(created)
    except ValueError:
        raise _Malformed(f"tweet {tweet_id} has an unreadable created_at {created!r}") from None
    if moment.tzinfo is None:
        raise _Malformed(f"tweet {tweet_id} created_at has no time zone: {created!r}")
    return moment.astimezone(UTC)


def _replied_to(tweet: Mapping[str, Any]) -> str:
    for reference in _list_of_objects(tweet, "referenced_tweets"):
        if reference.get("type") == "replied_to":
            parent = reference.get("id")
            if not isinstance(parent, str):
                raise _Malformed("referenced_tweets[].id must be a string")
            return parent
    return ""


def _optional_str(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Malformed(f"{key} must be a string, got {type(value).__name__}")
    return value


def _list_of_objects(item: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise _Malformed(f"{key} must be a list of objects")
    return value
