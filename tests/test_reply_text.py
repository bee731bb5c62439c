"""Outgoing text: redacted, within each platform's limit, shortened politely (properties, not examples only)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bots.channels.text import (
    ELLIPSIS,
    TELEGRAM_LIMIT,
    X_LIMIT,
    outgoing,
    same_text,
    utf16_length,
    x_length,
)

THAI = st.characters(min_codepoint=0x0E01, max_codepoint=0x0E5B)
PIECES = st.one_of(st.text(THAI, min_size=1, max_size=8), st.text(st.characters(codec="utf-8"), max_size=4),
                   st.sampled_from([" ", "\n", "😀", " https://gcc.go.th/a ", " 081-234-5678 "]))
TEXT = st.lists(PIECES, max_size=120).map("".join)


def test_x_counts_thai_once_emoji_twice_and_every_link_as_23() -> None:
    assert x_length("บัตรประชาชน") == len("บัตรประชาชน")
    assert x_length("😀😀") == 4
    assert x_length("ดู https://www.bora.dopa.go.th/a/very/long/path/that/is/long") == 3 + 23


@given(TEXT, st.integers(min_value=40, max_value=400))
def test_whatever_goes_in_comes_out_within_the_limit_and_without_phone_numbers(text: str, limit: int) -> None:
    for measure in (x_length, utf16_length, len):
        fitted = outgoing(text, limit, measure)
        assert measure(fitted) <= limit
        assert "081-234-5678" not in fitted


@given(TEXT)
def test_a_text_that_fits_is_left_as_written_after_redaction(text: str) -> None:
    fitted = outgoing(text, 10_000)
    assert fitted == outgoing(fitted, 10_000)
    assert ELLIPSIS not in fitted or ELLIPSIS in text


@given(st.text(THAI, min_size=300, max_size=600))
def test_shortening_never_separates_a_thai_vowel_or_tone_mark_from_its_letter(text: str) -> None:
    fitted = outgoing(text, 100, x_length)
    kept = fitted.removesuffix(ELLIPSIS)
    assert text.startswith(kept)
    if len(kept) < len(text):
        assert unicodedata.category(text[len(kept)]) != "Mn"


def test_a_long_answer_on_x_keeps_its_source_link_and_says_it_was_shortened() -> None:
    answer = "ยื่นคำขอมีบัตรใหม่ได้ที่สำนักทะเบียนอำเภอ สำนักงานเขต หรือสำนักทะเบียนท้องถิ่น " * 6
    text = f"{answer}\nข้อมูลเพิ่มเติม: https://www.bora.dopa.go.th/\nสอบถามเพิ่มเติมโทร 1111 ได้ตลอด 24 ชั่วโมง"
    fitted = outgoing(text, X_LIMIT, x_length)
    body, _, footer = fitted.partition("\n")
    assert body.endswith("…") and answer.startswith(body[:-1]) and not body[:-1].endswith(" ")
    assert footer == "ข้อมูลเพิ่มเติม: https://www.bora.dopa.go.th/\nสอบถามเพิ่มเติมโทร 1111 ได้ตลอด 24 ชั่วโมง"
    assert x_length(fitted) <= X_LIMIT
    assert utf16_length(outgoing("🙏" * 3000, TELEGRAM_LIMIT, utf16_length)) <= TELEGRAM_LIMIT


def test_personal_data_never_leaves_even_if_a_template_let_it_in() -> None:
    text = outgoing("ติดต่อ 081-234-5678 หรือ somchai@example.com เลขบัตร 1-1014-00025-38-1", 500)
    assert "081" not in text and "@example.com" not in text and "[เบอร์โทร]" in text


def test_a_platforms_copy_matches_even_with_rewritten_links_and_escaped_entities() -> None:
    assert same_text("ดูที่ https://gcc.go.th/x & โทร 1111", "ดูที่ https://t.co/AbC123 &amp; โทร  1111")
    assert not same_text("ตอบ ก", "ตอบ ข")
