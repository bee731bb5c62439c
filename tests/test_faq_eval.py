"""Measuring the knowledge base on held-out questions, and the bar below which it must not ship."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bots.faq_eval import SWEEP, Example, evaluate, load_examples, sweep, unknown_ids
from bots.knowledge import FaqEntry, KnowledgeBase, Tokenizer, load_faq, thai_tokenizer
from config.settings import ResponderSettings
from core.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bots" / "data"
# The day the shipped figures are taken on: entries past their review date then are held back, as in production.
FIGURES_DAY = date(2026, 11, 24)
SHIP_BAR = 0.9  # precision of automatic answers below which the desk must not answer the public automatically


@pytest.fixture(scope="module")
def tokenize() -> Tokenizer:
    return thai_tokenizer()


@pytest.fixture(scope="module")
def shipped(tokenize: Tokenizer) -> KnowledgeBase:
    return KnowledgeBase(load_faq(ROOT / "config" / "faq"), tokenize)


def entry(id: str, questions: tuple[str, ...], status: str = "approved") -> FaqEntry:
    return FaqEntry(id=id, agency="MOI", status=status, review_by=date(2027, 12, 31), source="", title="",
                    questions=questions, answer_th="คำตอบ", answer_en="")


@pytest.fixture(scope="module")
def small(tokenize: Tokenizer) -> KnowledgeBase:
    return KnowledgeBase([
        entry("id-lost", ("บัตรประชาชนหายต้องทำยังไง", "บัตรหายต้องแจ้งความไหม")),
        entry("tax-online", ("ต่อภาษีรถออนไลน์ได้ไหม", "ชำระภาษีรถผ่านแอป")),
        entry("move-destination", ("ย้ายทะเบียนบ้านปลายทางทำยังไง",), status="draft"),
    ], tokenize)


def test_the_four_outcomes_and_the_figures(small: KnowledgeBase) -> None:
    examples = [
        Example("บัตรประชาชนหายค่ะ ทำไงดี", "id-lost"),  # answered, right
        Example("@GCC1111 ต่อภาษีรถผ่านแอปได้ไหมครับ", "tax-online"),  # answered, right
        Example("บัตรประชาชนหายต้องแจ้งความไหม", None),  # answered though the FAQ should not: wrong
        Example("ย้ายทะเบียนบ้านปลายทางทำยังไงคะ", "move-destination"),  # its entry is a draft: no answer is right
        Example("ราคาทองวันนี้เท่าไหร่", None),  # nothing matches: abstained, right
        Example("รถหาย ทำไงดีครับ", "tax-online"),  # a covered question the KB cannot place: missed
    ]

    report = evaluate(small, examples, 0.35, FIGURES_DAY)

    assert [o.verdict for o in report.outcomes] == ["answered-correct", "answered-correct", "answered-wrong",
                                                    "abstained-correct", "abstained-correct", "abstained-missed"]
    assert (report.answered, report.covered, report.held_back) == (3, 3, 1)
    assert report.precision == pytest.approx(2 / 3)
    assert report.coverage == pytest.approx(2 / 3)
    assert report.accuracy_at_1 == pytest.approx(3 / 4)  # ranking ignores status: the draft was found first
    assert [o.example.text for o in report.errors()] == ["บัตรประชาชนหายต้องแจ้งความไหม"]


def test_a_higher_threshold_never_answers_more(shipped: KnowledgeBase) -> None:
    examples = load_examples(DATA / "faq_dev.jsonl")

    reports = sweep(shipped, examples, SWEEP, FIGURES_DAY)

    assert [r.threshold for r in reports] == [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]
    answered = [r.answered for r in reports]
    assert answered == sorted(answered, reverse=True) and answered[0] > answered[-1]
    single = evaluate(shipped, examples, 0.5, FIGURES_DAY)
    assert single.outcomes == reports[4].outcomes


@pytest.mark.parametrize(("line", "says"), [
    ('{"text": "บัตรหาย"', "line 2"),
    ('{"expected": null}', "'text'"),
    ('{"text": 5, "expected": null}', "text must be text"),
    ('{"text": "x", "expected": 7}', "expected an id or null"),
    ('["text", "expected"]', "line 2"),
])
def test_a_broken_evaluation_file_names_the_line(tmp_path: Path, line: str, says: str) -> None:
    path = tmp_path / "held-out.jsonl"
    path.write_text('{"text": "บัตรประชาชนหาย", "expected": "moi-id-card-lost"}\n' + line + "\n", encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        load_examples(path)

    assert str(path) in str(error.value) and says in str(error.value)


def test_a_missing_evaluation_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no-such\.jsonl"):
        load_examples(tmp_path / "no-such.jsonl")


def test_the_held_out_files_are_shaped_as_the_desk_sees_posts(shipped: KnowledgeBase) -> None:
    dev, test = load_examples(DATA / "faq_dev.jsonl"), load_examples(DATA / "faq_test.jsonl")

    for examples, size in ((dev, 120), (test, 200)):
        assert abs(len(examples) - size) <= 10
        assert unknown_ids(examples, shipped) == []
        uncovered = sum(1 for e in examples if e.expected is None) / len(examples)
        english = sum(1 for e in examples if not any("\u0e00" <= ch <= "\u0e7f" for ch in e.text)) / len(examples)
        assert 0.22 <= uncovered <= 0.3 and 0.08 <= english <= 0.14
    assert not {e.text for e in dev} & {e.text for e in test}  # written apart, never the same post
    questions = {q for e in shipped.entries for q in (*e.questions, *e.questions_en)}
    assert not {e.text for e in dev + test} & questions  # not the FAQ's own lines


def test_the_shipped_threshold_meets_the_bar_on_the_held_out_test_file(shipped: KnowledgeBase) -> None:
    """Precision of automatic answers on questions never used for tuning: the product must not ship below it."""
    threshold = ResponderSettings().faq_min_score

    report = evaluate(shipped, load_examples(DATA / "faq_test.jsonl"), threshold, FIGURES_DAY)

    precision, wrong = report.precision, [(o.example.text, o.answered and o.answered.entry.id) for o in report.errors()]
    assert report.answered >= report.covered / 3  # not a vacuous precision: it does answer people
    assert precision >= SHIP_BAR, f"precision {precision:.3f} at threshold {threshold}; wrong answers: {wrong}"


def test_the_shipped_threshold_meets_the_target_on_the_dev_file(shipped: KnowledgeBase) -> None:
    report = evaluate(shipped, load_examples(DATA / "faq_dev.jsonl"), ResponderSettings().faq_min_score, FIGURES_DAY)
    assert report.precision >= 0.95 and report.coverage >= 0.6


def gcc1111(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GCC1111_")}
    environment.update({"PYTHAINLP_OFFLINE": "1", "COLUMNS": "200"})
    return subprocess.run([sys.executable, "-m", "config", *args], capture_output=True, text=True, env=environment,
                          timeout=120, check=False, cwd=ROOT)


def test_staff_evaluate_a_file_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "sample.jsonl"
    rows = [{"text": "บัตรประชาชนหายค่ะ ทำไงดี", "expected": "moi-id-card-lost"},
            {"text": "ราคาทองวันนี้เท่าไหร่", "expected": None}]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")

    result = gcc1111("faq", "evaluate", "--data", str(data), "--threshold", "0.4", "--today", "2026-11-24")

    assert result.returncode == 0, result.stderr
    assert "threshold 0.40" in result.stdout
    assert re.search(r"precision of automatic answers\s+│ 1\.000", result.stdout)
    assert "choosing a threshold" in result.stdout and "0.90" in result.stdout


def test_the_command_refuses_an_unknown_expected_id(tmp_path: Path) -> None:
    data = tmp_path / "typo.jsonl"
    data.write_text('{"text": "บัตรหาย", "expected": "moi-id-card-lots"}\n', encoding="utf-8")

    result = gcc1111("faq", "evaluate", "--data", str(data))

    assert result.returncode == 2
    assert "moi-id-card-lots" in result.stderr
