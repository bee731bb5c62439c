"""Telegram inbound: the real TelegramSource over HTTP against the stand-in, through the listener into SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from telegram_support import CITIZEN, call, get_updates_params, listen, started_sandbox

from config.settings import load_settings
from config.sources_telegram import telegram_sources
from core.clock import ManualClock
from core.domain import Platform
from core.store import Store
from sandbox.seed import SeedPost, for_platform, load_seed
from sandbox.telegram import DUTY_CHAT_ID, TelegramSandbox, stable_user_id
from scrapers.telegram import TelegramSource


@pytest.fixture
def tg(clock: ManualClock) -> Iterator[TelegramSandbox]:
    with started_sandbox(clock) as sandbox:
        yield sandbox


def texts(store: Store) -> list[str]:
    return [m.text for m in store.mentions.iterate()]


def test_messages_are_stored_once_with_the_offset_cursor_and_confirmed_on_the_next_poll(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    first = tg.user_says(CITIZEN, "น้ำประปาไม่ไหลสามวันแล้วครับ", username="somchai_j", first_name="สมชาย",
                         last_name="ใจดี")
    clock.advance(seconds=30)
    last = tg.user_says(CITIZEN + 1, "ขอสอบถามเรื่องบัตรสวัสดิการแห่งรัฐค่ะ", first_name="มาลี")
    assert first is not None and last is not None
    listener, source = listen(sqlite_store, clock, tg)

    stored = listener.poll(source)
    cursor = sqlite_store.mentions.cursor("telegram")
    unconfirmed = [u["update_id"] for u in tg.pending_updates()]
    again = listener.poll(source)

    assert (stored.stored, stored.error, again.stored) == (2, "", 0)
    assert cursor == {"offset": last["update_id"] + 1}
    # Stored but not yet confirmed: Telegram forgets them only when the next call sends the offset.
    assert unconfirmed == [first["update_id"], last["update_id"]]
    assert [p.get("offset") for p in get_updates_params(tg)] == [None, str(last["update_id"] + 1)]
    assert tg.pending_updates() == []
    mention = sqlite_store.mentions.find(Platform.TELEGRAM, f"{CITIZEN}:{first['message']['message_id']}")
    assert mention is not None
    assert (mention.thread_id, mention.author_handle, mention.author_name, mention.url, mention.source) == (
        str(CITIZEN), "somchai_j", "สมชาย ใจดี", "", "telegram")
    assert mention.posted_at == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert mention.raw == first
    other = sqlite_store.mentions.find(Platform.TELEGRAM, f"{CITIZEN + 1}:1")
    assert other is not None and other.author_handle == str(CITIZEN + 1)


def test_many_updates_are_read_in_pages_each_stored_with_its_own_offset(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    updates = [tg.user_says(CITIZEN + n, f"แจ้งเหตุไฟดับ หมู่ {n}") for n in range(7)]
    listener, source = listen(sqlite_store, clock, tg, limit=3)

    result = listener.poll(source)

    ids = [u["update_id"] for u in updates if u is not None]
    assert (result.stored, result.pages) == (7, 3)
    assert [p.get("offset") for p in get_updates_params(tg)] == [None, str(ids[2] + 1), str(ids[5] + 1)]
    assert sqlite_store.mentions.cursor("telegram") == {"offset": ids[-1] + 1}


def test_commands_button_presses_and_group_chatter_are_skipped_but_confirmed(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    tg.user_says(CITIZEN, "/start")
    tg.user_says(CITIZEN, "/status@GCC1111DeskBot")
    sent = call(tg, "sendMessage", chat_id=CITIZEN, text="ต้องการติดตามเรื่องไหมคะ",
                reply_markup='{"inline_keyboard": [[{"text": "ติดตาม", "callback_data": "track:1"}]]}')
    tg.user_presses(CITIZEN, sent["result"]["message_id"], "track:1")
    tg.user_says(9_000_001, "/ack@GCC1111DeskBot รับทราบ", chat_id=DUTY_CHAT_ID)
    citizen = tg.user_says(CITIZEN, "ถนนหน้าบ้านเป็นหลุมใหญ่ รถล้มไปสองคันแล้ว")
    listener, source = listen(sqlite_store, clock, tg)

    result = listener.poll(source)

    assert citizen is not None and result.stored == 1
    assert texts(sqlite_store) == ["ถนนหน้าบ้านเป็นหลุมใหญ่ รถล้มไปสองคันแล้ว"]
    assert sqlite_store.mentions.cursor("telegram") == {"offset": citizen["update_id"] + 1}


def test_an_edit_is_read_as_a_mention_once_and_never_duplicates_the_original(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    original = tg.user_says(CITIZEN, "ไฟดับทั้งซอย")
    command = tg.user_says(CITIZEN + 1, "/status")
    assert original is not None and command is not None
    listener, source = listen(sqlite_store, clock, tg)
    listener.poll(source)
    clock.advance(minutes=2)
    tg.user_edits(CITIZEN, original["message"]["message_id"], "ไฟดับทั้งซอย ตั้งแต่สองทุ่ม")
    # A command edited into words is something the public wrote: it becomes a mention then.
    tg.user_edits(CITIZEN + 1, command["message"]["message_id"], "ขอเบอร์ติดต่อการไฟฟ้าส่วนภูมิภาคค่ะ")

    result = listener.poll(source)

    assert result.stored == 1
    assert texts(sqlite_store) == ["ไฟดับทั้งซอย", "ขอเบอร์ติดต่อการไฟฟ้าส่วนภูมิภาคค่ะ"]
    edited = sqlite_store.mentions.find(Platform.TELEGRAM, f"{CITIZEN + 1}:1")
    assert edited is not None and "edited_message" in edited.raw


def test_a_photo_caption_is_a_mention_and_a_bare_photo_is_not(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    tg.user_sends_photo(CITIZEN, "รูปท่อแตกหน้าโรงเรียนครับ")
    tg.user_sends_photo(CITIZEN + 1)
    listener, source = listen(sqlite_store, clock, tg)

    result = listener.poll(source)

    assert result.stored == 1 and texts(sqlite_store) == ["รูปท่อแตกหน้าโรงเรียนครับ"]


def test_hostile_and_mixed_script_seed_text_is_stored_verbatim(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    hostile = [p for p in for_platform(load_seed(), "telegram") if p.hostile]
    extra = SeedPost("telegram", "message", "Robert'); DROP TABLE", "bobby_tables",
                     "<script>alert('1111')</script>\u202e'; DROP TABLE mentions;-- ไฟดับ")
    for post in [*hostile, extra]:
        tg.publish(post)
    listener, source = listen(sqlite_store, clock, tg)

    result = listener.poll(source)

    assert result.stored == len(hostile) + 1
    assert texts(sqlite_store) == [p.text for p in [*hostile, extra]]
    bobby = sqlite_store.mentions.find(Platform.TELEGRAM, f"{stable_user_id('bobby_tables')}:1")
    assert bobby is not None and (bobby.author_handle, bobby.author_name) == ("bobby_tables", "Robert'); DROP TABLE")


def test_the_whole_telegram_seed_is_listened_to(tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    posts = for_platform(load_seed(), "telegram")
    for post in posts:
        tg.publish(post)
    listener, source = listen(sqlite_store, clock, tg)

    result = listener.poll(source)

    assert (result.stored, result.error) == (len(posts), "")
    assert sorted(texts(sqlite_store)) == sorted(p.text for p in posts)


def test_config_builds_the_source_from_the_sandbox_settings(
        tg: TelegramSandbox, sqlite_store: Store, clock: ManualClock) -> None:
    tg.user_says(CITIZEN, "ขอบคุณที่ช่วยประสานครับ")
    settings = load_settings(tg.env())
    sources = telegram_sources(settings, clock)
    with_webhook = load_settings({**tg.env(), "GCC1111_TELEGRAM__WEBHOOK_URL": "https://desk.example/tg"})

    assert [(s.name, type(s)) for s in sources] == [("telegram", TelegramSource)]
    assert telegram_sources(load_settings({}), clock) == []
    assert telegram_sources(with_webhook, clock) == []
    assert tg.token not in repr(sources[0])
    result = listen(sqlite_store, clock, tg)[0].poll(sources[0])
    assert result.stored == 1
