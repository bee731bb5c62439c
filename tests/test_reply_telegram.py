"""The Telegram replier and poster over real HTTP against the Bot API stand-in, every error mapping made to happen."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bots.channels import BotApi, TelegramPoster, TelegramReplier
from bots.channels.text import TELEGRAM_LIMIT, utf16_length
from bots.dispatch import Dispatcher
from bots.telegram_bot import notice_buttons
from core.clock import ManualClock
from core.domain import Platform, Reply, ReplyKind, ReplyStatus
from core.errors import PublishError
from core.store import Store
from sandbox.server import Failure, Response
from sandbox.telegram import CHANNEL_USERNAME, DUTY_CHAT_ID, TelegramSandbox

CITIZEN = 6_400_000_001


@pytest.fixture
def tg(clock: ManualClock) -> Iterator[TelegramSandbox]:
    sandbox = TelegramSandbox(clock)
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def replier(tg: TelegramSandbox) -> TelegramReplier:
    return TelegramReplier(BotApi(tg.base_url, tg.token, timeout=(2.0, 0.5)), markup_for=notice_buttons)


def asked(tg: TelegramSandbox, user: int = CITIZEN) -> str:
    update = tg.user_says(user, "บัตรประชาชนหายทำไง")
    assert update is not None
    return f"chat:{user}:{update['message']['message_id']}"


def refusal(replier: TelegramReplier, target: str, key: str = "answer:mention:1") -> PublishError:
    with pytest.raises(PublishError) as refused:
        replier.reply(target, "คำตอบ", key)
    return refused.value


def test_an_answer_quotes_the_citizens_message(tg: TelegramSandbox, replier: TelegramReplier) -> None:
    target = asked(tg)
    sent = replier.reply(target, "คำตอบ 📄 โทร 1111", "answer:mention:1")
    (message,) = tg.sent_to(CITIZEN)
    assert sent.platform_id == f"{CITIZEN}:{message['message_id']}"
    assert message["reply_to_message"]["message_id"] == int(target.rsplit(":", 1)[1])
    assert message["text"] == "คำตอบ 📄 โทร 1111" and "reply_markup" not in message
    assert replier.can_confirm is False


def test_a_deleted_question_is_still_answered_without_the_quote(tg: TelegramSandbox,
                                                               replier: TelegramReplier) -> None:
    asked(tg)
    replier.reply(f"chat:{CITIZEN}:999", "คำตอบ", "answer:mention:1")
    (message,) = tg.sent_to(CITIZEN)
    assert "reply_to_message" not in message


def test_coordinator_notices_carry_the_case_buttons(tg: TelegramSandbox, replier: TelegramReplier) -> None:
    tg.add_user(CITIZEN)
    replier.reply(f"chat:{CITIZEN}", "เรื่องใหม่", f"notice:case:7:chat:{CITIZEN}")
    (message,) = tg.sent_to(CITIZEN)
    data = [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert data == ["case:ack:7", "case:res:7"]


def test_a_long_text_is_trimmed_to_telegrams_limit(tg: TelegramSandbox, replier: TelegramReplier) -> None:
    target = asked(tg)
    replier.reply(target, "ข้อมูล 🙏 " * 600 + "\nโทร 1111", "answer:mention:1")
    (message,) = tg.sent_to(CITIZEN)
    assert utf16_length(message["text"]) <= TELEGRAM_LIMIT and message["text"].endswith("…\nโทร 1111")


def test_flood_control_waits_as_long_as_telegram_says(tg: TelegramSandbox, replier: TelegramReplier) -> None:
    target = asked(tg)
    tg.flood_wait(retry_after=17, method="sendMessage")
    refused = refusal(replier, target)
    assert (refused.permanent, refused.retry_after) == (False, 17.0)


def test_a_blocked_bot_is_refused_for_good(tg: TelegramSandbox, replier: TelegramReplier) -> None:
    target = asked(tg)
    tg.block(CITIZEN)
    refused = refusal(replier, target)
    assert refused.permanent and "blocked by the user" in str(refused)


def test_an_unknown_chat_and_a_kicked_bot_are_refused_for_good(tg: TelegramSandbox,
                                                               replier: TelegramReplier) -> None:
    assert "chat not found" in str(refusal(replier, "chat:123456789"))
    tg.remove_bot(DUTY_CHAT_ID)
    kicked = refusal(replier, f"chat:{DUTY_CHAT_ID}", "alert:mention:1")
    assert kicked.permanent and "kicked" in str(kicked)


def test_a_revoked_token_is_retried_hourly(tg: TelegramSandbox, replier: TelegramReplier) -> None:
    target = asked(tg)
    tg.revoke_token()
    refused = refusal(replier, target)
    assert (refused.permanent, refused.retry_after) == (False, 3600) and "BotFather" in str(refused)


@pytest.mark.parametrize("status", [500, 502])
def test_a_server_error_is_never_resent_blindly(tg: TelegramSandbox, replier: TelegramReplier, status: int) -> None:
    target = asked(tg)
    tg.server_error(status, method="sendMessage")
    refused = refusal(replier, target)
    assert refused.permanent and "cannot show whether it arrived" in str(refused)


def test_a_timeout_after_sending_is_never_resent_blindly(tg: TelegramSandbox, replier: TelegramReplier) -> None:
    target = asked(tg)
    tg.slow(5.0, method="sendMessage")
    refused = refusal(replier, target)
    assert refused.permanent and "did not answer in time" in str(refused)
    assert len(tg.sent_to(CITIZEN)) == 1  # it did arrive: a person sees that before releasing anything


def test_a_group_that_became_a_supergroup_is_followed_once(tg: TelegramSandbox, replier: TelegramReplier) -> None:
    moved = {"ok": False, "error_code": 400, "description": "Bad Request: group chat was upgraded to a supergroup chat",
             "parameters": {"migrate_to_chat_id": DUTY_CHAT_ID}}
    body = json.dumps(moved).encode()
    tg.fail(r"/bot[^/]*/sendMessage", Failure(Response(400, body, {"Content-Type": "application/json"})))
    sent = replier.reply("chat:-4001", "🚨 เหตุด่วน", "alert:mention:1")
    assert sent.platform_id.startswith(f"{DUTY_CHAT_ID}:") and len(tg.sent_to(DUTY_CHAT_ID)) == 1


def test_the_poster_writes_in_the_public_channel(tg: TelegramSandbox) -> None:
    poster = TelegramPoster(BotApi(tg.base_url, tg.token), f"@{CHANNEL_USERNAME}")
    sent = poster.post("ประกาศ: ฝนตกหนักภาคเหนือ", "broadcast:1")
    (message,) = tg.sent_to(f"@{CHANNEL_USERNAME}")
    assert sent.url == f"https://t.me/{CHANNEL_USERNAME}/{message['message_id']}"
    with pytest.raises(PublishError):
        poster.find_posted("broadcast:1", "ประกาศ")  # Telegram cannot list a channel: a person checks


def test_the_outbox_holds_a_reply_whose_delivery_cannot_be_known_for_a_person(
        tg: TelegramSandbox, replier: TelegramReplier, sqlite_store: Store, clock: ManualClock) -> None:
    target = asked(tg)
    sqlite_store.outbox.enqueue(Reply(key="answer:mention:1", kind=ReplyKind.ANSWER, platform=Platform.TELEGRAM,
                                      target=target, text="คำตอบ", status=ReplyStatus.PENDING, created_at=clock.now()))
    tg.slow(5.0, method="sendMessage")
    work = Dispatcher(sqlite_store.outbox, {Platform.TELEGRAM: replier}, clock, paces={})

    work.run_once()
    clock.advance(hours=1)
    work.run_once()

    held = sqlite_store.outbox.by_key("answer:mention:1")
    assert held is not None and held.status is ReplyStatus.REVIEW and "check the chat" in held.error
    assert held.attempts == 1 and len(tg.sent_to(CITIZEN)) == 1  # it did arrive once; nothing resent
