"""Personal data never survives redaction; ordinary numbers and hotlines do."""

from __future__ import annotations

import logging

from hypothesis import given
from hypothesis import strategies as st

from core.logs import RedactingFilter
from core.privacy import EMAIL_MARK, ID_MARK, PHONE_MARK, is_national_id, redact


def make_id(first12: str) -> str:
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return first12 + str((11 - total % 11) % 10)


def test_valid_national_ids_are_redacted_in_every_common_format() -> None:
    number = make_id("110370207181")
    dashed = f"{number[0]}-{number[1:5]}-{number[5:10]}-{number[10:12]}-{number[12]}"
    thai = number.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    for written in (number, dashed, dashed.replace("-", " "), thai):
        assert redact(f"เลขบัตร {written} ค่ะ") == f"เลขบัตร {ID_MARK} ค่ะ"


def test_thirteen_digits_with_a_wrong_checksum_are_not_an_id() -> None:
    number = make_id("110370207181")
    wrong = number[:12] + str((int(number[12]) + 1) % 10)
    assert not is_national_id(wrong)
    assert redact(f"พัสดุ {wrong}") == f"พัสดุ {wrong}"


def test_phones_and_emails_are_redacted_but_hotlines_stay() -> None:
    text = "โทร 081-234-5678 หรือ 02 123 4567 หรือ +66 81 234 5678 เมล somchai.k@example.co.th แจ้ง 1111 หรือ 1669"
    assert redact(text) == (
        f"โทร {PHONE_MARK} หรือ {PHONE_MARK} หรือ {PHONE_MARK} เมล {EMAIL_MARK} แจ้ง 1111 หรือ 1669"
    )


@given(st.lists(st.sampled_from("0123456789"), min_size=12, max_size=12).map("".join))
def test_any_valid_id_is_redacted(first12: str) -> None:
    number = make_id(first12)
    if number[0] != "0":
        assert number not in redact(f"ID:{number}.")


@given(st.text(max_size=200))
def test_redaction_never_crashes_and_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


def test_log_records_are_redacted_and_secrets_masked() -> None:
    args = ("somchai@example.com", "s3cr3t-token")
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "user %s token %s", args, None)
    RedactingFilter(["s3cr3t-token"]).filter(record)
    assert record.getMessage() == f"user {EMAIL_MARK} token ***"
