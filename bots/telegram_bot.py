"""The public Telegram bot and the coordinators' case desk, as a python-telegram-bot Application.

The public: /start and /help (Thai and English), /status GCC-YYMM-NNNNNN for their own cases, and free text,
which is handed to `on_public_message` (the composition root stores it as a Mention); the normal pipeline
then answers through the outbox. Each person may send a few messages a minute; the first one over gets a
polite notice, the rest silence, and nobody else is slowed down.

Agency coordinators (their chat ids map to an agency) get /cases, /ack, /note and /resolve, and the
buttons on each case message; every action is audited, and resolving tells the citizen once.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bots import telegram_texts as say
from bots.casework import NUMBER, CaseDesk, Outcome
from bots.throttle import UserThrottle, Verdict
from core.agencies import AgencyDirectory
from core.clock import Clock
from core.domain import Case, CaseStatus, Platform
from core.store.cases import CaseStore
from core.store.mentions import MentionStore

log = logging.getLogger("gcc1111.telegram.bot")
Context = ContextTypes.DEFAULT_TYPE
ALLOWED_UPDATES = ["message", "callback_query"]
CASES_SHOWN = 20
CALLBACK = re.compile(r"case:(ack|res):(\d+)")
NOTICE_KEY = re.compile(r"notice:case:(\d+):chat:.*")
PUBLIC_TEXT = (filters.ChatType.PRIVATE & (filters.TEXT | filters.CAPTION) & ~filters.COMMAND
               & filters.UpdateType.MESSAGE)


@dataclass(frozen=True)
class BotServices:
    """What the bot needs from the rest of the desk, built by the composition root."""

    cases: CaseStore
    mentions: MentionStore
    desk: CaseDesk
    agencies: AgencyDirectory
    coordinators: Mapping[str, str]  # Telegram chat id -> agency code (config/agencies.yaml)
    on_public_message: Callable[[dict[str, Any]], object]  # stores a citizen's message (raw Bot API update)
    throttle: UserThrottle
    clock: Clock


def case_buttons(case_id: int, status: CaseStatus) -> dict[str, Any] | None:
    """The inline keyboard a coordinator sees under a case, as Bot API JSON (None when nothing is left to do)."""
    rows: list[list[dict[str, str]]] = []
    if status in (CaseStatus.NEW, CaseStatus.ROUTED):
        rows.append([{"text": say.ACK_BUTTON, "callback_data": f"case:ack:{case_id}"}])
    if status in (CaseStatus.NEW, CaseStatus.ROUTED, CaseStatus.IN_PROGRESS):
        rows.append([{"text": say.RESOLVE_BUTTON, "callback_data": f"case:res:{case_id}"}])
    return {"inline_keyboard": rows} if rows else None


def notice_buttons(key: str) -> dict[str, Any] | None:
    """Buttons for an outbox entry: a new-case notice to a coordinator gets Acknowledge and Resolve."""
    found = NOTICE_KEY.fullmatch(key)
    return case_buttons(int(found.group(1)), CaseStatus.ROUTED) if found else None


def _keyboard(buttons: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    if buttons is None:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
                                 for row in buttons["inline_keyboard"]])


def build_bot(token: str, base_url: str, services: BotServices) -> Application:  # type: ignore[type-arg]
    """The Application with every handler; nothing runs until it is initialised and started."""
    app = ApplicationBuilder().token(token).base_url(base_url).build()
    handlers = _Handlers(services)
    app.add_handler(TypeHandler(Update, handlers.gate), group=-1)
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help))
    app.add_handler(CommandHandler("status", handlers.status))
    app.add_handler(CommandHandler("cases", handlers.cases))
    app.add_handler(CommandHandler("ack", handlers.acknowledge))
    app.add_handler(CommandHandler("resolve", handlers.resolve))
    app.add_handler(CommandHandler("note", handlers.note))
    app.add_handler(CallbackQueryHandler(handlers.button, pattern=CALLBACK.pattern))
    app.add_handler(MessageHandler(PUBLIC_TEXT, handlers.public_text))
    app.add_handler(MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, handlers.unknown))
    app.add_error_handler(handlers.error)
    return app


class _Handlers:
    def __init__(self, services: BotServices) -> None:
        self._s = services

    def _agency(self, update: Update) -> str | None:
        chat = update.effective_chat
        return self._s.coordinators.get(str(chat.id)) if chat is not None else None

    # --- everyone ------------------------------------------------------------------------------------
    async def gate(self, update: Update, context: Context) -> None:
        """Flood control for the public's private chats (coordinators are staff, never throttled)."""
        chat, user, message = update.effective_chat, update.effective_user, update.message
        if chat is None or user is None or message is None or chat.type != "private" or self._agency(update):
            return
        verdict = self._s.throttle.check(user.id)
        if verdict is Verdict.ALLOW:
            return
        if verdict is Verdict.NOTIFY:
            log.info("telegram user %s is over the message limit: notified once, further messages ignored", user.id)
            await message.reply_text(say.THROTTLED)
        raise ApplicationHandlerStop

    async def start(self, update: Update, context: Context) -> None:
        await _answer(update, say.START)

    async def help(self, update: Update, context: Context) -> None:
        await _answer(update, say.HELP + (say.COORDINATOR_HELP if self._agency(update) else ""))

    async def unknown(self, update: Update, context: Context) -> None:
        await _answer(update, say.UNKNOWN_COMMAND)

    async def status(self, update: Update, context: Context) -> None:
        """A citizen's own case: only the person who reported it here sees it; anyone else gets not-found."""
        number = (context.args or [""])[0].strip()
        chat = update.effective_chat
        if not NUMBER.fullmatch(number) or chat is None:
            await _answer(update, say.STATUS_USAGE)
            return
        case = await asyncio.to_thread(self._own_case, number, chat.id)
        await _answer(update, say.citizen_status(case, self._s.agencies) if case else say.STATUS_NOT_FOUND)

    def _own_case(self, number: str, chat_id: int) -> Case | None:
        case = self._s.cases.by_number(number)
        mention = self._s.mentions.get(case.mention_id) if case is not None else None
        if mention is None or mention.platform is not Platform.TELEGRAM:
            return None
        own = mention.thread_id == str(chat_id) or mention.external_id.startswith(f"{chat_id}:")
        return case if own else None

    async def public_text(self, update: Update, context: Context) -> None:
        """A citizen's words go to the pipeline (stored as a Mention); the answer comes through the outbox."""
        if self._agency(update):
            return  # a coordinator's own chat: staff talk, not a citizen's post
        try:
            await asyncio.to_thread(self._s.on_public_message, update.to_dict())
        except Exception:
            log.exception("could not store Telegram update %s", update.update_id)
            await _answer(update, say.TRY_AGAIN)

    # --- coordinators ---------------------------------------------------------------------------------
    async def cases(self, update: Update, context: Context) -> None:
        agency = self._agency(update)
        if agency is None:
            await _answer(update, say.NOT_COORDINATOR)
            return
        found = await asyncio.to_thread(self._s.desk.open_cases, agency)
        if not found:
            await _answer(update, say.NO_OPEN_CASES)
            return
        now = self._s.clock.now()
        shown = found[:CASES_SHOWN]
        more = f" (แสดง {len(shown)} เรื่องที่ครบกำหนดก่อน)" if len(found) > len(shown) else ""
        await _answer(update, f"เรื่องค้างดำเนินการ {len(found)} เรื่อง{more}\nOpen cases: {len(found)}")
        for case in shown:
            assert case.id is not None
            await _answer(update, say.coordinator_line(case, now), _keyboard(case_buttons(case.id, case.status)))

    async def acknowledge(self, update: Update, context: Context) -> None:
        await self._command(update, context, "ack")

    async def resolve(self, update: Update, context: Context) -> None:
        await self._command(update, context, "res")

    async def note(self, update: Update, context: Context) -> None:
        await self._command(update, context, "note")

    async def _command(self, update: Update, context: Context, action: str) -> None:
        agency = self._agency(update)
        if agency is None:
            await _answer(update, say.NOT_COORDINATOR)
            return
        args = context.args or []
        if not args:
            await _answer(update, say.COORDINATOR_HELP.strip())
            return
        outcome = await asyncio.to_thread(self._act, update, agency, action, args[0], " ".join(args[1:]))
        if outcome.done and outcome.case is not None:
            await _answer(update, f"{outcome.case.tracking_number}: {say.STATUS_TH[outcome.case.status]} ✅"
                          if action != "note" else f"{outcome.case.tracking_number}: บันทึกแล้ว ✅")
        else:
            await _answer(update, outcome.problem or say.CASE_NOT_FOUND)

    async def button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        agency = self._agency(update)
        found = CALLBACK.fullmatch(query.data or "") if query is not None else None
        if query is None or found is None:
            return
        if agency is None:
            await query.answer(say.NOT_COORDINATOR, show_alert=True)
            return
        outcome = await asyncio.to_thread(self._act, update, agency, found.group(1), found.group(2), "")
        if not outcome.done or outcome.case is None:
            await query.answer(outcome.problem or say.CASE_NOT_FOUND, show_alert=True)
            return
        case = outcome.case
        assert case.id is not None
        await query.answer(f"{case.tracking_number}: {say.STATUS_TH[case.status]}")
        message = query.message
        if isinstance(message, Message) and message.text:
            who = update.effective_user.full_name if update.effective_user else "ผู้ประสานงาน"
            await message.edit_text(message.text + say.action_note(case, who, self._s.clock.now()),
                                    reply_markup=_keyboard(case_buttons(case.id, case.status)))

    def _act(self, update: Update, agency: str, action: str, reference: str, note: str) -> Outcome:
        case = self._s.desk.find(reference, agency)
        if case is None:
            return Outcome(None, False, say.CASE_NOT_FOUND)
        user, chat = update.effective_user, update.effective_chat
        actor = f"telegram:{user.id}" if user else "telegram"
        detail = {"via": "telegram", "chat": str(chat.id) if chat else "", "name": user.full_name if user else ""}
        if action == "ack":
            return self._s.desk.acknowledge(case, actor, **detail)
        if action == "res":
            return self._s.desk.resolve(case, actor, note, **detail)
        return self._s.desk.add_note(case, actor, note, **detail)

    async def error(self, update: object, context: Context) -> None:
        log.error("Telegram bot handler failed: %s", context.error, exc_info=context.error)


async def _answer(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, reply_markup=markup)


BOT_COMMANDS = [BotCommand("start", "เริ่มต้น / Start"), BotCommand("help", "วิธีใช้ / Help"),
                BotCommand("status", "ติดตามเรื่อง / Case status")]


async def serve_bot(app: Application, *, webhook_url: str = "", secret_token: str = "",  # type: ignore[type-arg]
                    listen: str = "127.0.0.1", port: int = 8443, url_path: str = "telegram") -> None:
    """Run the bot until cancelled: a webhook (PTB checks the secret token) when a URL is set, else polling."""
    await app.initialize()
    await app.start()
    try:
        try:
            await app.bot.set_my_commands(BOT_COMMANDS)
        except TelegramError as exc:
            log.warning("could not set the bot's command list: %s", exc)
        updater = app.updater
        assert updater is not None
        if webhook_url:
            await updater.start_webhook(listen=listen, port=port, url_path=url_path, webhook_url=webhook_url,
                                        secret_token=secret_token or None, allowed_updates=ALLOWED_UPDATES)
        else:
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await asyncio.Event().wait()  # until the runtime cancels this service
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
