"""Every word the desk shows exists in Thai and in English, and dates read the Thai way."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from core.domain import CaseStatus, Label, MentionStage, Platform, ReplyKind, ReplyStatus, Role
from dashboard.formatting import day, duration, when
from dashboard.i18n import MESSAGES, Translator
from dashboard.insight import RESPONSE_BUCKETS

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"
_LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in [*DASHBOARD.rglob("*.html"), *DASHBOARD.rglob("*.py")]:
        keys |= set(_LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    return keys


def built_keys() -> set[str]:
    """Keys the templates build from values: every value they can take."""
    keys = {f"label.{label.value}" for label in Label} | {"label.unclassified"}
    keys |= {f"platform.{p.value}" for p in Platform} | {f"stage.{s.value}" for s in MentionStage}
    keys |= {f"status.{s.value}" for s in CaseStatus} | {f"role.{r.value}" for r in Role}
    keys |= {f"reply.{k.value}" for k in ReplyKind} | {f"replystatus.{s.value}" for s in ReplyStatus}
    keys |= {f"cases.event.{kind}" for kind in ("status", "note", "assignment")}
    keys |= {f"sources.{state}" for state in ("ok", "backing_off", "token_broken", "never")}
    keys |= {f"insight.bucket.{name}" for name, _ in RESPONSE_BUCKETS}
    keys |= {f"error.{kind}.{part}" for kind in ("forbidden", "csrf", "not_found", "bad_request")
             for part in ("title", "body")}
    return keys


def test_every_key_the_desk_uses_has_thai_and_english() -> None:
    missing = sorted((used_keys() | built_keys()) - set(MESSAGES))

    assert len(used_keys()) > 100  # the scan itself works
    assert missing == []
    for key, (thai, english) in MESSAGES.items():
        assert thai.strip() and english.strip(), key
        assert re.findall(r"{\w+}", thai) == re.findall(r"{\w+}", english), key


def test_an_unknown_key_shows_itself_rather_than_failing() -> None:
    assert Translator("th")("no.such.key") == "no.such.key"
    assert Translator("xx")("nav.cases") == "เรื่องร้องเรียน"  # an unsupported language falls back to Thai


def test_dates_are_buddhist_era_in_bangkok_time() -> None:
    moment = datetime(2026, 11, 24, 3, 15, tzinfo=UTC)

    assert when(moment) == "24 พ.ย. 2569 10:15"
    assert when(moment, "en") == "24 Nov 2026 10:15"
    assert when(datetime(2026, 12, 31, 17, 30, tzinfo=UTC)) == "1 ม.ค. 2570 00:30"  # the new year, in Bangkok
    assert day(date(2026, 2, 3)) == "3 ก.พ. 2569"
    assert when(None) == "–"


def test_durations_read_naturally() -> None:
    assert duration(timedelta(minutes=5)) == "5 นาที"
    assert duration(timedelta(hours=3, minutes=20)) == "3 ชม. 20 นาที"
    assert duration(timedelta(days=2, hours=22, minutes=5)) == "2 วัน 22 ชม."
    assert duration(timedelta(hours=1), "en") == "1 h"
