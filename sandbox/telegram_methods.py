"""The Bot API methods of the Telegram stand-in, as a mixin over TelegramSandbox's state.

Each method takes the request's parameters (all strings, as the real server reads them) and returns the
success envelope, or raises BotApiError with the real server's code and wording.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.server import Response
from sandbox.telegram_markup import parse_text
from sandbox.telegram_webhook import Webhook, loopback_url
from sandbox.telegram_wire import (
    CHAT_ACTIONS,
    MAX_TEXT,
    SECRET_TOKEN_SHAPE,
    BotApiError,
    Chat,
    Person,
    allowed_updates,
    bad_request,
    bool_param,
    default_updates,
    forbidden,
    inline_keyboard,
    int_param,
    json_param,
    ok,
)

if TYPE_CHECKING:
    from sandbox.telegram import _Pending
    from sandbox.telegram_webhook import Deliverer

Params = dict[str, str]
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly the same as "
                "a current content and reply markup of the message")
OTHER_POLLER = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
WEBHOOK_ACTIVE = ("Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
                  "webhook first")
MAX_POLL_TIMEOUT = 50
LONG_POLL_CAP_SECONDS = 0.5  # by default a long poll with nothing to return answers [] after at most this long


class BotMethods:
    """sendMessage and friends; TelegramSandbox supplies the state and the helpers named below."""

    # State and helpers of TelegramSandbox, declared so the methods read plainly.
    bot: Person
    chats: dict[int, Chat]
    sent: dict[int, list[dict[str, Any]]]
    edits: list[dict[str, Any]]
    callback_answers: list[dict[str, Any]]
    chat_actions: list[tuple[int, str]]
    commands: list[dict[str, str]]
    _lock: threading.RLock
    _changed: threading.Condition
    _release: threading.Event
    _messages: dict[int, dict[int, dict[str, Any]]]
    _queue: list[_Pending]
    _next_update_id: int
    _subscription: frozenset[str]
    _webhook: Webhook | None
    _callbacks: dict[str, dict[str, Any]]
    _long_poll: int | None
    _poll_generation: int
    _aborted: dict[int, str]
    _deliverer: Deliverer
    _resolve: Callable[[str], Chat]
    _new_message: Callable[..., dict[str, Any]]
    _expire: Callable[[], None]
    _now: Callable[[], int]
    _monotonic: Callable[[], float]
    long_poll_cap_seconds: float
    waiting_poll: threading.Event

    def methods(self) -> dict[str, Callable[[Params], Response]]:
        """Lower-case method name → handler (the real server matches method names case-insensitively)."""
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "answercallbackquery": self._answer_callback_query,
            "sendchataction": self._send_chat_action,
            "setmycommands": self._set_my_commands,
            "getmycommands": lambda params: ok(copy.deepcopy(self.commands)),
            "deletemycommands": self._delete_my_commands,
        }

    def _get_me(self, params: Params) -> Response:
        return ok({**self.bot.json(), "can_join_groups": True, "can_read_all_group_messages": False,
                   "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False})

    # --- updates ------------------------------------------------------------------------------------
    def _get_updates(self, params: Params) -> Response:
        """Confirm updates below `offset`, return up to `limit`; wait briefly for new ones when `timeout` > 0."""
        limit = int_param(params, "limit", 100, 1, 100)
        timeout = int_param(params, "timeout", 0, 0, MAX_POLL_TIMEOUT)
        with self._changed:
            if self._webhook is not None:
                raise BotApiError(409, WEBHOOK_ACTIVE)
            self._subscription = allowed_updates(params) or self._subscription
            self._abort_long_poll(OTHER_POLLER)
            self._poll_generation += 1
            generation = self._poll_generation
            self._confirm(int_param(params, "offset", 0))
            batch = self._queue[:limit]
            deadline = self._monotonic() + min(timeout, self.long_poll_cap_seconds)
            self._long_poll = generation
            try:
                while not batch and not self._release.is_set():
                    remaining = deadline - self._monotonic()
                    if remaining <= 0:
                        break
                    self.waiting_poll.set()
                    self._changed.wait(remaining)
                    if generation in self._aborted:
                        raise BotApiError(409, self._aborted.pop(generation))
                    self._expire()
                    batch = self._queue[:limit]
            finally:
                if self._long_poll == generation:
                    self._long_poll = None
                    self.waiting_poll.clear()
            return ok([copy.deepcopy(p.update) for p in batch])

    def _confirm(self, offset: int) -> None:
        """Forget confirmed updates as the real server does: below a positive offset, or all but the last -offset."""
        self._expire()
        if offset < 0:
            self._queue = self._queue[offset:]
        elif 0 < offset <= self._next_update_id:
            self._queue = [p for p in self._queue if p.update["update_id"] >= offset]
        # An offset beyond the newest update is "in the future": upstream reads from the head and forgets nothing.

    def _abort_long_poll(self, reason: str) -> None:
        if self._long_poll is not None:
            self._aborted[self._long_poll] = reason
            self._long_poll = None
            self.waiting_poll.clear()
            self._changed.notify_all()

    def _set_webhook(self, params: Params) -> Response:
        url = params.get("url", "").strip()
        if not url:
            return self._delete_webhook(params)
        secret = params.get("secret_token", "")
        if len(secret) > 256:
            raise bad_request("secret token is too long")
        if secret and not SECRET_TOKEN_SHAPE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        if not loopback_url(url):
            raise bad_request("bad webhook: the sandbox delivers only to http(s) URLs on loopback addresses")
        max_connections = int_param(params, "max_connections", 40, 1, 100)
        drop = bool_param(params, "drop_pending_updates")
        subscription = allowed_updates(params) or self._subscription
        with self._lock:
            current = self._webhook
            if (current is not None and (current.url, current.secret_token, current.max_connections) ==
                    (url, secret, max_connections) and not drop and subscription == self._subscription):
                return ok(True, "Webhook is already set")
            self._abort_long_poll("Conflict: terminated by setWebhook request")
            if drop:
                self._queue.clear()
            self._subscription = subscription
            self._webhook = Webhook(url, secret, max_connections)
        self._deliverer.poke()
        return ok(True, "Webhook was set")

    def _delete_webhook(self, params: Params) -> Response:
        with self._lock:
            if bool_param(params, "drop_pending_updates"):
                self._queue.clear()
            had = self._webhook is not None
            self._webhook = None
        return ok(True, "Webhook was deleted" if had else "Webhook is already deleted")

    def _get_webhook_info(self, params: Params) -> Response:
        with self._lock:
            self._expire()
            webhook = self._webhook
            info: dict[str, Any] = {"url": webhook.url if webhook else "", "has_custom_certificate": False,
                                    "pending_update_count": len(self._queue)}
            if webhook is not None:
                info.update(max_connections=webhook.max_connections, ip_address=webhook.ip_address)
                if webhook.last_error_date is not None:
                    info.update(last_error_date=webhook.last_error_date,
                                last_error_message=webhook.last_error_message)
            if self._subscription != default_updates():
                info["allowed_updates"] = sorted(self._subscription)
            return ok(info)

    # --- messages ------------------------------------------------------------------------------------
    def _writable_chat(self, params: Params) -> Chat:
        """The chat_id's chat, if the bot may write there now (else the real 400/403)."""
        chat = self._resolve(params.get("chat_id", ""))
        if chat.type == "private":
            if chat.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif not chat.bot_member:
            raise forbidden("bot is not a member of the channel chat" if chat.type == "channel"
                            else f"bot was kicked from the {chat.type} chat")
        return chat

    def _formatted(self, params: Params) -> tuple[str, list[dict[str, Any]]]:
        raw = params.get("text", "")
        if not raw.strip():
            raise bad_request("message text is empty")
        text, entities = parse_text(raw, params.get("parse_mode", ""))
        if not params.get("parse_mode", "").strip():
            given = json_param(params, "entities", "message entities")
            entities = given if isinstance(given, list) else []
        if not text.strip():
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT:
            raise bad_request("message is too long")
        return text, entities

    def _markup(self, params: Params) -> dict[str, Any] | None:
        markup = json_param(params, "reply_markup", "reply keyboard markup")
        return None if markup is None else inline_keyboard(markup)

    def _replied(self, params: Params, chat: Chat) -> dict[str, Any] | None:
        """The message a reply_parameters / reply_to_message_id names, or the real 400 when it is not there."""
        reply = json_param(params, "reply_parameters", "reply parameters")
        if isinstance(reply, dict):
            message_id, allow = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = int_param(params, "reply_to_message_id", 0) or None
            allow = bool_param(params, "allow_sending_without_reply")
        if not isinstance(message_id, int) or message_id <= 0:
            return None
        found = self._messages[chat.id].get(message_id)
        if found is None and not allow:
            raise bad_request("message to be replied not found")
        return found

    def _send_message(self, params: Params) -> Response:
        with self._lock:
            chat = self._writable_chat(params)
            text, entities = self._formatted(params)
            markup = self._markup(params)
            replied = self._replied(params, chat)
            message = self._new_message(chat, self.bot, text=text, entities=entities, reply_to=replied, markup=markup)
            self.sent[chat.id].append(message)
            return ok(copy.deepcopy(message))

    def _edit_message_text(self, params: Params) -> Response:
        with self._lock:
            if params.get("inline_message_id"):
                raise bad_request("MESSAGE_ID_INVALID")
            chat = self._writable_chat(params)
            message = self._messages[chat.id].get(int_param(params, "message_id", 0))
            if message is None:
                raise bad_request("message to edit not found")
            if message.get("from", {}).get("id", self.bot.id) != self.bot.id:
                raise bad_request("message can't be edited")
            if "text" not in message:
                raise bad_request("there is no text in the message to edit")
            text, entities = self._formatted(params)
            markup = self._markup(params)
            keyboard = markup if markup is not None and "inline_keyboard" in markup else None
            if (text, entities, keyboard) == (message["text"], message.get("entities", []),
                                              message.get("reply_markup")):
                raise bad_request(NOT_MODIFIED)
            message["text"] = text
            message.pop("entities", None)
            message.pop("reply_markup", None)  # an edit without reply_markup removes the inline keyboard
            if entities:
                message["entities"] = entities
            if keyboard is not None:
                message["reply_markup"] = keyboard
            message["edit_date"] = self._now()
            self.edits.append(copy.deepcopy(message))
            return ok(copy.deepcopy(message))

    def _answer_callback_query(self, params: Params) -> Response:
        with self._lock:
            query = self._callbacks.pop(params.get("callback_query_id", ""), None)
            if query is None:
                raise bad_request("query is too old and response timeout expired or query ID is invalid")
            self.callback_answers.append({
                "callback_query_id": query["id"], "user_id": query["from"]["id"], "data": query.get("data", ""),
                "text": params.get("text", ""), "show_alert": bool_param(params, "show_alert"),
                "url": params.get("url", ""),
            })
            return ok(True)

    def _send_chat_action(self, params: Params) -> Response:
        with self._lock:
            chat = self._writable_chat(params)
            action = params.get("action", "").strip().lower()
            if action not in CHAT_ACTIONS:
                raise bad_request("wrong parameter action in request")
            self.chat_actions.append((chat.id, action))
            return ok(True)

    def _set_my_commands(self, params: Params) -> Response:
        commands = json_param(params, "commands", "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            description = command.get("description") if isinstance(command, dict) else None
            if not isinstance(name, str) or not 1 <= len(name.lstrip("/")) <= 32:
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("command description must be non-empty")
        with self._lock:
            self.commands = [{"command": c["command"].lstrip("/").lower(), "description": c["description"]}
                             for c in commands]
        return ok(True)

    def _delete_my_commands(self, params: Params) -> Response:
        with self._lock:
            self.commands = []
        return ok(True)
