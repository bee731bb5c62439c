"""Thai text normalisation: never crashes, is idempotent, and does what the module promises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.normalize import DIALECT, EMAIL, TAG, URL, USER, normalize, normalize_batch

# Thai letters, marks and digits, ASCII, URL-ish punctuation, emoji, invisibles and separators:
# the characters where normalisation has work to do, mixed with anything at all.
TRICKY = st.sampled_from(
    [*"กขคมยรอาำิีึืุูเแโใไ่้๊๋ั็์ํ๐๑๒๙5 .:/@#_-?!aAzZwh\t\n\u200b\ufe0f\u3000\x00", "🙏", "👍", "🏽", "😂", "\ud800", "Ｗ", "ｗ"]
)
TEXT = st.text(alphabet=st.one_of(TRICKY, st.characters()), max_size=60)
WORDS = st.lists(
    st.sampled_from([*DIALECT, "มาก", "กกก", "555", "www.", "x.com", "@a", "#ข่าว", " ", "๕", "ค่ะ"]), max_size=8
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(TEXT, WORDS))
def test_normalize_never_crashes_and_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert "\x00" not in once and once == once.strip()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(TEXT, WORDS), max_size=12))
def test_a_batch_gives_what_each_text_gives_alone(texts: list[str]) -> None:
    assert normalize_batch(texts) == [normalize(text) for text in texts]


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="๐๑๒๓๔๕๖๗๘๙", min_size=1, max_size=3))
def test_thai_digits_become_arabic(digits: str) -> None:
    arabic = "".join(str(ord(ch) - 0x0E50) for ch in digits)
    assert normalize(f"ค่าธรรมเนียม {digits} บาท") == f"ค่าธรรมเนียม {arabic} บาท"


@settings(max_examples=50, deadline=None)
@given(st.sampled_from("กขมยรอาะ!?😭abc"), st.integers(min_value=3, max_value=30))
def test_elongations_are_folded(character: str, times: int) -> None:
    assert normalize("ดี" + character * times) == normalize("ดี" + character)


def test_examples_of_each_step() -> None:
    assert normalize("มากกกกกก ค่ะะะะ") == "มาก ค่ะ"
    assert normalize("55555555+") == "555+"
    assert normalize("โทร 1555555") == "โทร 1555555"  # digits inside a number are not laughter
    assert normalize("ไฟดับ https://t.co/AbC?x=1 ด่วน") == f"ไฟดับ {URL} ด่วน"
    assert normalize("ดูที่ www.gcc.go.th หรือ bit.ly/xyz") == f"ดูที่ {URL} หรือ {URL}"
    assert normalize("@Somchai_99 แจ้ง somchai@mail.go.th") == f"{USER} แจ้ง {EMAIL}"
    assert normalize("#น้ำท่วม_หนัก ช่วยด้วย") == f"{TAG} น้ำท่วม หนัก ช่วยด้วย"
    assert normalize("ทำบัตร\u200bได้\tไหม\n\nคะ 👍🏽") == "ทำบัตรได้ ไหม คะ 👍"
    assert normalize("ＴＣＡＳ　รอบ ๒") == "tcas รอบ 2"
    assert normalize("น\u0e4d\u0e49\u0e32ท่วม") == "น้ำท่วม"  # nikhahit + tone + sara aa
    assert normalize("น\u0e33\u0e49ท่วม") == "น้ำท่วม"  # tone typed after sara am
    assert normalize("ก\u0e4d\u0e32") == "กำ"
    assert normalize("  \t ") == ""


def test_dialect_and_chat_spellings_become_standard_thai() -> None:
    assert normalize("บ่ฮู้ว่าต้องเฮ็ดจั่งใด๋ เด้อ") == "ไม่รู้ว่าต้องทำอย่างไร นะ"
    assert normalize("ต่อบัตรที่ไหนได้มั้ยคะ") == "ต่อบัตรที่ไหนได้ไหมคะ"
    assert normalize("แหลงกับใครได้ ทามมาย") == "พูดกับใครได้ ทำไม"
    assert normalize("ทำได้มั้ยมม") == "ทำได้ไหม"  # the mapped word meets a run: folded again


def test_lone_surrogates_and_separators_are_made_harmless() -> None:
    assert normalize("a\ud800b") == "a\ufffdb"
    assert normalize_batch(["x\x00y", "", "z"]) == ["x y", "", "z"]
