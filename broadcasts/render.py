"""Staff-editable Jinja2 templates for broadcasts, rendered strictly so a mistake shows at preview, not at publish.

- StrictUndefined: a misspelt or missing field is an error, never an empty gap in a public post.
- A sandboxed, immutable environment: a template reads data, it cannot reach Python internals or change data.
- autoescape is off (the channels take plain text), and every value printed passes `scrub`, which removes
  control and invisible format characters: feed text is written by others and must not smuggle any in.
- A raw date or None printed as-is is refused: dates go through thai_date/thai_datetime, so every post
  shows Thai dates in Buddhist Era and Bangkok time.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from broadcasts import thai
from core.errors import DeskError
from core.ports import FeedReading

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SUFFIX = ".j2"
CONTEXT_NAMES = frozenset({"text", "title", "now", "scheduled_for", "channel", "late"})
KEEP = frozenset("\n\t\u200c\u200d")  # newline, tab, ZWNJ, ZWJ (emoji sequences)


class TemplateProblem(DeskError):
    """A template cannot produce a post: unknown template, syntax error, unknown name or missing field."""


def scrub(value: Any) -> str:
    """Jinja's finalize: what `{{ … }}` may print, with control and format characters removed."""
    if value is None:
        raise TemplateProblem("ค่าที่จะพิมพ์ว่างเปล่า (None): ตรวจชื่อข้อมูล หรือใช้ตัวกรองที่รองรับค่าว่าง เช่น change")
    if isinstance(value, datetime | date):
        raise TemplateProblem("พิมพ์วันเวลาตรง ๆ ไม่ได้: ใช้ตัวกรอง thai_date, thai_time หรือ thai_datetime")
    text = str(value)
    return "".join(ch for ch in text if ch in KEEP or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))


def tidy(text: str) -> str:
    """Unix newlines, no trailing spaces, at most one blank line in a row, no leading or trailing blank lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip("\n")


def _filters() -> dict[str, Any]:
    return {
        "thai_date": thai.thai_date, "thai_weekday": thai.thai_weekday, "thai_time": thai.thai_time,
        "thai_datetime": thai.thai_datetime, "thai_digits": thai.to_thai_digits, "baht": thai.baht,
        "number": thai.number, "change": thai.change,
    }


class Templates:
    """The broadcast templates in one folder (`<name>.j2`), loaded fresh so staff edits apply at once."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or TEMPLATES_DIR
        self._env = ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(self.directory), encoding="utf-8"), undefined=jinja2.StrictUndefined,
            autoescape=False, finalize=scrub, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
            auto_reload=True)
        self._env.filters.update(_filters())

    def names(self) -> list[str]:
        """The template names staff can choose (file names without .j2)."""
        return sorted(path.name.removesuffix(SUFFIX) for path in self.directory.glob(f"*{SUFFIX}"))

    def exists(self, name: str) -> bool:
        """Whether `name` is one of the folder's templates."""
        return name in self.names()

    def variables(self, name: str) -> frozenset[str]:
        """The top-level names the template reads (feeds and context); TemplateProblem on a syntax error."""
        source = self._source(name)
        try:
            found = meta.find_undeclared_variables(self._env.parse(source))
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(f"แม่แบบ {name} เขียนผิดที่บรรทัด {exc.lineno}: {exc.message}") from None
        return frozenset(found)

    def feeds_of(self, name: str, known_feeds: frozenset[str]) -> frozenset[str]:
        """The feeds template `name` uses; TemplateProblem when it reads a name that is neither feed nor context."""
        used = self.variables(name)
        unknown = used - known_feeds - CONTEXT_NAMES
        if unknown:
            raise TemplateProblem(f"แม่แบบ {name} ใช้ชื่อที่ไม่รู้จัก: {', '.join(sorted(unknown))} "
                                  f"(feeds: {', '.join(sorted(known_feeds)) or '-'})")
        return frozenset(used & known_feeds)

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        """The post text; TemplateProblem names the template and what is wrong, in Thai."""
        try:
            template = self._env.get_template(name + SUFFIX)
            return tidy(template.render(**context))
        except TemplateProblem as exc:  # raised by scrub while printing
            raise TemplateProblem(f"แม่แบบ {name}: {exc}") from None
        except jinja2.TemplateNotFound:
            raise TemplateProblem(f"ไม่พบแม่แบบ {name} ใน {self.directory.name}/") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(f"แม่แบบ {name} เขียนผิดที่บรรทัด {exc.lineno}: {exc.message}") from None
        except jinja2.UndefinedError as exc:
            raise TemplateProblem(f"แม่แบบ {name}: ไม่มีข้อมูลที่อ้างถึง ({exc.message})") from None
        except jinja2.exceptions.SecurityError as exc:
            raise TemplateProblem(f"แม่แบบ {name}: ทำสิ่งที่ไม่อนุญาต ({exc})") from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise TemplateProblem(f"แม่แบบ {name}: คำนวณไม่ได้ ({type(exc).__name__}: {exc})") from None

    def _source(self, name: str) -> str:
        path = self.directory / (name + SUFFIX)
        if not name or "/" in name or "\\" in name or not path.is_file():
            raise TemplateProblem(f"ไม่พบแม่แบบ {name!r}: มี {', '.join(self.names()) or 'ไม่มีเลย'}")
        return path.read_text(encoding="utf-8")


def feed_context(readings: Mapping[str, FeedReading]) -> dict[str, dict[str, Any]]:
    """Each reading's data plus its issue time, as the template sees it (gold.bar_sell, gold.issued_at)."""
    return {name: {**found.data, "issued_at": found.issued_at} for name, found in readings.items()}


def late_note(now: datetime, scheduled_for: datetime, late: timedelta | None) -> str:
    """The line a late post ends with, so the public sees the real time (empty when on time)."""
    if late is None:
        return ""
    return f"(เผยแพร่เวลา {thai.thai_time(now)} ช้ากว่ากำหนด {thai.thai_time(scheduled_for)})"
