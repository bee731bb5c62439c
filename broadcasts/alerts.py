"""Telling staff when a broadcast occurrence needs a person: a log line, an audit event, a duty-chat message."""

from __future__ import annotations

import logging

from broadcasts.thai import thai_datetime
from core.clock import Clock
from core.domain import Delivery, Platform, Reply, ReplyKind, ReplyStatus
from core.store.audit import AuditLog
from core.store.outbox import Outbox

log = logging.getLogger("gcc1111.broadcasts")
ACTOR = "broadcast-scheduler"
HEADLINES = {
    "held": "⏸ โพสต์ประกาศถูกพักไว้ รอเจ้าหน้าที่ตรวจ",
    "failed": "❌ โพสต์ประกาศไม่สำเร็จ",
    "in_doubt": "❓ โพสต์ประกาศอาจเผยแพร่ไปแล้วก่อนระบบเริ่มใหม่ โปรดตรวจช่องทาง",
}


class StaffAlerts:
    """One alert per occurrence and kind: logged, audited, and sent to the duty chat through the outbox."""

    def __init__(self, audit: AuditLog, clock: Clock, outbox: Outbox | None = None, duty_chat_id: str = "") -> None:
        self._audit = audit
        self._clock = clock
        self._outbox = outbox
        self._duty_chat_id = duty_chat_id

    def alert(self, kind: str, delivery: Delivery, reason: str, title: str = "") -> None:
        """Record that `delivery` needs a person (`kind`: held, failed or in_doubt) and why."""
        log.warning("broadcast %s on %s at %s %s: %s", delivery.broadcast_id, delivery.channel.value,
                    delivery.scheduled_for.isoformat(), kind, reason)
        self._audit.record(ACTOR, f"broadcast.{kind}", f"delivery:{delivery.id}", broadcast_id=delivery.broadcast_id,
                           channel=delivery.channel.value, scheduled_for=delivery.scheduled_for.isoformat(),
                           reason=reason[:1000])
        if self._outbox is None or not self._duty_chat_id:
            return
        text = (f"{HEADLINES.get(kind, kind)}\n"
                f"ประกาศ #{delivery.broadcast_id}{f' «{title}»' if title else ''} ทาง {delivery.channel.value}\n"
                f"กำหนดเวลา {thai_datetime(delivery.scheduled_for)}\n"
                f"สาเหตุ: {reason[:600]}\n"
                f"ดูด้วยคำสั่ง: gcc1111 broadcast list")
        self._outbox.enqueue(Reply(key=f"broadcast-alert:{delivery.id}:{kind}", kind=ReplyKind.ALERT,
                                   platform=Platform.TELEGRAM, target=f"chat:{self._duty_chat_id}", text=text,
                                   status=ReplyStatus.PENDING, created_at=self._clock.now()))
