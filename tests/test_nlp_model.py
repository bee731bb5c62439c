"""The shipped classifier: well-formed, deterministic, right on obvious posts, and a faithful file format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.agencies import AGENCY_CODES
from core.domain import Label
from nlp.model import DEFAULT_MODEL, ModelError, ThaiClassifier, read_model, write_model


@pytest.fixture(scope="module")
def classifier() -> ThaiClassifier:
    return ThaiClassifier.load()


ODD_POSTS = ["", "   ", "🙏🙏🙏", "x" * 100_000, "\x00\x01\x02 binary \ufffd", "ก" * 5000, "a\ud800b", "https://t.co/x"]


def test_shipped_model_loads_with_a_version(classifier: ThaiClassifier) -> None:
    assert DEFAULT_MODEL.is_file()
    assert classifier.version.startswith("thai-hash-lr-")
    assert classifier.arrays.agencies == AGENCY_CODES


def test_outputs_are_well_formed(classifier: ThaiClassifier) -> None:
    posts = ["ทำบัตรประชาชนใหม่ใช้อะไรบ้างคะ", "ไฟถนนดับมาสองอาทิตย์", "555", *ODD_POSTS]
    results = classifier.classify(posts)
    assert len(results) == len(posts)
    for result in results:
        assert isinstance(result.label, Label)
        assert 0.0 <= result.confidence <= 1.0 and 0.0 <= result.agency_confidence <= 1.0
        assert 0.0 <= result.urgent_score <= 1.0 and isinstance(result.urgent, bool)
        assert (result.agency is None) == (result.label is Label.OTHER)
        assert result.agency is None or result.agency in AGENCY_CODES
        assert result.agency_runner_up in AGENCY_CODES and result.agency_runner_up != result.agency
        assert result.model_version == classifier.version


def test_posts_without_words_are_other(classifier: ThaiClassifier) -> None:
    for result in classifier.classify(["", "   ", "🙏🙏🙏", "!!! ???"]):
        assert result.label is Label.OTHER and not result.urgent and result.agency is None


def test_classification_is_deterministic_and_independent_of_the_batch(classifier: ThaiClassifier) -> None:
    posts = ["ขอสอบถามเรื่องภาษีค่ะ", "รถชนกันหน้าปากซอย มีคนเจ็บ", *ODD_POSTS]
    batch = classifier.classify(posts)
    assert classifier.classify(posts) == batch
    assert [classifier.classify([post])[0] for post in posts] == batch
    assert classifier.classify([]) == []


# Written for this test from the labelling guide, not taken from any corpus split.
OBVIOUS = [
    ("ต่อพาสปอร์ตต้องจองคิวล่วงหน้าไหมคะ ใช้เอกสารอะไรบ้าง", Label.INQUIRY, "MFA", False),
    ("อยากทราบว่ายื่นภาษีออนไลน์ได้ถึงวันที่เท่าไหร่ครับ", Label.INQUIRY, "MOF", False),
    ("ขยะหน้าซอยไม่มีรถมาเก็บมาสองอาทิตย์แล้ว เหม็นมาก เขตบางกะปิช่วยจัดการด้วย", Label.COMPLAINT, "BMA", False),
    ("โดนแก๊งคอลเซ็นเตอร์หลอกให้โอนเงินไปห้าหมื่น แจ้งความแล้วตำรวจยังเงียบ", Label.COMPLAINT, "RTP", False),
    ("ขอบคุณเจ้าหน้าที่มากครับ ประทับใจการบริการ 🙏", Label.OTHER, None, False),
    ("ไฟไหม้บ้านไม้ตรงข้ามบ้านผม ตอนนี้ไฟลุกหนักมาก มีคนแก่ติดอยู่ข้างใน ช่วยด้วยครับ!!", Label.COMPLAINT, None, True),
    ("น้ำป่าไหลเข้าหมู่บ้าน น้ำขึ้นเร็วมาก ตอนนี้ท่วมถึงเอวแล้ว มีเด็กติดอยู่บนหลังคา", Label.COMPLAINT, None, True),
]


def test_obvious_posts(classifier: ThaiClassifier) -> None:
    results = classifier.classify([text for text, *_ in OBVIOUS])
    for (text, label, agency, urgent), result in zip(OBVIOUS, results, strict=True):
        assert result.label is label, text
        if agency is not None:
            assert result.agency == agency, text
        assert result.urgent is urgent, text


def test_model_file_round_trips_byte_for_byte(classifier: ThaiClassifier, tmp_path: Path) -> None:
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    write_model(classifier.arrays, first)
    write_model(read_model(first), second)
    assert first.read_bytes() == second.read_bytes()
    again = ThaiClassifier.load(second)
    posts = ["ถามเรื่องบัตรทองค่ะ", "รถเมล์ไม่จอดป้าย"]
    assert again.classify(posts) == classifier.classify(posts)
    np.testing.assert_array_equal(again.arrays.buckets, classifier.arrays.buckets)


def test_unreadable_model_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(ModelError, match=r"broken\.npz"):
        ThaiClassifier.load(broken)
    with pytest.raises(ModelError, match=r"missing\.npz"):
        ThaiClassifier.load(tmp_path / "missing.npz")
