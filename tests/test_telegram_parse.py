"""mention_from_update: the one parser both the listen-only source and the bot hand raw updates to."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Update

from core.domain import Platform
from core.errors import ParseError
from scrapers.telegram import mention_from_update

DATE = 1795485600  # 2026-11-24 02:00 UTC


def private(text: str | None = "ไฟถนนดับทั้งซอยครับ", **message: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": 42,
        "from": {"id": 5100000001, "is_bot": False, "first_name": "สมชาย", "last_name": "ใจดี",
                 "username": "somchai_j", "language_code": "th"},
        "chat": {"id": 5100000001, "first_name": "สมชาย", "last_name": "ใจดี", "username": "somchai_j",
                 "type": "private"},
        "date": DATE,
    }
    if text is not None:
        body["text"] = text
    body.update(message)
    return {"update_id": 811100001, "message": body}


def test_a_private_message_becomes_a_mention_with_every_field() -> None:
    update = private(reply_to_message={"message_id": 40, "chat": {"id": 5100000001, "type": "private"},
                                       "date": DATE - 60, "text": "สวัสดี"})
    mention = mention_from_update(update, "telegram")
    assert mention is not None
    assert (mention.platform, mention.external_id, mention.thread_id, mention.parent_id) == (
        Platform.TELEGRAM, "5100000001:42", "5100000001", "40")
    assert (mention.text, mention.author_handle, mention.author_name, mention.url) == (
        "ไฟถนนดับทั้งซอยครับ", "somchai_j", "สมชาย ใจดี", "")
    assert mention.posted_at == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert mention.source == "telegram" and mention.raw == update


def test_without_a_username_the_handle_is_the_user_id_and_a_lone_first_name_is_the_name() -> None:
    update = private()
    del update["message"]["from"]["username"], update["message"]["from"]["last_name"]
    mention = mention_from_update(update)
    assert mention is not None and (mention.author_handle, mention.author_name) == ("5100000001", "สมชาย")


@pytest.mark.parametrize("text", ["/start", "/status", "/status@GCC1111DeskBot", "/help ขอความช่วยเหลือ"])
def test_commands_are_not_mentions(text: str) -> None:
    with_entity = private(text, entities=[{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}])
    assert mention_from_update(with_entity) is None
    assert mention_from_update(private(text)) is None  # built without entities: the pattern decides


@pytest.mark.parametrize("text", ["/ไฟดับ ช่วยด้วย", "แจ้ง /status ให้หน่อย", "1/2 ของหมู่บ้านน้ำท่วม"])
def test_slashes_that_are_not_a_leading_command_stay_mentions(text: str) -> None:
    mention = mention_from_update(private(text))
    assert mention is not None and mention.text == text


def test_an_edited_message_and_a_caption_are_read_as_the_public_wrote_them() -> None:
    edited = private("แก้ไข: ไฟดับตั้งแต่สองทุ่ม")
    edited["edited_message"] = {**edited.pop("message"), "edit_date": DATE + 120}
    photo = private(None, photo=[{"file_id": "x", "file_unique_id": "y", "width": 90, "height": 67}],
                    caption="รูปถนนพังหน้าบ้านครับ")
    assert (m := mention_from_update(edited)) is not None and m.text == "แก้ไข: ไฟดับตั้งแต่สองทุ่ม"
    assert (m := mention_from_update(photo)) is not None and m.text == "รูปถนนพังหน้าบ้านครับ"


def test_nothing_to_read_or_not_from_the_public_is_none() -> None:
    sticker = private(None, sticker={"file_id": "s"})
    group = private("เวรดึกรับทราบครับ")
    group["message"]["chat"] = {"id": -1001111000001, "title": "เวร", "type": "supergroup"}
    callback = {"update_id": 9, "callback_query": {"id": "1", "from": {"id": 1}, "data": "ack:1"}}
    channel = {"update_id": 10, "channel_post": private()["message"]}
    assert [mention_from_update(u) for u in (sticker, group, callback, channel)] == [None, None, None, None]


@pytest.mark.parametrize("breakage", ["no_chat", "string_id", "no_date", "text_not_string", "not_an_object"])
def test_a_message_without_the_fields_every_real_one_has_is_a_parse_error_with_the_update(breakage: str) -> None:
    update = private()
    message = update["message"]
    if breakage == "no_chat":
        del message["chat"]
    elif breakage == "string_id":
        message["message_id"] = "42"
    elif breakage == "no_date":
        del message["date"]
    elif breakage == "text_not_string":
        message["text"] = ["ไฟดับ"]
    else:
        update["message"] = "ไฟดับ"
    with pytest.raises(ParseError) as caught:
        mention_from_update(update)
    assert "811100001" in caught.value.raw_body


def test_ptb_to_dict_of_an_update_gives_the_same_mention() -> None:
    """The bot hands PTB's Update.to_dict() over: it must read exactly as the raw JSON does."""
    update = private("ขอสอบถามเรื่องบัตรสวัสดิการ 🙏", reply_to_message={
        "message_id": 40, "chat": {"id": 5100000001, "type": "private"}, "date": DATE - 60, "text": "สวัสดี"})
    through_ptb = Update.de_json(copy.deepcopy(update), None).to_dict()
    assert mention_from_update(through_ptb) == mention_from_update(update)


@given(st.text(min_size=1))
def test_any_text_never_crashes_and_is_kept_exactly(text: str) -> None:
    mention = mention_from_update(private(text))
    if mention is None:
        assert not text.strip() or text.startswith("/")
    else:
        assert mention.text == text and mention.raw["message"]["text"] == text


@given(st.dictionaries(st.sampled_from(["message", "edited_message", "callback_query", "poll", "update_id"]),
                       st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=8)))
def test_any_update_shape_is_a_mention_none_or_a_parse_error(update: dict[str, Any]) -> None:
    try:
        result = mention_from_update(update)
    except ParseError as exc:
        assert exc.raw_body
    else:
        assert result is None or isinstance(result.text, str)
