"""Telegram: answers in citizens' chats, notices to staff chats, posts in the public channel (Bot API over HTTP).

Plain HTTP with requests, not PTB's Bot: the outbox worker is synchronous and one sendMessage is all it needs.
Telegram cannot list the messages a bot sent, so nothing can be confirmed after a crash (can_confirm=False):
the worker holds such a message for a person instead of guessing. For the same reason an answer that may or
may not have arrived (a timeout after sending, a server error) is recorded as failed with that explanation,
never sent again on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests

from bots.channels.target import parse_target
from bots.channels.text import TELEGRAM_LIMIT, outgoing, utf16_length
from core.domain import Platform
from core.errors import OutcomeUnknown, PublishError
from core.ports import Sent

DEFAULT_TIMEOUT = (5.0, 20.0)
TOKEN_RECHECK_SECONDS = 3600.0
DEFAULT_FLOOD_WAIT = 30.0
UNKNOWN = ("; Telegram cannot show whether it arrived, so it is not sent again automatically: check the chat "
           "and release it from the review list if it is missing")
Markup = Callable[[str], dict[str, Any] | None]  # outbox key -> inline keyboard, for staff notices


class Migrated(PublishError):
    """The group became a supergroup with a new id (nothing was sent)."""

    def __init__(self, message: str, chat_id: str) -> None:
        super().__init__(message)
        self.chat_id = chat_id


class BotApi:
    """The one Bot API method the outbox needs, with Telegram's error envelope turned into PublishError."""

    def __init__(self, base_url: str, token: str, *, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None) -> None:
        base = base_url.replace("{token}", token) if "{token}" in base_url else base_url + token
        self._send_url = f"{base.rstrip('/')}/sendMessage"  # holds the token: never logged or put in errors
        self._timeout = timeout
        self._session = session or requests.Session()

    def __repr__(self) -> str:
        return "BotApi()"

    def send_message(self, chat_id: str, text: str, *, reply_to: int | None = None,
                     markup: dict[str, Any] | None = None) -> dict[str, Any]:
        form: dict[str, str] = {"chat_id": chat_id, "text": text}
        if reply_to is not None:
            # The citizen may have deleted their message meanwhile: answer anyway, just without the quote.
            form["reply_parameters"] = json.dumps({"message_id": reply_to, "allow_sending_without_reply": True})
        if markup is not None:
            form["reply_markup"] = json.dumps(markup, ensure_ascii=False)
        try:
            response = self._session.post(self._send_url, data=form, timeout=self._timeout)
        except (requests.ConnectTimeout, requests.exceptions.SSLError) as exc:
            raise PublishError(f"Telegram unreachable ({type(exc).__name__})") from None
        except requests.ConnectionError as exc:
            if "NewConnectionError" in repr(exc.args[0] if exc.args else None):
                raise PublishError("Telegram unreachable (connection refused)") from None
            raise OutcomeUnknown("the connection to Telegram broke after sending" + UNKNOWN) from None
        except requests.Timeout:
            raise OutcomeUnknown("Telegram did not answer in time" + UNKNOWN) from None
        except requests.RequestException as exc:
            raise OutcomeUnknown(f"Telegram request failed ({type(exc).__name__})" + UNKNOWN) from None
        return _result(response)


def _result(response: requests.Response) -> dict[str, Any]:
    try:
        envelope = response.json()
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        if response.status_code >= 500:
            raise OutcomeUnknown(f"Telegram server error ({response.status_code})" + UNKNOWN)
        raise PublishError(f"Telegram answered HTTP {response.status_code} without its JSON envelope")
    if envelope.get("ok") is True and isinstance(envelope.get("result"), dict):
        return envelope["result"]
    raise refusal(response.status_code, envelope)


def refusal(status: int, envelope: dict[str, Any]) -> PublishError:
    """Telegram's error envelope as one of ours (PTB's mapping: retry_after, migration, 403, 401/404, 400)."""
    description = str(envelope.get("description") or f"HTTP {status}")[:300]
    code = envelope.get("error_code", status)
    parameters = envelope.get("parameters") if isinstance(envelope.get("parameters"), dict) else {}
    retry_after = parameters.get("retry_after")
    if isinstance(retry_after, int | float) and not isinstance(retry_after, bool) and retry_after > 0:
        return PublishError(f"Telegram flood control: {description}", retry_after=float(retry_after))
    if parameters.get("migrate_to_chat_id") is not None:
        return Migrated(f"Telegram: {description}", str(parameters["migrate_to_chat_id"]))
    if code == 429:
        return PublishError(f"Telegram flood control: {description}", retry_after=DEFAULT_FLOOD_WAIT)
    if code == 403:  # blocked by the user, kicked from the group, never started, deactivated
        return PublishError(f"Telegram refused: {description}", permanent=True)
    if code in (401, 404):
        return PublishError(f"Telegram refused the bot token ({code}); issue a new one with @BotFather and set "
                            "GCC1111_TELEGRAM__TOKEN", retry_after=TOKEN_RECHECK_SECONDS)
    if code == 400:  # chat not found, bad text: sending the same again cannot work
        return PublishError(f"Telegram refused: {description}", permanent=True)
    if isinstance(code, int) and code >= 500:
        return OutcomeUnknown(f"Telegram server error ({description})" + UNKNOWN)
    return PublishError(f"Telegram refused ({code}): {description}")


def parse_chat(target: str) -> tuple[str, int | None]:
    """ "chat:<chat id>[:<message id>]" as (chat id, message id or None)."""
    _, rest = parse_target(target, ("chat",))
    chat, _, message = rest.partition(":")
    if not chat or (message and not message.isdigit()):
        raise PublishError(f"cannot deliver to target {target!r}: expected chat:<chat id>[:<message id>]",
                           permanent=True)
    return chat, int(message) if message else None


class TelegramReplier:
    """Implements core.ports.Replier for "chat:<chat_id>[:<message_id>]" targets."""

    platform = Platform.TELEGRAM
    can_confirm = False

    def __init__(self, api: BotApi, markup_for: Markup | None = None) -> None:
        self._api = api
        self._markup_for = markup_for

    def reply(self, target: str, text: str, key: str) -> Sent:
        chat, message = parse_chat(target)
        body = outgoing(text, TELEGRAM_LIMIT, utf16_length)
        markup = self._markup_for(key) if self._markup_for is not None else None
        try:
            sent = self._api.send_message(chat, body, reply_to=message, markup=markup)
        except Migrated as moved:  # nothing was sent: the new supergroup id is safe to use at once
            sent = self._api.send_message(moved.chat_id, body, markup=markup)
        return Sent(f"{sent.get('chat', {}).get('id', chat)}:{sent.get('message_id', '')}")

    def find_sent(self, target: str, key: str, text: str) -> Sent | None:
        raise PublishError("Telegram cannot list the messages a bot sent: a person checks the chat")


class TelegramPoster:
    """Implements core.ports.Poster: a message in the public channel (an id or "@username")."""

    platform = Platform.TELEGRAM
    can_confirm = False  # find_posted cannot answer: after a crash a person checks the channel

    def __init__(self, api: BotApi, channel_id: str) -> None:
        self._api = api
        self._channel = channel_id

    def post(self, text: str, key: str) -> Sent:
        sent = self._api.send_message(self._channel, outgoing(text, TELEGRAM_LIMIT, utf16_length))
        message_id = str(sent.get("message_id", ""))
        chat = sent.get("chat") if isinstance(sent.get("chat"), dict) else {}
        username = str(chat.get("username") or (self._channel[1:] if self._channel.startswith("@") else ""))
        return Sent(message_id, f"https://t.me/{username}/{message_id}" if username else "")

    def find_posted(self, key: str, text: str) -> Sent | None:
        raise PublishError("Telegram cannot list a channel's messages: a person checks the channel")
