"""Bot API wire format for the Telegram stand-in: envelopes, request parameters, tokens, users, chats, entities.

Facts follow the official Bot API server (tdlib/telegram-bot-api) and platforms.md section 5: every answer is
`{"ok":true,"result":…}` or `{"ok":false,"error_code":…,"description":…}`; method names are case-insensitive;
parameters arrive in the query string, a urlencoded or multipart form (nested values JSON-encoded) or a JSON body.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qs

from sandbox.server import Request, Response, json_response

# A token is "<bot id>:<35 characters>"; a string of another shape is answered 404, a wrong one 401.
TOKEN_SHAPE = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{20,64}")
SECRET_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+")
MAX_TEXT = 4096  # characters after entity parsing
MAX_CALLBACK_DATA = 64  # bytes
# Update types a bot gets when allowed_updates is empty or was never set (Bot API: all but these three).
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
UPDATE_TYPES = frozenset({
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "message_reaction",
    "message_reaction_count", "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
    "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_member",
    "chat_join_request", "chat_boost", "removed_chat_boost",
})
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})


class BotApiError(Exception):
    """A refusal the handler raises; the stand-in turns it into the Bot API error envelope."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def bad_request(reason: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> BotApiError:
    return BotApiError(403, f"Forbidden: {reason}")


def ok(result: Any, description: str = "") -> Response:
    """The success envelope; setWebhook and friends add a human description beside `result`."""
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return json_response(body, content_type="application/json")


def error(code: int, description: str, retry_after: int | None = None) -> Response:
    """The error envelope, with parameters.retry_after on a flood wait (PTB raises RetryAfter from it)."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return json_response(body, status=code, content_type="application/json")


def flood_error(retry_after: int) -> Response:
    return error(429, f"Too Many Requests: retry after {retry_after}", retry_after)


# --- request parameters --------------------------------------------------------------------------
def read_params(request: Request) -> dict[str, str]:
    """Query string and body together (body wins), every value a string as the real server sees it."""
    merged = dict(request.query)
    content_type = request.headers.get("content-type", "")
    if not request.body:
        return merged
    if content_type.startswith("multipart/form-data"):
        merged.update(_multipart(content_type, request.body))
    elif content_type.startswith("application/json"):
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad_request("can't parse JSON object")
        merged.update({k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in body.items()})
    else:
        pairs = parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        merged.update({name: values[-1] for name, values in pairs.items()})
    return merged


def _multipart(content_type: str, body: bytes) -> dict[str, str]:
    """Form fields of a multipart body; an uploaded file is noted by name only (the stand-in keeps no files)."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        fields[name] = f"attach://{filename}" if filename else data.decode("utf-8", errors="replace")
    return fields


def int_param(params: dict[str, str], name: str, default: int, low: int | None = None,
              high: int | None = None) -> int:
    """An integer argument read as the real server does: unreadable means the default, out of range is clamped."""
    raw = params.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        value = default
    if low is not None:
        value = max(low, value)
    if high is not None:
        value = min(high, value)
    return value


def bool_param(params: dict[str, str], name: str) -> bool:
    return params.get(name, "").strip().lower() in {"true", "1"}


def json_param(params: dict[str, str], name: str, what: str) -> Any:
    """A JSON-encoded argument, or None when absent; unreadable JSON is the real server's 400."""
    raw = params.get(name, "")
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise bad_request(f"can't parse {what} JSON object") from None


def allowed_updates(params: dict[str, str]) -> frozenset[str] | None:
    """The new subscription, or None to keep the previous one (absent or unreadable, as upstream)."""
    raw = params.get("allowed_updates", "")
    if not raw.strip():
        return None
    try:
        names = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    chosen = frozenset(n.lower() for n in names) & UPDATE_TYPES
    return chosen or default_updates()


def default_updates() -> frozenset[str]:
    return UPDATE_TYPES - OPT_IN_UPDATES


# --- users, chats, messages --------------------------------------------------------------------
@dataclass
class Person:
    """A Telegram account the simulated public (or a duty officer, or a coordinator) uses."""

    id: int
    first_name: str
    last_name: str = ""
    username: str = ""
    language_code: str = "th"
    is_bot: bool = False

    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            body["last_name"] = self.last_name
        if self.username:
            body["username"] = self.username
        if self.language_code and not self.is_bot:
            body["language_code"] = self.language_code
        return body


@dataclass
class Chat:
    """A chat the bot knows: a private chat with a person, a group, a supergroup or a channel."""

    id: int
    type: str  # private | group | supergroup | channel
    title: str = ""
    username: str = ""
    person: Person | None = None
    bot_member: bool = True  # False once the bot was removed from a group or channel
    started: bool = True  # private chats: the person pressed Start (else the bot may not write first)
    blocked: bool = False  # private chats: the person blocked the bot
    members: set[int] = field(default_factory=set)

    def json(self) -> dict[str, Any]:
        if self.person is not None:
            body = {k: v for k, v in self.person.json().items() if k in {"id", "first_name", "last_name", "username"}}
            return {**body, "type": "private"}
        body = {"id": self.id, "title": self.title}
        if self.username:
            body["username"] = self.username
        return {**body, "type": self.type}


def split_name(author: str) -> tuple[str, str]:
    """A display name as Telegram's first and last name fields (the first word is the first name)."""
    first, _, last = author.strip().partition(" ")
    return (first or author or "ผู้ใช้"), last.strip()


def utf16_len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units: an emoji outside the BMP counts two."""
    return len(text.encode("utf-16-le")) // 2


def _word_char(char: str) -> bool:
    return char == "_" or unicodedata.category(char)[0] in "LN"


_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")


def bot_command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities Telegram attaches to a user's text (a slash command not glued to a word)."""
    entities = []
    for found in _COMMAND.finditer(text):
        start, end = found.span()
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if (before and (_word_char(before) or before in "/<>")) or (after and (_word_char(after) or after in "/<>@")):
            continue
        entities.append({"offset": utf16_len(text[:start]), "length": utf16_len(found.group()), "type": "bot_command"})
    return entities


def inline_keyboard(markup: Any) -> dict[str, Any]:
    """Check an InlineKeyboardMarkup as the real server does and return it as messages echo it."""
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return markup  # reply keyboards and force_reply: accepted, not echoed on the message
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
            actions = set(button) - {"text"}
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and (not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA):
                raise bad_request("BUTTON_DATA_INVALID")
    return {"inline_keyboard": rows}


def callback_data_of(message: dict[str, Any]) -> set[str]:
    """Every callback_data on a message's inline keyboard: what a person can press there."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {b["callback_data"] for row in rows for b in row if isinstance(b.get("callback_data"), str)}
