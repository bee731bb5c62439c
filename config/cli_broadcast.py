"""`gcc1111 broadcast …`: create, list, preview, approve, cancel and release broadcasts (Bangkok times on screen)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from broadcasts.occurrences import next_occurrence
from broadcasts.thai import thai_datetime
from config.broadcast_wiring import Broadcasting, build_broadcasting
from config.settings import load_settings
from core.clock import BANGKOK, SystemClock
from core.domain import Broadcast, BroadcastStatus, DeliveryStatus, Platform
from core.errors import DeskError
from core.store import Store

out = Console()
ALIASES = {"x": Platform.TWITTER, "twitter": Platform.TWITTER, "facebook": Platform.FACEBOOK, "fb": Platform.FACEBOOK,
           "telegram": Platform.TELEGRAM, "tg": Platform.TELEGRAM}
STATUS_TH = {"draft": "ร่าง", "approved": "อนุมัติแล้ว", "scheduled": "ตั้งเวลาแล้ว", "published": "เผยแพร่แล้ว",
             "failed": "ไม่สำเร็จ", "cancelled": "ยกเลิก"}
MARKS = {DeliveryStatus.PENDING: "…", DeliveryStatus.SENDING: "↑", DeliveryStatus.PUBLISHED: "✓",
         DeliveryStatus.HELD: "⏸", DeliveryStatus.FAILED: "✗"}


@contextmanager
def _desk() -> Iterator[Broadcasting]:
    """The store and the broadcast side for one command (no Posters: the CLI never publishes)."""
    settings = load_settings()
    store = Store.open(settings.store_url, SystemClock())
    try:
        yield build_broadcasting(settings, store, store.clock, {}, holder="cli")
    except DeskError as exc:
        sys.stderr.write(f"gcc1111: {exc}\n")
        raise typer.Exit(code=1) from None
    finally:
        store.close()


def parse_channels(value: str) -> list[Platform]:
    """ "telegram,facebook,x" as platforms; a bad name is a usage error (exit code 2)."""
    chosen = []
    for word in value.split(","):
        if not word.strip():
            continue
        platform = ALIASES.get(word.strip().lower())
        if platform is None:
            raise typer.BadParameter(f"unknown channel {word.strip()!r}: telegram, facebook, twitter (or x)")
        chosen.append(platform)
    return chosen


def parse_time(value: str) -> datetime:
    """ISO 8601; without an offset the time is read as Bangkok time (what staff mean); "now" is now."""
    if value.strip().lower() == "now":
        return datetime.now(BANGKOK)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"not an ISO time: {value!r} (e.g. 2026-12-05T09:00 for 09:00 Bangkok)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BANGKOK)


def create(
    channels: Annotated[str, typer.Option(help="comma-separated: telegram,facebook,twitter")],
    by: Annotated[str, typer.Option(help="the author's staff login")],
    text: Annotated[str, typer.Option(help="the post's text (or the text an announcement template shows)")] = "",
    template: Annotated[str, typer.Option(help="a template in broadcasts/templates/, e.g. gold, oil, weather")] = "",
    at: Annotated[str, typer.Option(help="one-off time, ISO 8601; without offset it is Bangkok time; or 'now'")] = "",
    cron: Annotated[str, typer.Option(help='recurrence, crontab in Asia/Bangkok, e.g. "30 9 * * 1-5"')] = "",
    title: Annotated[str, typer.Option(help="a short name staff see (default: the text's first line)")] = "",
) -> None:
    """Create a draft broadcast (it waits for a second person's approval)."""
    with _desk() as desk:
        made = desk.workflow.create(by=by, channels=parse_channels(channels), text=text, template=template,
                                    run_at=parse_time(at) if at else None, cron=cron, title=title)
        assert made.id is not None
        out.print(f"สร้างร่างประกาศ #{made.id} แล้ว: {made.title} (created draft #{made.id})")
        _show_preview(desk, made.id)
        out.print(f"ขั้นต่อไป: ให้อีกคนอนุมัติ  gcc1111 broadcast approve {made.id} --by <ผู้อนุมัติ>")


def list_broadcasts(
    status: Annotated[list[BroadcastStatus] | None, typer.Option(help="only these statuses (repeatable)")] = None,
    limit: Annotated[int, typer.Option(help="how many, newest first")] = 50,
) -> None:
    """List broadcasts, newest first, with each channel's outcome."""
    with _desk() as desk:
        table = Table("#", "สถานะ", "ชื่อ", "ช่องทาง", "เวลา (เวลาไทย)", "ผู้เขียน", "ผู้อนุมัติ", "ผลการส่ง")
        for broadcast, deliveries in desk.workflow.listing(status or [], limit):
            outcomes = " ".join(f"{d.channel.value}{MARKS[d.status]}#{d.id}" for d in deliveries[-6:])
            approver = broadcast.approver + (" (เร่งด่วน)" if broadcast.emergency else "")
            table.add_row(str(broadcast.id), STATUS_TH[broadcast.status.value], broadcast.title[:40],
                          ",".join(c.value for c in broadcast.channels), _when(broadcast), broadcast.author, approver,
                          outcomes)
        out.print(table)
        out.print("✓ เผยแพร่แล้ว  ⏸ พักไว้รอเจ้าหน้าที่  ✗ ไม่สำเร็จ  … รอเวลา  ↑ กำลังส่ง")


def preview(broadcast_id: Annotated[int, typer.Argument(help="the broadcast's number")]) -> None:
    """Show each channel's text as it would go out now, its length by that platform's rules, and warnings."""
    with _desk() as desk:
        if not _show_preview(desk, broadcast_id):
            raise typer.Exit(code=1)


def approve(
    broadcast_id: Annotated[int, typer.Argument(help="the broadcast's number")],
    by: Annotated[str, typer.Option(help="the approver's staff login (not the author)")],
    emergency: Annotated[bool, typer.Option(help="skip the second approver (only users allowed to; audited)")] = False,
) -> None:
    """Approve a draft: a different person from its author, or an allowed user in an emergency."""
    with _desk() as desk:
        approved = desk.workflow.approve(broadcast_id, by, emergency=emergency)
        kind = "แบบเร่งด่วน (emergency, audited)" if emergency else "แล้ว"
        out.print(f"อนุมัติประกาศ #{approved.id} {kind} โดย {by}: {_when(approved)}")


def cancel(
    broadcast_id: Annotated[int, typer.Argument(help="the broadcast's number")],
    by: Annotated[str, typer.Option(help="who cancels (staff login)")],
    reason: Annotated[str, typer.Option(help="why, for the audit log")] = "",
) -> None:
    """Cancel a broadcast: nothing more of it is published."""
    with _desk() as desk:
        cancelled = desk.workflow.cancel(broadcast_id, by, reason)
        out.print(f"ยกเลิกประกาศ #{cancelled.id} แล้ว (cancelled)")


def release(
    delivery_id: Annotated[int, typer.Argument(help="the held delivery's number (the #n after ⏸ in list)")],
    by: Annotated[str, typer.Option(help="the approver deciding it should go out now")],
) -> None:
    """Publish a held occurrence now, after a person checked it (stale data refreshed, or not posted yet)."""
    with _desk() as desk:
        broadcast_id = desk.workflow.release(delivery_id, by)
        out.print(f"สั่งเผยแพร่รายการ #{delivery_id} ของประกาศ #{broadcast_id} ใหม่แล้ว: ตัวตั้งเวลาจะส่งทันที")


def _show_preview(desk: Broadcasting, broadcast_id: int) -> bool:
    shown = desk.workflow.preview(broadcast_id)
    for note in shown.notes:
        out.print(f"ℹ {note}")
    if shown.error:
        out.print(f"✗ แม่แบบใช้ไม่ได้ (cannot be approved): {shown.error}")
        return False
    for channel in shown.channels:
        mark = "✓" if channel.fits else "⚠"
        out.print(f"── {channel.channel.value}: {channel.length:,}/{channel.limit:,} {mark}", markup=False)
        out.print(channel.text, markup=False, highlight=False)
        for warning in channel.warnings:
            out.print(f"⚠ {warning}", markup=False)
    return True


def _when(broadcast: Broadcast) -> str:
    if broadcast.cron:
        upcoming = next_occurrence(broadcast, datetime.now(BANGKOK))
        following = f", ครั้งถัดไป {thai_datetime(upcoming)}" if upcoming else ""
        return f"cron {broadcast.cron} (Asia/Bangkok){following}"
    return thai_datetime(broadcast.run_at) if broadcast.run_at else ""


def register(app: typer.Typer) -> None:
    """Add the `broadcast` command group to the gcc1111 CLI."""
    group = typer.Typer(help="Broadcasts: planned public posts on Facebook, X and Telegram.", no_args_is_help=True)
    commands: dict[str, Callable[..., None]] = {"create": create, "list": list_broadcasts, "preview": preview,
                                                "approve": approve, "cancel": cancel, "release": release}
    for name, command in commands.items():
        group.command(name)(command)
    app.add_typer(group, name="broadcast")
