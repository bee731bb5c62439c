"""Telegram Bot API stand-in: the methods the desk's listener, bot and broadcasts use, and a simulated public.

Served at /bot<token>/<method> (GET or POST; query, urlencoded, multipart or JSON parameters), with the real
envelopes and wording (see sandbox/telegram_wire.py): getMe, getUpdates, setWebhook, deleteWebhook,
getWebhookInfo, sendMessage, editMessageText, answerCallbackQuery, sendChatAction, setMyCommands,
getMyCommands, deleteMyCommands. Anything else is "404 Not Found", as the real server answers unknown methods.

Known differences from the real server, all on purpose: long polls wait at most half a second; the
three-second pacing of repeated polls is left out; webhooks may be plain http but only on loopback; updates
are delivered one at a time and retried when poked, not on a timer.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from core.clock import Clock, SystemClock
from sandbox.seed import SeedPost
from sandbox.server import Failure, PlatformServer, Request, Response, json_response, text_response
from sandbox.telegram_methods import LONG_POLL_CAP_SECONDS, BotMethods
from sandbox.telegram_webhook import Deliverer, Delivery, Webhook
from sandbox.telegram_wire import (
    TOKEN_SHAPE,
    BotApiError,
    Chat,
    Person,
    bot_command_entities,
    callback_data_of,
    default_updates,
    error,
    flood_error,
    read_params,
    split_name,
)

BOT_ID = 7111111111
SANDBOX_TOKEN = f"{BOT_ID}:AAH-sandbox_GCC1111-desk-bot-token0"
DUTY_CHAT_ID = -1001111000001
CHANNEL_ID = -1001111000002
CHANNEL_USERNAME = "gcc1111_news"
WEBHOOK_SECRET = "sandbox-telegram-webhook_1111"
FIRST_UPDATE_ID = 811_100_001
UPDATE_LIFETIME_SECONDS = 24 * 3600  # Telegram keeps unconfirmed updates for a day
NGINX_REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}
NGINX_PAGE = ("<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}"
              "</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n")


@dataclass
class _Pending:
    update: dict[str, Any]
    expires: float  # unix seconds on the sandbox clock


@dataclass
class _Slow:
    method: str
    calls_left: int
    delay_seconds: float


def stable_user_id(handle: str) -> int:
    """A user id that stays the same for a handle across runs (seed authors write from the same account)."""
    digest = hashlib.sha256(handle.encode("utf-8")).hexdigest()
    return 5_000_000_000 + int(digest[:12], 16) % 1_000_000_000


class TelegramSandbox(BotMethods, PlatformServer):
    """A Bot API stand-in on loopback with the public, duty group and channel, and failure helpers for tests."""

    name = "telegram"

    def __init__(self, clock: Clock | None = None, *, token: str = SANDBOX_TOKEN) -> None:
        PlatformServer.__init__(self)
        self.clock = clock or SystemClock()
        self.token = token
        self.webhook_secret = WEBHOOK_SECRET
        self.bot = Person(BOT_ID, "ศูนย์ 1111", username="GCC1111DeskBot", is_bot=True)
        self.people: dict[int, Person] = {}
        self.chats: dict[int, Chat] = {}
        self.sent: dict[int, list[dict[str, Any]]] = defaultdict(list)  # what the bot sent, per chat id
        self.edits: list[dict[str, Any]] = []  # each edited message as it became
        self.callback_answers: list[dict[str, Any]] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.commands: list[dict[str, str]] = []
        self.deliveries: list[Delivery] = []  # every webhook POST the stand-in made
        self.group_privacy = True  # in groups the bot sees commands, replies to it and @mentions only
        self.stalled = threading.Event()  # set when a slow() answer starts: a kill -9 test knows when to strike
        self.waiting_poll = threading.Event()  # set while a getUpdates long poll waits for updates
        self.long_poll_cap_seconds = LONG_POLL_CAP_SECONDS  # real seconds; a test may raise it to hold a poll open
        self._messages: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._queue: list[_Pending] = []
        self._next_update_id = FIRST_UPDATE_ID
        self._subscription = default_updates()
        self._webhook: Webhook | None = None
        self._callbacks: dict[str, dict[str, Any]] = {}  # callback queries not yet answered
        self._callback_ids = itertools.count(4_111_000_000_000_000_001)
        self._changed = threading.Condition(self._lock)
        self._long_poll: int | None = None  # the generation of the getUpdates now waiting
        self._poll_generation = 0
        self._aborted: dict[int, str] = {}
        self._release = threading.Event()
        self._slow: _Slow | None = None
        self._revocations = itertools.count(1)
        self._deliverer = Deliverer(self._next_delivery, self._settle_delivery)
        self.chats[DUTY_CHAT_ID] = Chat(DUTY_CHAT_ID, "supergroup", title="เวรประจำการ ศูนย์ 1111 (Duty officers)")
        self.chats[CHANNEL_ID] = Chat(CHANNEL_ID, "channel", title="ข่าวศูนย์บริการข้อมูลภาครัฐ 1111",
                                      username=CHANNEL_USERNAME)
        for verb in ("GET", "POST"):
            self.route(verb, r"/bot(?P<token>[^/]*)/(?P<method>[^/]*)", self._dispatch)

    # --- lifecycle and serving -------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        url = PlatformServer.start(self, host, port)
        self._release.clear()
        self._deliverer.start()
        return url

    def stop(self) -> None:
        self._release.set()  # wake any stalled answer and long poll, so shutdown never waits on them
        with self._changed:
            self._changed.notify_all()
        self._deliverer.stop()
        PlatformServer.stop(self)

    def not_found(self, request: Request) -> Response:
        return error(404, "Not Found")

    def _dispatch(self, request: Request) -> Response:
        token, method = request.match.get("token", ""), request.match.get("method", "").lower()
        if not TOKEN_SHAPE.fullmatch(token):
            return error(404, "Not Found")
        if token != self.token:
            return error(401, "Unauthorized")
        handler = self.methods().get(method)
        if handler is None:
            return error(404, "Not Found")
        try:
            response = handler(read_params(request))
        except BotApiError as exc:
            response = error(exc.code, exc.description, exc.retry_after)
        self._maybe_stall(method)
        return response

    def _maybe_stall(self, method: str) -> None:
        with self._lock:
            slow = self._slow
            if slow is None or slow.method != method:
                return
            if slow.calls_left > 0:
                slow.calls_left -= 1
                return
            self._slow = None
        self.stalled.set()
        self._release.wait(slow.delay_seconds)

    # --- the product's settings -----------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """The GCC1111_TELEGRAM__* settings that point the product at this stand-in."""
        prefix = "GCC1111_TELEGRAM__"
        return {
            prefix + "BASE_URL": f"{self.url}/bot",
            prefix + "TOKEN": self.token,
            prefix + "DUTY_CHAT_ID": str(DUTY_CHAT_ID),
            prefix + "CHANNEL_ID": f"@{CHANNEL_USERNAME}",
            prefix + "WEBHOOK_SECRET": self.webhook_secret,
        }

    @property
    def base_url(self) -> str:
        """What PTB's base_url and GCC1111_TELEGRAM__BASE_URL take: the token is appended to it."""
        return f"{self.url}/bot"

    # --- the simulated public ----------------------------------------------------------------------
    def publish(self, post: SeedPost) -> None:
        """A member of the public writes `post` to the bot now (seed kind "message"), replies as follow-ups."""
        handle = post.handle or post.author or "citizen"
        first, last = split_name(post.author or handle)
        user_id = stable_user_id(handle)
        for text in (post.text, *post.replies):
            self.user_says(user_id, text, username=post.handle, first_name=first, last_name=last)

    def add_user(self, user_id: int, *, first_name: str = "", last_name: str = "", username: str = "",
                 language_code: str = "th", started: bool = True) -> Person:
        """A person with a private chat with the bot; started=False: they never pressed Start."""
        with self._lock:
            person = self._person(user_id, first_name, last_name, username, language_code)
            chat = self.chats.setdefault(user_id, Chat(user_id, "private", person=person, started=started))
            chat.started = chat.started or started
            return person

    def user_says(self, user_id: int, text: str, *, username: str = "", first_name: str = "", last_name: str = "",
                  chat_id: int | None = None, reply_to: int | None = None) -> dict[str, Any] | None:
        """`user_id` sends `text` to the bot (or in group `chat_id`); returns the update, None if not delivered."""
        with self._lock:
            chat, person = self._chat_for(user_id, chat_id, first_name, last_name, username)
            replied = self._messages[chat.id].get(reply_to) if reply_to is not None else None
            message = self._new_message(chat, person, text=text, entities=bot_command_entities(text),
                                        reply_to=replied)
            if chat.type != "private" and not self._bot_sees(message, replied):
                return None
            return self._add_update("message", message)

    def user_sends_photo(self, user_id: int, caption: str = "", *, username: str = "", first_name: str = "",
                         last_name: str = "") -> dict[str, Any] | None:
        """`user_id` sends the bot a photo, with an optional caption."""
        with self._lock:
            chat, person = self._chat_for(user_id, None, first_name, last_name, username)
            message = self._new_message(chat, person, caption=caption)
            return self._add_update("message", message)

    def user_edits(self, user_id: int, message_id: int, text: str, *, chat_id: int | None = None
                   ) -> dict[str, Any] | None:
        """`user_id` edits their earlier message: an edited_message update with edit_date."""
        with self._lock:
            message = self._messages[chat_id if chat_id is not None else user_id].get(message_id)
            if message is None or message.get("from", {}).get("id") != user_id:
                raise ValueError(f"user {user_id} has no message {message_id} there")
            message["text"] = text
            message.pop("entities", None)
            if entities := bot_command_entities(text):
                message["entities"] = entities
            message["edit_date"] = self._now()
            return self._add_update("edited_message", message)

    def user_presses(self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
                     ) -> dict[str, Any] | None:
        """`user_id` presses the inline button carrying `data` on the bot's message: a callback_query update."""
        with self._lock:
            chat = self.chats.get(chat_id if chat_id is not None else user_id)
            message = self._messages[chat.id].get(message_id) if chat is not None else None
            if chat is None or message is None:
                raise ValueError(f"no message {message_id} in chat {chat_id or user_id}")
            if data not in callback_data_of(message):
                raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
            person = self._person(user_id)
            query = {"id": str(next(self._callback_ids)), "from": person.json(), "message": copy.deepcopy(message),
                     "chat_instance": str((chat.id * 2654435761) % 10**19), "data": data}
            self._callbacks[query["id"]] = query
            return self._add_update("callback_query", query)

    def block(self, user_id: int) -> None:
        """The person blocks the bot: sending to them is 403 until they write again."""
        with self._lock:
            self.add_user(user_id)
            self.chats[user_id].blocked = True

    def remove_bot(self, chat_id: int) -> None:
        """The bot is removed from a group or channel: sending there is 403."""
        with self._lock:
            self.chats[chat_id].bot_member = False

    # --- what tests inspect ------------------------------------------------------------------------
    def sent_to(self, chat: int | str) -> list[dict[str, Any]]:
        """Every message the bot sent to `chat` (an id or "@channelname"), as it now reads (after edits)."""
        with self._lock:
            return list(self.sent[self._resolve(str(chat)).id])

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed (polling) or delivered (webhook)."""
        with self._lock:
            self._expire()
            return [copy.deepcopy(p.update) for p in self._queue]

    def deliver_pending(self) -> None:
        """Try the webhook again now (Telegram would retry on its own; the stand-in waits to be told)."""
        with self._lock:
            if self._webhook is not None:
                self._webhook.failed = False
        self._deliverer.poke()

    def wait_webhook_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every deliverable update went to the webhook, or the webhook failed; False on timeout."""
        return self._deliverer.wait_idle(timeout)

    # --- failure helpers -------------------------------------------------------------------------------
    def flood_wait(self, retry_after: int = 7, method: str | None = None, times: int | None = 1) -> None:
        """Answer 429 "Too Many Requests: retry after N" with parameters.retry_after (any method by default)."""
        self.fail(_path(method), Failure(flood_error(retry_after), times=times))

    def revoke_token(self) -> str:
        """BotFather revokes the token: the old one is 401 Unauthorized from now on; returns the new one."""
        with self._lock:
            self.token = f"{BOT_ID}:AAH-sandbox_GCC1111-revoked-{next(self._revocations):05d}"
            return self.token

    def server_error(self, status: int = 500, method: str | None = "getUpdates", times: int | None = 1) -> None:
        """A 5xx: the Bot API's JSON envelope for 500, nginx's HTML page for 502/503/504 (as behind the proxy)."""
        if status in NGINX_REASONS:
            response = text_response(NGINX_PAGE.format(status=status, reason=NGINX_REASONS[status]), status)
        else:
            response = error(status, "Internal Server Error")
        self.fail(_path(method), Failure(response, times=times))

    def malformed(self, kind: str = "invalid_json", method: str | None = "getUpdates", times: int | None = 1) -> None:
        """Answer 200 with a body a client cannot read: html, invalid_json, not_utf8, no_result, bad_update."""
        bodies = {
            "html": text_response("<!DOCTYPE html><html><body><h1>Telegram</h1><p>Loading…</p></body></html>"),
            "invalid_json": Response(200, '{"ok":true,"result":[{"update_id":1,"message":{"text":"ไฟดับ'.encode(),
                                     {"Content-Type": "application/json"}),
            "not_utf8": Response(200, '{"ok":true,"result":[],"x":"ไฟ"}'.encode("tis-620"),
                                 {"Content-Type": "application/json"}),
            "no_result": json_response({"ok": True}, content_type="application/json"),
            "bad_update": json_response({"ok": True, "result": [{"message": {"message_id": 1, "text": "ไม่มี id"}}]},
                                        content_type="application/json"),
        }
        self.fail(_path(method), Failure(bodies[kind], times=times))

    def slow(self, delay_seconds: float, method: str = "getUpdates", after_calls: int = 0) -> None:
        """After `after_calls` more answers to `method`, the next one is worked out, then held back for a while."""
        with self._lock:
            self._slow = _Slow(method.lower(), after_calls, delay_seconds)
        self.stalled.clear()

    # --- internals shared with the methods ----------------------------------------------------------
    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def _person(self, user_id: int, first_name: str = "", last_name: str = "", username: str = "",
                language_code: str = "th") -> Person:
        person = self.people.get(user_id)
        if person is None:
            person = Person(user_id, first_name or f"ผู้ใช้ {user_id % 10_000}", last_name, username, language_code)
            self.people[user_id] = person
        elif first_name or last_name or username:
            person.first_name, person.last_name = first_name or person.first_name, last_name or person.last_name
            person.username = username or person.username
        return person

    def _chat_for(self, user_id: int, chat_id: int | None, first_name: str, last_name: str,
                  username: str) -> tuple[Chat, Person]:
        person = self._person(user_id, first_name, last_name, username)
        if chat_id is None or chat_id == user_id:
            chat = self.chats.setdefault(user_id, Chat(user_id, "private", person=person))
            chat.started, chat.blocked = True, False  # writing to the bot restarts it
            return chat, person
        chat = self.chats.get(chat_id)
        if chat is None or chat.type not in ("group", "supergroup"):
            raise ValueError(f"no group {chat_id} in the sandbox")
        chat.members.add(user_id)
        return chat, person

    def _bot_sees(self, message: dict[str, Any], replied: dict[str, Any] | None) -> bool:
        """Group privacy mode: commands, replies to the bot and @mentions of it reach the bot; chatter does not."""
        if not self.group_privacy:
            return True
        text = message.get("text", "")
        return bool(message.get("entities")) or f"@{self.bot.username}".lower() in text.lower() or (
            replied is not None and replied.get("from", {}).get("id") == self.bot.id)

    def _new_message(self, chat: Chat, sender: Person, *, text: str | None = None,
                     entities: list[dict[str, Any]] | None = None, caption: str | None = None,
                     reply_to: dict[str, Any] | None = None, markup: dict[str, Any] | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {"message_id": next(self._message_ids[chat.id])}
        if chat.type == "channel":
            message["sender_chat"] = chat.json()
        else:
            message["from"] = sender.json()
        message.update(chat=chat.json(), date=self._now())
        if reply_to is not None:
            message["reply_to_message"] = {k: copy.deepcopy(v) for k, v in reply_to.items() if k != "reply_to_message"}
        if caption is not None:
            unique = f"AQAD{chat.id % 10**6:06d}{message['message_id']:04d}"
            message["photo"] = [
                {"file_id": f"AgACAgUAAxkBAAI{unique}-s", "file_unique_id": unique + "s", "file_size": 1311,
                 "width": 90, "height": 67},
                {"file_id": f"AgACAgUAAxkBAAI{unique}-m", "file_unique_id": unique + "m", "file_size": 48215,
                 "width": 800, "height": 600},
            ]
            if caption:
                message["caption"] = caption
        else:
            message["text"] = text or ""
            if entities:
                message["entities"] = entities
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._messages[chat.id][message["message_id"]] = message
        return message

    def _add_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update (unless the bot's allowed_updates leaves it out) and wake its consumer."""
        with self._lock:
            if kind not in self._subscription:
                return None
            update = {"update_id": self._next_update_id, kind: copy.deepcopy(payload)}
            self._next_update_id += 1
            self._queue.append(_Pending(update, self.clock.now().timestamp() + UPDATE_LIFETIME_SECONDS))
            self._changed.notify_all()
            webhook = self._webhook
            if webhook is not None:
                webhook.failed = False
        if webhook is not None:
            self._deliverer.poke()
        return copy.deepcopy(update)

    def _expire(self) -> None:
        now = self.clock.now().timestamp()
        self._queue = [p for p in self._queue if p.expires > now]

    def _resolve(self, target: str) -> Chat:
        """A chat_id argument: a number, or @username for a channel or public supergroup."""
        target = target.strip()
        if not target:
            raise BotApiError(400, "Bad Request: chat_id is empty")
        if target.startswith("@"):
            for chat in self.chats.values():
                if chat.type in ("channel", "supergroup") and chat.username.lower() == target[1:].lower():
                    return chat
            raise BotApiError(400, "Bad Request: chat not found")
        try:
            chat = self.chats.get(int(target))
        except ValueError:
            chat = None
        if chat is None:
            raise BotApiError(400, "Bad Request: chat not found")
        return chat

    def _next_delivery(self) -> tuple[Webhook, dict[str, Any]] | None:
        with self._lock:
            self._expire()
            if self._webhook is None or self._webhook.failed or not self._queue:
                return None
            return self._webhook, copy.deepcopy(self._queue[0].update)

    def _settle_delivery(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)
            if delivery.delivered:
                self._queue = [p for p in self._queue if p.update["update_id"] != delivery.update_id]
            elif self._webhook is not None:
                self._webhook.failed = True
                self._webhook.last_error_date = self._now()
                self._webhook.last_error_message = delivery.error

    # time.monotonic is used only for the real-time cap of a long poll, never for anything a test asserts.
    _monotonic = staticmethod(time.monotonic)


def _path(method: str | None) -> str:
    """The request paths of one Bot API method (any token, any letter case), or of every method."""
    if method is None:
        return r"/bot[^/]*/[^/]*"
    return r"/bot[^/]*/(?i:" + re.escape(method) + ")"
