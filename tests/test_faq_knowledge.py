"""The FAQ knowledge base: loading staff-edited files, what may answer the public, Thai and English search."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bots.knowledge import FaqEntry, KnowledgeBase, Match, Tokenizer, load_faq, thai_tokenizer
from core.errors import ConfigError

FAQ = Path(__file__).resolve().parent.parent / "config" / "faq"
TODAY = date(2026, 11, 24)

ENTRY = """\
- id: {id}
  agency: MOI
  status: {status}
  review_by: {review_by}
  source: https://www.bora.dopa.go.th/
  title: {title}
  questions:
  - {question}
  questions_en:
  - {question_en}
  answer_th: {answer}
  answer_en: An answer in English.
"""


def entry_yaml(id: str = "moi-id-card-lost", *, status: str = "approved", review_by: str = "2027-12-31",
               title: str = "ทำบัตรประชาชนใหม่กรณีบัตรหาย", question: str = "บัตรประชาชนหายต้องทำยังไง",
               question_en: str = "I lost my ID card", answer: str = "ติดต่อสำนักงานเขตหรืออำเภอ") -> str:
    return ENTRY.format(id=id, status=status, review_by=review_by, title=title, question=question,
                        question_en=question_en, answer=answer)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tokenize() -> Tokenizer:
    return thai_tokenizer()


@pytest.fixture(scope="module")
def shipped(tokenize: Tokenizer) -> KnowledgeBase:
    return KnowledgeBase(load_faq(FAQ), tokenize)


def entry(id: str, status: str, review_by: date, questions: tuple[str, ...],
          questions_en: tuple[str, ...] = ()) -> FaqEntry:
    return FaqEntry(id=id, agency="MOI", status=status, review_by=review_by, source="", title="",
                    questions=questions, answer_th="คำตอบ", answer_en="", questions_en=questions_en)


# --- loading -------------------------------------------------------------------------------------------------
def test_every_shipped_entry_loads_with_english_phrasings() -> None:
    entries = load_faq(FAQ)

    assert len(entries) == 67
    assert len({e.id for e in entries}) == 67
    assert all(2 <= len(e.questions_en) <= 4 for e in entries), [e.id for e in entries if not e.questions_en]
    assert all(q.isascii() for e in entries for q in e.questions_en)
    assert all(e.answer_th and e.answer_en for e in entries)


def test_a_duplicate_id_names_both_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", entry_yaml("same-id"))
    second = write(tmp_path, "b.yaml", entry_yaml("same-id"))

    with pytest.raises(ConfigError) as error:
        load_faq(tmp_path)

    assert str(second) in str(error.value) and "a.yaml" in str(error.value) and "same-id" in str(error.value)


@pytest.mark.parametrize(("text", "says"), [
    (entry_yaml(review_by="2027-13-45"), "review_by"),
    (entry_yaml(review_by="next year"), "review_by"),
    (entry_yaml().replace("  answer_th: ติดต่อสำนักงานเขตหรืออำเภอ\n", ""), "answer_th"),
    (entry_yaml(answer='""'), "answer_th is empty"),
    (entry_yaml(status="aproved"), "status"),
    (entry_yaml().replace("  review_by: 2027-12-31\n", ""), "review_by"),
    (entry_yaml().replace("  questions_en:\n  - I lost my ID card\n", "  questions_en: I lost my ID card\n"),
     "questions_en must be a list"),
    ("- id: [unclosed\n", "FAQ file"),
    ("id: not-a-list\n", "list of entries"),
    ("- just a string\n", "mapping"),
])
def test_a_broken_file_is_a_config_error_naming_it(tmp_path: Path, text: str, says: str) -> None:
    write(tmp_path, "good.yaml", entry_yaml("fine-entry"))
    broken = write(tmp_path, "moi.yaml", text)

    with pytest.raises(ConfigError) as error:
        load_faq(tmp_path)

    assert str(broken) in str(error.value)
    assert says in str(error.value)


# --- who may answer the public ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mixed(tokenize: Tokenizer) -> KnowledgeBase:
    return KnowledgeBase([
        entry("approved", "approved", date(2027, 12, 31), ("บัตรประชาชนหายต้องทำยังไง",)),
        entry("draft", "draft", date(2027, 12, 31), ("ย้ายทะเบียนบ้านปลายทางทำยังไง",)),
        entry("expired", "approved", date(2026, 1, 31), ("ต่อภาษีรถออนไลน์ได้ไหม",)),
    ], tokenize)


def test_drafts_and_entries_past_review_never_answer_even_when_they_match_best(mixed: KnowledgeBase) -> None:
    draft = mixed.search("ย้ายทะเบียนบ้านปลายทางทำยังไงคะ", k=1)[0]
    expired = mixed.search("ต่อภาษีรถออนไลน์ได้ไหมครับ", k=1)[0]

    assert (draft.entry.id, expired.entry.id) == ("draft", "expired")
    assert draft.coverage >= 0.9 and expired.coverage >= 0.9  # a perfect match, and still no answer
    assert mixed.best_answer("ย้ายทะเบียนบ้านปลายทางทำยังไงคะ", 0.1, TODAY) is None
    assert mixed.best_answer("ต่อภาษีรถออนไลน์ได้ไหมครับ", 0.1, TODAY) is None
    assert mixed.best_answer("ต่อภาษีรถออนไลน์ได้ไหมครับ", 0.1, date(2026, 1, 31)) is not None  # the last day
    answer = mixed.best_answer("บัตรประชาชนหายต้องทำยังไงคะ", 0.1, TODAY)
    assert answer is not None and answer.entry.id == "approved"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(["บัตรประชาชน", "หาย", "ย้าย", "ทะเบียนบ้าน", "ปลายทาง", "ต่อ", "ภาษีรถ",
                                       "ออนไลน์", "ครับ", "🙏", "ด่วน", "@GCC1111", "#ภาษี"]), max_size=8),
       threshold=st.floats(min_value=0.0, max_value=1.0))
def test_whatever_is_asked_only_approved_current_entries_answer(mixed: KnowledgeBase, words: list[str],
                                                                threshold: float) -> None:
    answer = mixed.best_answer(" ".join(words), threshold, TODAY)

    assert answer is None or (answer.entry.id == "approved" and answer.coverage >= threshold)


def test_in_the_shipped_faq_drafts_and_lapsed_entries_are_held_back(shipped: KnowledgeBase) -> None:
    held = [e for e in shipped.entries if not e.answers_public(TODAY)]
    assert {e.status for e in held} == {"draft", "approved"}  # drafts, and approved ones past their review date

    for held_entry in held:
        question = held_entry.questions[0]
        top = shipped.search(question, k=1)[0]
        assert top.entry == held_entry  # the entry's own sample question finds it ...
        assert shipped.best_answer(question, 0.0, TODAY) is None  # ... and still nothing is posted


# --- Thai and English search -------------------------------------------------------------------------------------
def test_every_english_phrasing_finds_its_entry(shipped: KnowledgeBase) -> None:
    misses = [(e.id, q) for e in shipped.entries for q in e.questions_en if shipped.search(q, k=1)[0].entry != e]
    assert misses == []


@pytest.mark.parametrize(("question", "expected"), [
    ("@GCC1111 hi, I lost my Thai passport in Osaka, what do I do?", "mfa-passport-lost"),
    ("how to renew thai driver's license, expiring soon", "mot-driving-licence-renew"),
    ("Where can I get my marriage certificate legalized before using it overseas?", "mfa-legalisation"),
    ("who do I call about a missing kid?", "rtp-missing-person"),
])
def test_english_posts_find_english_bearing_entries(shipped: KnowledgeBase, question: str, expected: str) -> None:
    (top,) = shipped.search(question, k=1)
    assert top.entry.id == expected


def test_english_phrasings_are_what_make_an_entry_findable_in_english(tokenize: Tokenizer) -> None:
    thai_only = entry("thai-only", "approved", date(2027, 12, 31), ("ทำพาสปอร์ตเล่มแรกใช้อะไร",))
    bilingual = entry("bilingual", "approved", date(2027, 12, 31), ("ทำพาสปอร์ตเล่มแรกใช้อะไร",),
                      ("What documents do I need for my first passport?",))
    question = "first time getting a passport, which documents?"

    only_thai = KnowledgeBase([thai_only], tokenize).search(question, k=1)
    both = KnowledgeBase([thai_only, bilingual], tokenize).search(question, k=1)

    thai_coverage = only_thai[0].coverage if only_thai else 0.0
    assert thai_coverage < 0.35  # "passport" alone is too little to answer
    assert both[0].entry.id == "bilingual" and both[0].coverage > thai_coverage


@pytest.mark.parametrize(("variant", "standard"), [
    ("พาสปอตหายยยยย", "พาสปอร์ตหาย"),
    ("บัตร ปชช. หาย", "บัตรประชาชนหาย"),
    ("ม.33 คืออะไร", "มาตรา 33 คืออะไร"),
    ("ต่อภาษีผ่านแอพ", "ต่อภาษีผ่านแอป"),
    ("๑๕๕๕ คือเบอร์อะไร", "1555 คือเบอร์อะไร"),
    ("@GCC1111 ใบขับรถหาย https://t.co/x", "ใบขับขี่หาย"),
])
def test_variant_spellings_read_the_same(tokenize: Tokenizer, variant: str, standard: str) -> None:
    assert tokenize(variant) == tokenize(standard)


def test_hotline_numbers_keep_their_repeated_digits(tokenize: Tokenizer) -> None:
    assert "1111" in tokenize("1111 คือเบอร์อะไรคะ")
    assert "ไห" not in tokenize("ติดต่อที่ไหนคะ")  # a glued particle no longer splits the word before it


def test_a_question_that_fits_several_entries_equally_is_not_confident(shipped: KnowledgeBase) -> None:
    vague = shipped.search("พาสปอร์ต", k=3)
    specific = shipped.search("พาสปอร์ตหายครับ", k=1)

    assert vague and all(m.coverage == 0.0 for m in vague)
    assert specific[0].entry.id == "mfa-passport-lost" and specific[0].coverage >= 0.5


def test_one_shared_word_is_thin_evidence(shipped: KnowledgeBase) -> None:
    (top,) = shipped.search("อยากทราบเรื่องกฎหมายทะเลลึกระหว่างประเทศครับ", k=1)
    assert top.coverage < 0.3  # "ระหว่างประเทศ" alone must not answer with the international driving permit


# --- hostile input ---------------------------------------------------------------------------------------------
HOSTILE = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE | st.sampled_from(["", " ", "\x00", "🙏" * 500, "ๆๆๆๆ", "\u200b\ufeff", "\ud800x", "ก" * 5000,
                                       "#" * 100, "@GCC1111", "๑๑๑๑", "<script>alert(1)</script>", "\u202eabc"]),
       k=st.integers(min_value=1, max_value=10))
def test_hostile_input_never_crashes_search(shipped: KnowledgeBase, text: str, k: int) -> None:
    matches = shipped.search(text, k=k)

    assert len(matches) <= k
    assert all(isinstance(m, Match) and 0.0 <= m.coverage <= 1.0 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    answer = shipped.best_answer(text, 0.35, TODAY)
    assert answer is None or answer.entry.answers_public(TODAY)


def test_an_empty_knowledge_base_answers_nothing(tokenize: Tokenizer) -> None:
    empty = KnowledgeBase([], tokenize)
    assert empty.search("บัตรประชาชนหาย") == [] and empty.best_answer("บัตรประชาชนหาย", 0.0, TODAY) is None
