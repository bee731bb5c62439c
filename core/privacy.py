"""Redaction of personal data (Thai national ID numbers, phone numbers, emails) from anything shown."""

from __future__ import annotations

import re

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

_NATIONAL_ID = re.compile(r"(?<![\d๐-๙])[\d๐-๙](?:[\s-]?[\d๐-๙]){12}(?![\d๐-๙])")
_PHONE = re.compile(
    r"(?<![\d๐-๙+])(?:\+66[\s-]?|0)(?:[689][\d๐-๙]|2|[3-7][\d๐-๙])(?:[\s-]?[\d๐-๙]){6,7}(?![\d๐-๙])"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

ID_MARK = "[เลขบัตรประชาชน]"
PHONE_MARK = "[เบอร์โทร]"
EMAIL_MARK = "[อีเมล]"


def is_national_id(candidate: str) -> bool:
    """True for 13 digits (Thai or Arabic, separators allowed) whose last digit is the valid checksum."""
    digits = [int(ch) for ch in candidate.translate(THAI_DIGITS) if ch.isdigit()]
    if len(digits) != 13 or digits[0] == 0:
        return False
    total = sum(d * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == digits[12]


def redact(text: str) -> str:
    """Replace personal data with Thai placeholders; everything else is left exactly as written."""
    text = _NATIONAL_ID.sub(lambda m: ID_MARK if is_national_id(m.group()) else m.group(), text)
    text = _EMAIL.sub(EMAIL_MARK, text)
    return _PHONE.sub(PHONE_MARK, text)
