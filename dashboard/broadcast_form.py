"""The broadcast editor's form: what staff typed, read as Bangkok local time and stored as UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.clock import BANGKOK
from core.domain import Broadcast, BroadcastStatus, Platform

CHANNELS = (Platform.FACEBOOK, Platform.TWITTER, Platform.TELEGRAM)
MAX_TEXT = 20_000
MAX_TITLE = 80
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
THAI_WEEKDAYS = ("วันจันทร์", "วันอังคาร", "วันพุธ", "วันพฤหัสบดี", "วันศุกร์", "วันเสาร์", "วันอาทิตย์")
EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class FormProblem(ValueError):
    """A field that cannot be read; its message key is in the catalogue."""


@dataclass(frozen=True)
class DraftForm:
    """The editor's fields as typed; `run_at` is Bangkok local time as the browser sent it."""

    title: str = ""
    text: str = ""
    template: str = ""
    channels: tuple[Platform, ...] = ()
    timing: str = "once"  # "once" or "cron"
    run_at_local: str = ""
    cron: str = ""

    @classmethod
    def read(cls, field: dict[str, list[str]]) -> DraftForm:
        """From the posted form; unknown channels are dropped, long text cut to the limits."""
        def one(name: str) -> str:
            values = field.get(name)
            return values[0] if values else ""

        chosen = tuple(p for p in CHANNELS if p.value in field.get("channels", []))
        return cls(title=one("title").strip()[:MAX_TITLE], text=one("text")[:MAX_TEXT],
                   template=one("template").strip(), channels=chosen,
                   timing="cron" if one("timing") == "cron" else "once",
                   run_at_local=one("run_at").strip(), cron=" ".join(one("cron").split()))

    def run_at(self) -> datetime | None:
        """The one-off moment in UTC; FormProblem when missing or unreadable."""
        if self.timing != "once":
            return None
        if not self.run_at_local:
            raise FormProblem("broadcasts.need_time")
        try:
            local = datetime.strptime(self.run_at_local, LOCAL_FORMAT)
        except ValueError:
            raise FormProblem("broadcasts.bad_time") from None
        return local.replace(tzinfo=BANGKOK).astimezone(UTC)

    def recurrence(self) -> str:
        return self.cron if self.timing == "cron" else ""

    def draft(self, author: str, now: datetime) -> Broadcast:
        """An unsaved broadcast for the preview (an unreadable time previews as "now")."""
        try:
            run_at = self.run_at()
        except FormProblem:
            run_at = now if self.timing == "once" else None
        return Broadcast(title=self.title or "…", channels=self.channels, status=BroadcastStatus.DRAFT,
                         author=author, created_at=now, text=self.text, template=self.template,
                         run_at=run_at, cron=self.recurrence())


def weekday(moment: datetime, lang: str) -> str:
    """'วันจันทร์' or 'Mon' for a moment, in Bangkok."""
    index = moment.astimezone(BANGKOK).weekday()
    return EN_WEEKDAYS[index] if lang == "en" else THAI_WEEKDAYS[index]
