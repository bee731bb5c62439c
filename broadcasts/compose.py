"""The exact words of one broadcast on one channel at one moment: its text, or its template over live feeds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from broadcasts.feeds import FeedSet
from broadcasts.render import TemplateProblem, Templates, feed_context, late_note, scrub, tidy
from core.domain import Broadcast, Platform
from core.ports import FeedReading


class Composer:
    """Checks a broadcast's template and builds its text for a channel; shared by preview and publish."""

    def __init__(self, templates: Templates, feeds: FeedSet) -> None:
        self.templates = templates
        self.feeds = feeds

    def feeds_of(self, broadcast: Broadcast) -> frozenset[str]:
        """The feeds the broadcast's template reads (none for a plain text); TemplateProblem if it is broken."""
        if not broadcast.template:
            return frozenset()
        return self.templates.feeds_of(broadcast.template, self.feeds.names)

    def check(self, broadcast: Broadcast) -> None:
        """What can be known without data: the template exists, parses, reads only known names, has its text."""
        if not broadcast.template and not broadcast.text.strip():
            raise TemplateProblem("ไม่มีข้อความและไม่มีแม่แบบ: ใส่ --text หรือ --template")
        if not broadcast.template:
            return
        self.feeds_of(broadcast)
        if "text" in self.templates.variables(broadcast.template) and not broadcast.text.strip():
            raise TemplateProblem(f"แม่แบบ {broadcast.template} ใช้ข้อความประกาศ: ใส่ --text ด้วย")

    def live(self, broadcast: Broadcast) -> dict[str, FeedReading]:
        """Fresh readings of every feed the template uses; FeedProblem (held, never published) otherwise."""
        return {name: self.feeds.fresh(name) for name in sorted(self.feeds_of(broadcast))}

    def compose(self, broadcast: Broadcast, channel: Platform, *, now: datetime, scheduled_for: datetime,
                readings: Mapping[str, FeedReading], late: timedelta | None = None) -> str:
        """The post text; TemplateProblem when the template cannot render or renders nothing."""
        if broadcast.template:
            context = {**feed_context(readings), "text": broadcast.text, "title": broadcast.title, "now": now,
                       "scheduled_for": scheduled_for, "channel": channel.value, "late": late}
            body = self.templates.render(broadcast.template, context)
        else:
            body = tidy(scrub(broadcast.text))
        if not body.strip():
            raise TemplateProblem("ข้อความที่ได้ว่างเปล่า (the post would be empty)")
        note = late_note(now, scheduled_for, late)
        return f"{body}\n\n{note}" if note else body
