"""Telegram inbound listening: what the public writes to the bot in private chats, as Mentions.

Two ways in, one parser. `mention_from_update` turns one raw Bot API update (a dict, as getUpdates or a
webhook delivers it, or PTB's `Update.to_dict()`) into a Mention, or None when it is not a citizen's words
(a command, a button press, a group or channel message). The responder's bot hands each update it receives
to that function; `TelegramSource` is for listen-only deployments, where nothing else reads the bot's updates.

TelegramSource polls getUpdates with plain HTTP (requests), not PTB's Bot: the listener is synchronous, one
POST per page is all it needs, and the raw JSON is exactly what we keep (PTB would build objects and need an
event loop of its own). Its cursor is the update offset, {"offset": last_update_id + 1}, saved in the same
transaction as the mentions. Telegram forgets updates only when a later getUpdates sends a higher offset, so
an update is confirmed on the next call after it is safely stored: a crash (even kill -9) before the store
means Telegram sends it again, a crash after means the saved offset confirms it. Exactly once either way.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from core.domain import Mention, Platform
from core.errors import AuthExpired, ParseError, RateLimited, SourceError
from core.ports import Page

log = logging.getLogger("gcc1111.telegram")

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read: short polling answers at once, a hung socket must not stall
DEFAULT_FLOOD_WAIT_SECONDS = 60.0  # a 429 without parameters.retry_after (Telegram always sends one)
# A slash command at the start of a message, as Telegram marks bot_command entities (Latin letters, digits, _).
COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])")
MESSAGE_KINDS = ("message", "edited_message")


def mention_from_update(update: Mapping[str, Any], source: str = "telegram") -> Mention | None:
    """A citizen's private message (text or caption, new or edited) as a Mention; None for anything else.

    Raises ParseError (carrying the update as JSON) when a message lacks the fields every real one has.
    """
    if not isinstance(update, Mapping):
        raise ParseError("a Telegram update must be a JSON object", raw_body=_dump(update))
    kind = next((k for k in MESSAGE_KINDS if k in update), None)
    if kind is None:
        return None  # callback_query, my_chat_member, channel_post, …: not something the public wrote to us
    message = update[kind]
    if not isinstance(message, Mapping):
        raise _malformed(update, f"{kind} must be an object")
    chat = message.get("chat")
    if not isinstance(chat, Mapping) or not _is_int(chat.get("id")):
        raise _malformed(update, f"{kind}.chat.id is missing")
    if chat.get("type") != "private":
        return None  # the duty group's chatter and channel posts are staff, not the public
    text, entities = _words(message)
    if text is None:
        return None  # a sticker, a photo without caption, a location: nothing to read
    if not isinstance(text, str):
        raise _malformed(update, f"{kind} text must be a string")
    if not text.strip() or _is_command(text, entities):
        return None
    message_id, date = message.get("message_id"), message.get("date")
    if not _is_int(message_id) or not _is_int(date):
        raise _malformed(update, f"{kind}.message_id and .date must be integers")
    try:
        posted_at = datetime.fromtimestamp(date, UTC)
    except (OverflowError, OSError, ValueError):
        raise _malformed(update, f"{kind}.date {date} is not a time") from None
    sender = message.get("from") if isinstance(message.get("from"), Mapping) else {}
    reply = message.get("reply_to_message")
    parent = reply.get("message_id") if isinstance(reply, Mapping) else None
    return Mention(
        platform=Platform.TELEGRAM,
        external_id=f"{chat['id']}:{message_id}",
        text=text,
        posted_at=posted_at,
        source=source,
        author_handle=_handle(sender),
        author_name=" ".join(p for p in (_str(sender.get("first_name")), _str(sender.get("last_name"))) if p),
        url="",  # private chats have no public link
        thread_id=str(chat["id"]),
        parent_id=str(parent) if _is_int(parent) else "",
        raw=dict(update),
    )


def _words(message: Mapping[str, Any]) -> tuple[Any, Any]:
    if "text" in message:
        return message["text"], message.get("entities")
    return message.get("caption"), message.get("caption_entities")


def _is_command(text: str, entities: Any) -> bool:
    """Whether the message is a bot command (/start, /status@Bot …): Telegram marks it with an entity at 0."""
    if isinstance(entities, list):
        return any(isinstance(e, Mapping) and e.get("type") == "bot_command" and e.get("offset") == 0
                   for e in entities)
    return COMMAND.match(text) is not None  # an update built without entities (tests, other tools)


def _handle(sender: Mapping[str, Any]) -> str:
    username = _str(sender.get("username"))
    if username:
        return username
    return str(sender["id"]) if _is_int(sender.get("id")) else ""


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=repr)


def _malformed(update: Any, reason: str) -> ParseError:
    return ParseError(f"unreadable Telegram update: {reason}", raw_body=_dump(update))


def method_url(base_url: str, token: str, method: str) -> str:
    """`base_url` as PTB reads it: "{token}" is replaced, else the token is appended; then "/<method>"."""
    base = base_url.replace("{token}", token) if "{token}" in base_url else base_url + token
    return f"{base.rstrip('/')}/{method}"


class TelegramSource:
    """Listen-only: reads the bot's updates with getUpdates, the update offset as the cursor."""

    platform = Platform.TELEGRAM

    def __init__(self, base_url: str, token: str, *, name: str = "telegram", limit: int = 100, max_pages: int = 10,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None) -> None:
        if not 1 <= limit <= 100:
            raise ValueError(f"getUpdates limit must be 1-100, got {limit}")
        self.name = name
        self._url = method_url(base_url, token, "getUpdates")  # holds the token: never logged or put in errors
        self._limit = limit
        self._max_pages = max_pages
        self._timeout = timeout
        self._session = session or requests.Session()

    def __repr__(self) -> str:
        return f"TelegramSource(name={self.name!r})"

    def poll(self, position: dict[str, Any]) -> Iterator[Page]:
        """Yield one page per getUpdates answer; each carries the offset that confirms it on the next call."""
        offset = _offset(position)
        for _ in range(self._max_pages):
            updates, body = self._get_updates(offset)
            if not updates:
                return
            try:
                mentions = [m for u in updates if (m := mention_from_update(u, self.name)) is not None]
            except ParseError as exc:
                raise ParseError(str(exc), raw_body=body) from None
            offset = max(u["update_id"] for u in updates) + 1
            yield Page(mentions, {"offset": offset})
            if len(updates) < self._limit:
                return
        log.info("source %s: read %d pages, the rest waits for the next poll", self.name, self._max_pages)

    def _get_updates(self, offset: int | None) -> tuple[list[dict[str, Any]], str]:
        form = {"limit": str(self._limit), "timeout": "0"}
        if offset is not None:
            form["offset"] = str(offset)
        try:
            response = self._session.post(self._url, data=form, timeout=self._timeout)
        except requests.Timeout:
            raise SourceError("Telegram did not answer getUpdates in time") from None
        except requests.RequestException as exc:
            # `from None` and no str(exc): requests' messages carry the URL, and the URL carries the token.
            raise SourceError(f"Telegram unreachable for getUpdates ({type(exc).__name__})") from None
        body = _utf8(response.content)
        if response.status_code != 200:
            raise _refusal(response.status_code, body)
        return _updates(body, response.headers.get("content-type", "")), body


def _offset(position: Mapping[str, Any]) -> int | None:
    value = position.get("offset")
    if value is None or _is_int(value):
        return value
    log.warning("ignoring an unreadable Telegram cursor %r; reading from the oldest unconfirmed update", position)
    return None


def _utf8(content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"Telegram sent a body that is not UTF-8: {exc}",
                         raw_body=content.decode("utf-8", errors="replace")) from None


def _updates(body: str, content_type: str) -> list[dict[str, Any]]:
    """The result list of a 200 answer, checked strictly: anything else is a ParseError with the body."""
    if "json" not in content_type.lower():
        raise ParseError(f"expected JSON from Telegram, got {content_type or 'no content type'}", raw_body=body)
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"invalid JSON from Telegram: {exc}", raw_body=body) from None
    if not isinstance(document, dict) or document.get("ok") is not True or not isinstance(document.get("result"), list):
        raise ParseError('Telegram answered 200 without {"ok": true, "result": [...]}', raw_body=body)
    updates = document["result"]
    if not all(isinstance(u, dict) and _is_int(u.get("update_id")) for u in updates):
        raise ParseError("a Telegram update has no integer update_id", raw_body=body)
    return updates


def _refusal(status: int, body: str) -> SourceError:
    """Telegram's error envelope as one of ours (PTB's mapping: retry_after, 401/404 token, 409, 5xx)."""
    try:
        envelope = json.loads(body)
    except ValueError:
        envelope = None
    envelope = envelope if isinstance(envelope, dict) else {}
    description = str(envelope.get("description") or f"HTTP {status}")[:300]
    parameters = envelope.get("parameters") if isinstance(envelope.get("parameters"), dict) else {}
    retry_after = parameters.get("retry_after")
    if isinstance(retry_after, int | float) and not isinstance(retry_after, bool) and retry_after > 0:
        return RateLimited(f"Telegram flood control on getUpdates: {description}", float(retry_after))
    if status == 429:
        return RateLimited(f"Telegram flood control on getUpdates: {description}", DEFAULT_FLOOD_WAIT_SECONDS)
    if status in (401, 404):
        return AuthExpired(f"Telegram refused the bot token ({status} {description}); "
                           "issue a new one with @BotFather and set GCC1111_TELEGRAM__TOKEN")
    if status == 409:
        return SourceError(f"Telegram refused getUpdates (409 {description}). Only one consumer may read a bot's "
                           "updates: a webhook is set or another process is polling. The listen-only source needs "
                           "the webhook deleted (deleteWebhook); when the bot runs, it hands updates over instead")
    if status >= 500:
        return SourceError(f"Telegram server error ({status}) on getUpdates")
    return SourceError(f"Telegram refused getUpdates ({status}): {description}")
