"""`gcc1111 classify / train / evaluate` end to end on the shipped model, bad input included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nlp_support import POSTS, write_corpus
from typer.testing import CliRunner

from config.cli_nlp import build_app
from core.clock import ManualClock
from core.domain import Correction, Label, Mention, Platform
from core.store import Store
from nlp.jsonl import parse_line
from nlp.train import TrainParams

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = {"id", "label", "confidence", "agency", "agency_confidence", "urgent"}


def run(*args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(build_app(), list(args), input=input, env=env)
    return result.exit_code, result.stdout_bytes, result.stderr


def lines(output: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.decode("utf-8").splitlines()]


def test_every_bad_input_is_answered_on_its_own_line_in_order() -> None:
    long_text = "ถนนพัง" * 20_000
    source = b"".join([
        json.dumps({"id": 1, "text": "บัตรประชาชนหายต้องทำยังไงคะ", "platform": "x"}).encode() + b"\n",
        b'{"id": 2, "text": ""}\n',
        b'{"id": 3, "text": "   \\t  "}\n',
        '{"id": 4, "text": "🙏🙏🙏"}\n'.encode(),
        json.dumps({"id": 5, "text": long_text}).encode() + b"\n",
        b'{"id": 6, "text": "\\u0000\\u0001\\u0002\\ufffd\\ud800 bin"}\n',
        b'{"id": 7, "text": "\xff\xfe invalid"}\n',
        b'{"id": 8, "text": "unterminated\n',
        b"\n",
        b'[1, 2]\n',
        b'{"id": 11}\n',
        b'{"id": 12, "text": 42}\n',
        '{"id": "สิบสาม", "text": "ไฟไหม้ตึก มีคนติดอยู่ชั้นสาม ช่วยด้วย"}\r\n'.encode(),
    ])
    code, output, _ = run("classify", input=source)
    assert code == 0
    results = lines(output)
    assert len(results) == 13
    classified = {1, 2, 3, 4, 5, 6, "สิบสาม"}
    for number, result in enumerate(results, start=1):
        if result["id"] in classified:
            assert set(result) == CONTRACT, result
            assert result["label"] in {"inquiry", "complaint", "other"}
        else:
            assert set(result) == {"id", "line", "error"} and result["line"] == number, result
    assert [r["id"] for r in results if "error" not in r] == [1, 2, 3, 4, 5, 6, "สิบสาม"]
    assert results[0]["label"] == "inquiry"
    assert [results[i]["label"] for i in (1, 2, 3)] == ["other"] * 3
    assert "UTF-8" in results[6]["error"] and results[6]["id"] is None
    assert "malformed JSON" in results[7]["error"] and results[7]["line"] == 8
    assert "blank" in results[8]["error"]
    assert results[10] == {"id": 11, "line": 11, "error": "missing 'text'"}
    assert results[11]["error"] == "'text' must be a string"
    assert results[12]["urgent"] is True


def test_classify_reads_a_file_and_keeps_order_across_batches(tmp_path: Path) -> None:
    source = tmp_path / "posts.jsonl"
    posts = [{"id": i, "text": text} for i, (text, *_) in enumerate(POSTS * 3)]
    source.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), encoding="utf-8")
    code, output, _ = run("classify", "--input", str(source), "--batch-size", "4")
    assert code == 0
    assert [r["id"] for r in lines(output)] == list(range(len(posts)))


def test_classify_reports_a_missing_model_or_input(tmp_path: Path) -> None:
    code, _, err = run("classify", "--model", str(tmp_path / "none.npz"), input=b"")
    assert code == 2 and "none.npz" in err
    code, _, err = run("classify", "--input", str(tmp_path / "absent.jsonl"))
    assert code != 0


def test_classify_as_a_subprocess_needs_no_database_or_network(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHAINLP_OFFLINE": "1", "GCC1111_DATABASE_URL": "postgresql://nobody@10.255.255.1/none"}
    finished = subprocess.run(
        [sys.executable, "-m", "config.cli_nlp", "classify"],
        input='{"id": "a", "text": "ขอบคุณครับ"}\nnot json\n'.encode(), capture_output=True, cwd=ROOT, env=env,
        timeout=120, check=False,
    )
    assert finished.returncode == 0, finished.stderr.decode()
    first, second = lines(finished.stdout)
    assert first["id"] == "a" and first["label"] == "other" and first["agency"] is None
    assert second["line"] == 2 and "malformed JSON" in second["error"]


def test_evaluate_prints_the_report(tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "labelled", POSTS)
    code, output, _ = run("evaluate", "--data", str(files[0]), "--data", str(files[1]))
    text = output.decode()
    assert code == 0
    for heading in ("precision", "recall", "macro", "confusion matrix", "agency top-1 accuracy", "urgent recall"):
        assert heading in text
    code, output, _ = run("evaluate", "--data", str(tmp_path / "labelled"), "--json")
    report = json.loads(output)
    assert report["n"] == len(POSTS) and set(report["per_class"]) == {"inquiry", "complaint", "other"}
    assert 0.0 <= report["macro_f1"] <= 1.0 and len(report["confusion"]["rows_gold_columns_predicted"]) == 3


def test_train_writes_a_model_and_can_include_corrections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("config.cli_nlp.train_params", lambda: TrainParams(bits=14, folds=2, epochs=5))
    data = tmp_path / "train"
    write_corpus(data, POSTS)
    database = f"sqlite:///{tmp_path / 'desk.sqlite'}"
    store = Store.open(database, ManualClock())
    when = datetime(2026, 11, 1, tzinfo=UTC)
    store.mentions.ingest("facebook.feed", [Mention(Platform.FACEBOOK, "m1", "ท่อประปาแตกน้ำไหลทั้งซอย", when, "f")],
                          None)
    mention = store.mentions.find(Platform.FACEBOOK, "m1")
    assert mention is not None and mention.id is not None
    store.classifications.record_correction(Correction(mention.id, Label.COMPLAINT, "MOI", False, "analyst", when))
    store.close()

    plain, with_corrections = tmp_path / "plain.npz", tmp_path / "corrected.npz"
    code, output, _ = run("train", "--data", str(data), "--output", str(plain))
    assert code == 0 and plain.is_file() and b"thai-hash-lr-" in output
    code, _, err = run("train", "--data", str(data), "--output", str(with_corrections), "--include-corrections",
                       env={"GCC1111_DATABASE_URL": database})
    assert code == 0, err
    assert "1 analyst corrections" in err
    assert plain.read_bytes() != with_corrections.read_bytes()
    code, _, err = run("train", "--data", str(tmp_path / "empty"))
    assert code == 2 and "no *.jsonl" in err


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_input_line_is_either_a_text_or_a_reported_error(raw: bytes) -> None:
    parsed = parse_line(raw, 7)
    assert parsed.line == 7
    assert (parsed.text is None) != (parsed.error == "")
