"""Staff actions on broadcasts: create, preview, approve (four eyes, or an audited emergency), cancel, release.

Every action, refused ones included, lands in the audit log. Approval re-runs the preview: a template error
or a missing field is refused here, at approval, and never found out at publish time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NoReturn

from broadcasts.occurrences import crontab_trigger
from broadcasts.preview import Previewer
from broadcasts.render import Templates
from broadcasts.thai import thai_datetime
from core.clock import Clock
from core.domain import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, Platform, Role, User
from core.ports import BroadcastPreview
from core.store.audit import AuditLog
from core.store.broadcasts import BroadcastRuleError, BroadcastStore
from core.store.users import UserStore

AUTHORS = frozenset({Role.PR, Role.APPROVER, Role.ADMIN})
APPROVERS = frozenset({Role.APPROVER, Role.ADMIN})
POSTABLE = frozenset({Platform.FACEBOOK, Platform.TWITTER, Platform.TELEGRAM})
OPEN = (BroadcastStatus.DRAFT, BroadcastStatus.APPROVED, BroadcastStatus.SCHEDULED)
TITLE_LENGTH = 80


class BroadcastWorkflow:
    """The one way staff (CLI, dashboard) change broadcasts."""

    def __init__(self, store: BroadcastStore, users: UserStore, audit: AuditLog, previewer: Previewer,
                 templates: Templates, clock: Clock, *, late_after: timedelta) -> None:
        self._store = store
        self._users = users
        self._audit = audit
        self._previewer = previewer
        self._templates = templates
        self._clock = clock
        self._late_after = late_after

    def create(self, *, by: str, channels: Sequence[Platform], text: str = "", template: str = "",
               run_at: datetime | None = None, cron: str = "", title: str = "") -> Broadcast:
        """A new draft; refused (BroadcastRuleError, in Thai) when it could never be published as asked."""
        self._user(by, AUTHORS, "สร้างประกาศ")
        chosen = tuple(dict.fromkeys(channels))
        if not chosen or not set(chosen) <= POSTABLE:
            raise BroadcastRuleError("เลือกช่องทางได้เฉพาะ telegram, facebook, twitter อย่างน้อยหนึ่งช่องทาง")
        if not text.strip() and not template:
            raise BroadcastRuleError("ต้องมีข้อความ (--text) หรือแม่แบบ (--template)")
        if template and not self._templates.exists(template):
            raise BroadcastRuleError(f"ไม่พบแม่แบบ {template!r}: มี {', '.join(self._templates.names())}")
        if (run_at is None) == (not cron):
            raise BroadcastRuleError("กำหนดเวลาอย่างใดอย่างหนึ่ง: ครั้งเดียว (--at) หรือซ้ำตาม cron (--cron)")
        if run_at is not None and run_at.tzinfo is None:
            raise BroadcastRuleError("เวลาต้องระบุเขตเวลา (pass an aware datetime)")
        if run_at is not None and run_at < self._clock.now() - self._late_after:
            raise BroadcastRuleError(f"เวลา {thai_datetime(run_at)} ผ่านไปแล้ว")
        if cron:
            try:
                crontab_trigger(cron)
            except ValueError as exc:
                raise BroadcastRuleError(str(exc)) from None
        made = self._store.create(Broadcast(
            title=(title or _title_from(text, template))[:TITLE_LENGTH], channels=chosen, status=BroadcastStatus.DRAFT,
            author=by, created_at=self._clock.now(), text=text.strip(), template=template, run_at=run_at, cron=cron))
        self._audit.record(by, "broadcast.create", _target(made), channels=[c.value for c in chosen],
                           template=template, run_at=run_at.isoformat() if run_at else "", cron=cron)
        return made

    def listing(self, statuses: Sequence[BroadcastStatus] = (), limit: int = 50
                ) -> list[tuple[Broadcast, list[Delivery]]]:
        """Broadcasts newest first, each with its deliveries (what `broadcast list` and the desk show)."""
        found = self._store.with_status(*statuses, limit=limit)
        return [(b, self._store.deliveries(b.id)) for b in found if b.id is not None]

    def preview(self, broadcast_id: int) -> BroadcastPreview:
        """Each channel's text, length and warnings as they would be now; `error` blocks approval."""
        return self._previewer.preview(self._must(broadcast_id))

    def approve(self, broadcast_id: int, by: str, *, emergency: bool = False) -> Broadcast:
        """Four eyes: a second person approves. An emergency skips that only for users allowed to, audited."""
        broadcast = self._must(broadcast_id)
        if not emergency and by == broadcast.author:
            self._refuse(by, broadcast, "ผู้เขียนอนุมัติประกาศของตนเองไม่ได้: ต้องเป็นอีกคนหนึ่ง "
                                        "(the author cannot approve their own broadcast: a second person must)")
        try:
            user = self._user(by, APPROVERS if not emergency else frozenset(Role), "อนุมัติประกาศ")
        except BroadcastRuleError as exc:
            self._refuse(by, broadcast, str(exc), emergency=emergency)
        if emergency and not user.can_emergency_post:
            self._refuse(by, broadcast, "ผู้ใช้นี้ไม่มีสิทธิ์โพสต์เร่งด่วนโดยไม่ผ่านผู้อนุมัติคนที่สอง", emergency=True)
        preview = self._previewer.preview(broadcast)
        if not preview.ok:
            self._refuse(by, broadcast, f"แม่แบบมีปัญหา แก้ก่อนอนุมัติ: {preview.error}", emergency=emergency)
        if broadcast.run_at is not None and broadcast.run_at < self._clock.now() - self._late_after:
            self._refuse(by, broadcast, f"เลยเวลา {thai_datetime(broadcast.run_at)} มานานแล้ว: "
                                        "สร้างประกาศใหม่พร้อมเวลาใหม่", emergency=emergency)
        try:
            approved = (self._store.approve_emergency(broadcast_id, by) if emergency
                        else self._store.approve(broadcast_id, by))
        except BroadcastRuleError as exc:
            self._refuse(by, broadcast, str(exc), emergency=emergency)
        action = "broadcast.emergency_approve" if emergency else "broadcast.approve"
        self._audit.record(by, action, _target(approved), author=broadcast.author,
                           channels=[c.value for c in approved.channels],
                           warnings=[w for c in preview.channels for w in c.warnings])
        return approved

    def cancel(self, broadcast_id: int, by: str, reason: str = "") -> Broadcast:
        """Stop a broadcast that has not finished: its waiting and held occurrences will not be published."""
        broadcast = self._must(broadcast_id)
        self._user(by, AUTHORS, "ยกเลิกประกาศ")
        if not self._store.set_status(broadcast_id, BroadcastStatus.CANCELLED, only_from=OPEN):
            self._refuse(by, broadcast, f"ยกเลิกไม่ได้: ประกาศนี้อยู่ในสถานะ {broadcast.status.value} แล้ว",
                         action="broadcast.cancel_refused")
        for delivery in self._store.deliveries(broadcast_id, DeliveryStatus.PENDING, DeliveryStatus.HELD):
            assert delivery.id is not None
            self._store.finish_delivery(delivery.id, DeliveryStatus.FAILED, error=f"ยกเลิกโดย {by} (cancelled)")
        self._audit.record(by, "broadcast.cancel", _target(broadcast), reason=reason)
        return self._must(broadcast_id)

    def release(self, delivery_id: int, by: str) -> int:
        """A person decided a held occurrence should go out after all: it is planned again for now."""
        self._user(by, APPROVERS, "สั่งเผยแพร่ประกาศที่พักไว้")
        held = next((d for d in self._store.deliveries(None, DeliveryStatus.HELD) if d.id == delivery_id), None)
        if held is None:
            raise BroadcastRuleError(f"ไม่มีรายการที่พักไว้หมายเลข {delivery_id}")
        broadcast = self._must(held.broadcast_id)
        if broadcast.status not in (BroadcastStatus.APPROVED, BroadcastStatus.SCHEDULED):
            raise BroadcastRuleError(f"ประกาศ #{broadcast.id} อยู่ในสถานะ {broadcast.status.value}: ส่งไม่ได้")
        now = self._clock.now()
        self._store.plan(held.broadcast_id, held.channel, now)
        self._store.finish_delivery(delivery_id, DeliveryStatus.FAILED, error=f"ส่งใหม่โดย {by} เมื่อ {thai_datetime(now)}")
        self._audit.record(by, "broadcast.release", f"delivery:{delivery_id}", broadcast_id=held.broadcast_id,
                           channel=held.channel.value, reason=held.error[:500])
        return held.broadcast_id

    # --- helpers ------------------------------------------------------------------------------------------
    def _user(self, username: str, roles: frozenset[Role], doing: str) -> User:
        user = self._users.get(username)
        if user is None or not user.active:
            raise BroadcastRuleError(f"ไม่พบผู้ใช้ {username!r} ที่ใช้งานอยู่: {doing}ไม่ได้")
        if user.role not in roles:
            raise BroadcastRuleError(f"ผู้ใช้ {username} ({user.role.value}) ไม่มีสิทธิ์{doing}")
        return user

    def _refuse(self, by: str, broadcast: Broadcast, reason: str, *, emergency: bool = False,
                action: str = "") -> NoReturn:
        name = action or ("broadcast.emergency_refused" if emergency else "broadcast.approve_refused")
        self._audit.record(by, name, _target(broadcast), reason=reason[:1000])
        raise BroadcastRuleError(reason)

    def _must(self, broadcast_id: int) -> Broadcast:
        found = self._store.get(broadcast_id)
        if found is None:
            raise BroadcastRuleError(f"ไม่พบประกาศหมายเลข {broadcast_id}")
        return found


def _target(broadcast: Broadcast) -> str:
    return f"broadcast:{broadcast.id}"


def _title_from(text: str, template: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first or f"แม่แบบ {template}"
