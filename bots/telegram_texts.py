"""What the Telegram bot says: Thai first, English alongside; dates in the Buddhist Era, Bangkok time."""

from __future__ import annotations

from datetime import datetime

from core.agencies import AgencyDirectory
from core.clock import BANGKOK
from core.domain import Case, CaseStatus
from core.privacy import redact

START = (
    "สวัสดีค่ะ ศูนย์บริการข้อมูลภาครัฐเพื่อประชาชน 1111 ยินดีให้บริการ\n"
    "พิมพ์คำถามหรือเรื่องร้องเรียนได้เลย ระบบจะตอบคำถามหรือออกเลขที่เรื่องและส่งต่อหน่วยงานให้ภายในไม่กี่วินาที\n"
    "ติดตามเรื่อง: /status เลขที่เรื่อง (เช่น /status GCC-2611-000123)\n"
    "เหตุฉุกเฉิน โทร 191 (ตำรวจ) 199 (ดับเพลิง) 1669 (เจ็บป่วยฉุกเฉิน)\n\n"
    "Hello, this is the Government Contact Center 1111.\n"
    "Type your question or complaint: we answer it, or register a case with the right agency, within seconds.\n"
    "Follow a case: /status <case number>. Emergencies: call 191, 199 or 1669."
)
HELP = (
    "วิธีใช้งาน\n"
    "• พิมพ์คำถาม เช่น \"บัตรประชาชนหายต้องทำอย่างไร\" เพื่อรับคำตอบ\n"
    "• แจ้งปัญหา เช่น \"ไฟถนนดับทั้งซอย\" ระบบจะออกเลขที่เรื่องและส่งต่อหน่วยงาน\n"
    "• /status เลขที่เรื่อง เพื่อดูสถานะเรื่องของท่าน\n"
    "• กรุณาอย่าส่งเลขบัตรประชาชนหรือข้อมูลส่วนตัวทางแชต\n"
    "• สอบถามทางโทรศัพท์ โทร 1111 ได้ตลอด 24 ชั่วโมง\n\n"
    "How to use\n"
    "• Ask a question, e.g. \"I lost my ID card, what should I do?\"\n"
    "• Report a problem, e.g. \"The street lights are out\": you get a case number and we route it.\n"
    "• /status <case number> shows your case.\n"
    "• Please do not send ID numbers or other personal data here. Phone: 1111, 24 hours."
)
COORDINATOR_HELP = (
    "\n\nสำหรับผู้ประสานงานหน่วยงาน (Coordinators)\n"
    "/cases เรื่องที่ยังไม่แล้วเสร็จของหน่วยงาน (open cases)\n"
    "/ack เลขที่เรื่อง รับดำเนินการ (acknowledge)\n"
    "/note เลขที่เรื่อง ข้อความ บันทึกความคืบหน้า (add a note)\n"
    "/resolve เลขที่เรื่อง [บันทึก] แจ้งว่าแก้ไขแล้ว ประชาชนจะได้รับแจ้งอัตโนมัติ (resolve; the citizen is told)"
)
THROTTLED = (
    "ขออภัย ท่านส่งข้อความถี่เกินไป กรุณารอสักครู่แล้วส่งใหม่อีกครั้ง ข้อความที่ส่งเกินจะไม่ได้รับการตอบ\n"
    "Sorry, you are sending messages too quickly. Please wait a minute and try again."
)
STATUS_USAGE = (
    "กรุณาพิมพ์ /status ตามด้วยเลขที่เรื่อง เช่น /status GCC-2611-000123\n"
    "Please type /status followed by your case number, e.g. /status GCC-2611-000123."
)
STATUS_NOT_FOUND = (
    "ไม่พบเรื่องเลขที่นี้ที่ท่านแจ้งผ่านช่องทางนี้ กรุณาตรวจสอบเลขที่เรื่อง หรือโทร 1111\n"
    "We could not find this case among the ones you reported here. Please check the number or call 1111."
)
NOT_COORDINATOR = (
    "คำสั่งนี้สำหรับผู้ประสานงานหน่วยงานเท่านั้น\nThis command is for agency coordinators only."
)
UNKNOWN_COMMAND = "ไม่รู้จักคำสั่งนี้ พิมพ์ /help เพื่อดูวิธีใช้งาน\nUnknown command: type /help."
TRY_AGAIN = (
    "ขออภัย ระบบขัดข้องชั่วคราว กรุณาส่งข้อความอีกครั้งในอีกสักครู่ หรือโทร 1111\n"
    "Sorry, something went wrong on our side. Please send your message again shortly, or call 1111."
)
NO_OPEN_CASES = "ไม่มีเรื่องค้างดำเนินการของหน่วยงาน\nNo open cases for your agency."
CASE_NOT_FOUND = "ไม่พบเรื่องเลขที่นี้ในหน่วยงานของท่าน\nNo such case in your agency."
ACK_BUTTON = "รับดำเนินการ (Acknowledge)"
RESOLVE_BUTTON = "แก้ไขแล้ว (Resolve)"

STATUS_TH = {
    CaseStatus.NEW: "รับเรื่องแล้ว",
    CaseStatus.ROUTED: "ส่งต่อหน่วยงานแล้ว",
    CaseStatus.IN_PROGRESS: "หน่วยงานกำลังดำเนินการ",
    CaseStatus.RESOLVED: "แก้ไขแล้ว",
    CaseStatus.CLOSED: "ปิดเรื่องแล้ว",
}
STATUS_EN = {
    CaseStatus.NEW: "received",
    CaseStatus.ROUTED: "passed to the agency",
    CaseStatus.IN_PROGRESS: "in progress at the agency",
    CaseStatus.RESOLVED: "resolved",
    CaseStatus.CLOSED: "closed",
}


def thai_time(moment: datetime) -> str:
    """Bangkok time with a Buddhist Era year, e.g. 24/11/2569 09:00 น."""
    local = moment.astimezone(BANGKOK)
    return f"{local.day:02d}/{local.month:02d}/{local.year + 543} {local:%H:%M} น."


def citizen_status(case: Case, agencies: AgencyDirectory) -> str:
    """The /status answer for the citizen who filed the case (no other person's words, no staff notes)."""
    agency = agencies.get(case.agency)
    return (
        f"เรื่องเลขที่ {case.tracking_number}\n"
        f"สถานะ: {STATUS_TH[case.status]}\n"
        f"หน่วยงาน: {agency.name_th if agency else 'อยู่ระหว่างพิจารณาหน่วยงาน'}\n"
        f"รับเรื่องเมื่อ: {thai_time(case.created_at)}\n"
        f"ปรับปรุงล่าสุด: {thai_time(case.updated_at)}\n\n"
        f"Case {case.tracking_number}: {STATUS_EN[case.status]}"
        f"{' (' + agency.name_en + ')' if agency else ''}, last updated {thai_time(case.updated_at)}."
    )


def coordinator_line(case: Case, now: datetime) -> str:
    """One case as a coordinator sees it in /cases: number, status, due time (Bangkok), the post (redacted)."""
    late = " ⚠️ เกินกำหนด (overdue)" if case.sla_due_at < now else ""
    urgent = " 🚨 ด่วน" if case.urgent else ""
    excerpt = " ".join(redact(case.summary).split())[:200]
    return (f"{case.tracking_number}{urgent}\nสถานะ: {STATUS_TH[case.status]}\n"
            f"ครบกำหนด: {thai_time(case.sla_due_at)}{late}\nข้อความ: {excerpt}")


def action_note(case: Case, who: str, now: datetime) -> str:
    """The line added under a case message after a coordinator acted on it."""
    return f"\n\n✅ {STATUS_TH[case.status]} โดย {who} เมื่อ {thai_time(now)}"
