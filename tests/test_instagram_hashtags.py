"""Thai-safe hashtag extraction (core.text), and the instaloader trap it exists for."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from core.text import extract_hashtags, hashtag_name, is_hashtag_char

THAI_CONSONANTS = [chr(c) for c in range(0x0E01, 0x0E2F)]
THAI_MARKS = ["\u0e31", "\u0e34", "\u0e35", "\u0e36", "\u0e37", "\u0e38", "\u0e39", "\u0e47", "\u0e48",
              "\u0e49", "\u0e4a", "\u0e4b", "\u0e4c"]
THAI_VOWELS = ["\u0e30", "\u0e32", "\u0e33", "\u0e40", "\u0e41", "\u0e42", "\u0e43", "\u0e44"]
LATIN_AND_DIGITS = list("abcdefghijklmnopqrstuvwxyz0123456789_๑๒๓")

# A syllable-ish chunk: a consonant, then marks (above/below vowels, tone marks) and a trailing vowel.
thai_chunk = st.builds(
    lambda c, marks, vowel: c + "".join(marks) + vowel,
    st.sampled_from(THAI_CONSONANTS),
    st.lists(st.sampled_from(THAI_MARKS), max_size=2),
    st.sampled_from(["", *THAI_VOWELS]),
)
thai_word = st.lists(thai_chunk, min_size=1, max_size=8).map("".join)
tag_word = thai_word | st.text(alphabet=LATIN_AND_DIGITS, min_size=1, max_size=12)
separator = st.sampled_from([" ", "\n", "  ", " ค่ะ ", ", ", "! ", "。", " 🙏 ", "\u200b"])


def test_the_instaloader_pattern_cuts_thai_tags_and_ours_keeps_them_whole() -> None:
    caption = "น้ำท่วมถนนใหญ่ #แจ้งเหตุ #น้ำท่วมเชียงใหม่"
    assert re.findall(r"(?:#)((?:\w){1,150})", caption) == ["แจ", "น"]  # what Post.caption_hashtags does
    assert extract_hashtags(caption) == ["แจ้งเหตุ", "น้ำท่วมเชียงใหม่"]


def test_case_duplicates_full_width_signs_and_punctuation() -> None:
    text = "#Flood #flood ＃ไฟดับ, #ถนน_พัง! #1111.#"
    assert extract_hashtags(text) == ["flood", "ไฟดับ", "ถนน_พัง", "1111"]
    assert hashtag_name(" #น้ำท่วมเชียงใหม่ ") == "น้ำท่วมเชียงใหม่" == hashtag_name("น้ำท่วมเชียงใหม่")
    assert hashtag_name("# ") == ""


@given(word=thai_word)
def test_any_thai_word_comes_back_whole(word: str) -> None:
    assert extract_hashtags(f"ข้อความ #{word}") == [word]


@given(tags=st.lists(tag_word, min_size=1, max_size=6), seps=st.lists(separator, min_size=6, max_size=6))
def test_tags_between_separators_come_back_in_order_once(tags: list[str], seps: list[str]) -> None:
    text = "".join(f"{sep}#{tag}" for sep, tag in zip(seps, tags, strict=False))
    assert extract_hashtags(text) == list(dict.fromkeys(tag.lower() for tag in tags))


@given(text=st.text(max_size=200))
def test_extracted_tags_are_made_of_tag_characters_and_occur_in_the_text(text: str) -> None:
    folded = text.lower()
    for tag in extract_hashtags(text):
        assert tag and all(is_hashtag_char(ch) for ch in tag)
        assert tag in folded
