"""What staff see before approving: each channel's text, its length as that platform counts, and warnings."""

from __future__ import annotations

from datetime import datetime

from broadcasts.compose import Composer
from broadcasts.feeds import FeedProblem
from broadcasts.occurrences import crontab_trigger, next_occurrence
from broadcasts.render import TemplateProblem
from core.clock import Clock
from core.domain import Broadcast, Platform
from core.lengths import LIMITS, find_urls, measure
from core.ports import BroadcastPreview, ChannelPreview, FeedReading

CHANNEL_NAMES = {Platform.TWITTER: "X", Platform.FACEBOOK: "Facebook", Platform.TELEGRAM: "Telegram"}


class Previewer:
    """Implements core.ports.BroadcastPreviewer: the dashboard and the CLI show exactly this."""

    def __init__(self, composer: Composer, clock: Clock) -> None:
        self._composer = composer
        self._clock = clock

    def preview(self, broadcast: Broadcast) -> BroadcastPreview:
        """Render for every channel; a template error is the preview's `error` and blocks approval."""
        try:
            self._composer.check(broadcast)
            if broadcast.cron:
                crontab_trigger(broadcast.cron)
        except (TemplateProblem, ValueError) as exc:
            return BroadcastPreview(error=str(exc))
        readings, notes = self._readings(broadcast)
        now = self._clock.now()
        when = _next_time(broadcast, now) or now
        channels: list[ChannelPreview] = []
        for channel in broadcast.channels:
            try:
                text = self._composer.compose(broadcast, channel, now=when, scheduled_for=when, readings=readings)
            except TemplateProblem as exc:
                return BroadcastPreview(error=str(exc), notes=tuple(notes))
            channels.append(_measured(broadcast, channel, text))
        return BroadcastPreview(tuple(channels), notes=tuple(notes))

    def _readings(self, broadcast: Broadcast) -> tuple[dict[str, FeedReading], list[str]]:
        """Live data where it is usable now; otherwise the feed's sample, so the template is still checked."""
        readings: dict[str, FeedReading] = {}
        notes: list[str] = []
        feeds = self._composer.feeds
        for name in sorted(self._composer.feeds_of(broadcast)):
            try:
                readings[name] = feeds.fresh(name)
            except FeedProblem as exc:
                readings[name] = feeds.sample(name)
                notes.append(f"{exc.reason} — ตัวอย่างนี้ใช้ข้อมูลตัวอย่าง ถ้ายังเป็นเช่นนี้เมื่อถึงเวลา โพสต์จะถูกพักไว้ให้"
                             "เจ้าหน้าที่ตรวจ (preview uses sample data; at publish time the post would be held)")
        return readings, notes


def _next_time(broadcast: Broadcast, now: datetime) -> datetime | None:
    try:
        return next_occurrence(broadcast, now)
    except ValueError:  # a broken cron: check() reports it; the preview still shows the words
        return None


def _measured(broadcast: Broadcast, channel: Platform, text: str) -> ChannelPreview:
    length, limit = measure(channel, text), LIMITS[channel]
    name = CHANNEL_NAMES[channel]
    warnings: list[str] = []
    if length > limit:
        warnings.append(f"ยาว {length:,}/{limit:,} ตามการนับของ {name}: ส่วนเกินจะถูกตัดท้ายเป็น … "
                        f"(too long for {name}; it would be shortened)")
    if channel is Platform.TWITTER:
        links = find_urls(text)
        if links:
            warnings.append(f"ลิงก์ {len(links)} รายการ นับเป็น 23 ตัวอักษรต่อลิงก์บน X (each link counts 23 on X)")
        if broadcast.cron and not broadcast.template:
            warnings.append("ข้อความเหมือนกันทุกครั้ง: X ไม่รับโพสต์ซ้ำ รอบต่อไปจะนับเป็นโพสต์เดิม "
                            "(X refuses duplicate text: repeats count as the earlier post)")
    return ChannelPreview(channel, text, length, limit, tuple(warnings))
