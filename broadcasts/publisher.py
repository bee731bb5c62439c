"""Publishing one due occurrence on one channel: exactly once, or held or failed with a reason staff can read.

The delivery row is the outbox entry. Its life: pending → (claim: the exact text is recorded) sending → the
platform's Poster → published (with the platform's id and link), or back to pending for a retry, or failed,
or held for a person. A crash between the platform accepting a post and the row saying so leaves it in
`sending`: `reconcile` asks the platform (Poster.find_posted) before anything is sent again, and a platform
that cannot answer (Telegram) gets the occurrence held for a person, never a blind second post.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import datetime, timedelta

from broadcasts.alerts import StaffAlerts
from broadcasts.compose import Composer
from broadcasts.feeds import FeedProblem
from broadcasts.render import TemplateProblem
from broadcasts.thai import duration, thai_datetime
from core.backoff import Backoff
from core.clock import Clock
from core.domain import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, Platform
from core.errors import DuplicatePost, PublishError
from core.ports import Poster
from core.store.broadcasts import BroadcastStore

log = logging.getLogger("gcc1111.broadcasts")
LATE_NOTE_AFTER = timedelta(minutes=1)  # later than this, the post says when it really went out
IN_DOUBT = ("อาจเผยแพร่ไปแล้วก่อนระบบเริ่มใหม่ และ {channel} ตรวจย้อนหลังให้ไม่ได้: ตรวจช่องทางก่อน แล้วจึงสั่งส่งใหม่ "
            "(may have been published just before a restart and the platform cannot tell)")


def post_key(delivery: Delivery) -> str:
    """The natural key of one occurrence on one channel, handed to the Poster."""
    return f"broadcast:{delivery.broadcast_id}:{delivery.channel.value}:{delivery.scheduled_for:%Y%m%dT%H%M%SZ}"


class Publisher:
    """Turns a due delivery into a public post through its channel's Poster."""

    def __init__(self, store: BroadcastStore, composer: Composer, posters: Mapping[Platform, Poster],
                 alerts: StaffAlerts, clock: Clock, *, late_after: timedelta, max_attempts: int = 5,
                 backoff: Backoff | None = None, rng: random.Random | None = None) -> None:
        self._store = store
        self._composer = composer
        self._posters = dict(posters)
        self._alerts = alerts
        self._clock = clock
        self._late_after = late_after
        self._max_attempts = max_attempts
        self._backoff = backoff or Backoff(base_seconds=10, cap_seconds=300)
        self._rng = rng or random.Random()
        self.not_before: dict[int, datetime] = {}  # delivery id → earliest retry (a computed wait, never a sleep)

    def publish(self, delivery: Delivery, broadcast: Broadcast | None) -> DeliveryStatus | None:
        """Publish `delivery` now; its new status, or None when another scheduler claimed it first."""
        assert delivery.id is not None
        now = self._clock.now()
        if broadcast is None or broadcast.status is BroadcastStatus.CANCELLED:
            self._store.finish_delivery(delivery.id, DeliveryStatus.FAILED, error="ยกเลิกประกาศแล้ว (cancelled)")
            return DeliveryStatus.FAILED
        poster = self._posters.get(delivery.channel)
        if poster is None:
            return self._hold(delivery, broadcast, f"ยังไม่ได้ตั้งค่าช่องทาง {delivery.channel.value} "
                                                   "(no credentials for this channel)")
        late = now - delivery.scheduled_for
        if delivery.attempts == 0 and late > self._late_after:
            return self._hold(delivery, broadcast, (
                f"ถึงกำหนด {thai_datetime(delivery.scheduled_for)} แต่ระบบได้ทำงานอีกครั้งช้าไป {duration(late)} "
                f"เกินเกณฑ์ {duration(self._late_after)} จึงพักไว้ให้เจ้าหน้าที่ตัดสินใจ (late after downtime: held)"))
        text = delivery.text if delivery.attempts and delivery.text else None
        if text is None:
            try:
                text = self._composer.compose(broadcast, delivery.channel, now=now,
                                              scheduled_for=delivery.scheduled_for,
                                              readings=self._composer.live(broadcast),
                                              late=late if late > LATE_NOTE_AFTER else None)
            except FeedProblem as exc:
                return self._hold(delivery, broadcast, exc.reason)
            except TemplateProblem as exc:
                return self._hold(delivery, broadcast, str(exc))
        if not self._store.claim_delivery(delivery.id, text):
            return None
        try:
            sent = poster.post(text, post_key(delivery))
        except DuplicatePost as exc:
            return self._published(delivery, exc.existing_id, "")
        except PublishError as exc:
            return self._failed(delivery, broadcast, exc)
        return self._published(delivery, sent.platform_id, sent.url)

    def reconcile(self, delivery: Delivery, broadcast: Broadcast | None) -> DeliveryStatus | None:
        """A delivery left in `sending` by a crash: recorded if the platform has it, re-queued if it certainly
        has not, held for a person if the platform cannot tell. None: ask again later."""
        assert delivery.id is not None
        poster = self._posters.get(delivery.channel)
        if poster is None or not getattr(poster, "can_confirm", True):
            return self._hold(delivery, broadcast, IN_DOUBT.format(channel=delivery.channel.value), kind="in_doubt")
        try:
            found = poster.find_posted(post_key(delivery), delivery.text)
        except PublishError as exc:
            if exc.permanent:
                return self._hold(delivery, broadcast, f"{IN_DOUBT.format(channel=delivery.channel.value)}: {exc}",
                                  kind="in_doubt")
            log.warning("delivery %s: cannot check the platform yet (%s)", delivery.id, exc)
            return None
        if found is not None:
            log.info("delivery %s was already public before the restart: recorded, not posted again", delivery.id)
            return self._published(delivery, found.platform_id, found.url)
        self._store.finish_delivery(delivery.id, DeliveryStatus.PENDING,
                                    error="ยังไม่ได้เผยแพร่ก่อนระบบเริ่มใหม่ ส่งอีกครั้ง (not published before the restart)")
        return DeliveryStatus.PENDING

    def _published(self, delivery: Delivery, platform_id: str, url: str) -> DeliveryStatus:
        assert delivery.id is not None
        self._store.finish_delivery(delivery.id, DeliveryStatus.PUBLISHED, platform_post_id=platform_id, url=url)
        self.not_before.pop(delivery.id, None)
        return DeliveryStatus.PUBLISHED

    def _failed(self, delivery: Delivery, broadcast: Broadcast, exc: PublishError) -> DeliveryStatus:
        assert delivery.id is not None
        attempts = delivery.attempts + 1  # the claim counted this one
        if exc.permanent or attempts >= self._max_attempts:
            reason = str(exc) if exc.permanent else f"ลองแล้ว {attempts} ครั้งไม่สำเร็จ (gave up after {attempts}): {exc}"
            self._store.finish_delivery(delivery.id, DeliveryStatus.FAILED, error=reason)
            self.not_before.pop(delivery.id, None)
            self._alerts.alert("failed", delivery, reason, broadcast.title)
            return DeliveryStatus.FAILED
        delay = exc.retry_after if exc.retry_after is not None else self._backoff.delay(attempts, self._rng)
        self._store.finish_delivery(delivery.id, DeliveryStatus.PENDING, error=f"ครั้งที่ {attempts}: {exc}")
        self.not_before[delivery.id] = self._clock.now() + timedelta(seconds=delay)
        log.info("delivery %s: attempt %d failed (%s); next try in %.0f s", delivery.id, attempts, exc, delay)
        return DeliveryStatus.PENDING

    def _hold(self, delivery: Delivery, broadcast: Broadcast | None, reason: str, kind: str = "held"
              ) -> DeliveryStatus:
        assert delivery.id is not None
        self._store.finish_delivery(delivery.id, DeliveryStatus.HELD, error=reason)
        self.not_before.pop(delivery.id, None)
        self._alerts.alert(kind, delivery, reason, broadcast.title if broadcast else "")
        return DeliveryStatus.HELD
