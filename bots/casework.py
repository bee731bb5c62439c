"""What an agency coordinator may do with a case from Telegram: acknowledge, add a note, resolve; each audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bots.notify import CitizenNotifier
from core.domain import Case, CaseStatus
from core.store.audit import AuditLog
from core.store.cases import OPEN_STATUSES, CaseStore, CaseTransitionError

NUMBER = re.compile(r"GCC-\d{4}-\d{6}", re.IGNORECASE)


@dataclass(frozen=True)
class Outcome:
    """What happened, for the reply in the coordinator's chat."""

    case: Case | None
    done: bool
    problem: str = ""  # Thai, shown to the coordinator when nothing was done


class CaseDesk:
    """Coordinator actions on their own agency's cases; the citizen is told when a case is resolved."""

    def __init__(self, cases: CaseStore, audit: AuditLog, notifier: CitizenNotifier) -> None:
        self._cases = cases
        self._audit = audit
        self._notifier = notifier

    def open_cases(self, agency: str, limit: int = 200) -> list[Case]:
        """The agency's unresolved cases, soonest SLA first."""
        return self._cases.for_agency(agency, OPEN_STATUSES, limit)

    def find(self, reference: str, agency: str) -> Case | None:
        """A case by tracking number or internal id, only if it belongs to `agency`."""
        text = reference.strip()
        case = self._cases.by_number(text) if NUMBER.fullmatch(text) else (
            self._cases.get(int(text)) if text.isdigit() else None)
        return case if case is not None and case.agency == agency else None

    def acknowledge(self, case: Case, actor: str, **detail: object) -> Outcome:
        """The agency has taken the case on (→ in progress)."""
        if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            return Outcome(case, False, "เรื่องนี้แก้ไขหรือปิดไปแล้ว")
        if case.status is CaseStatus.IN_PROGRESS:
            return Outcome(case, False, "เรื่องนี้รับดำเนินการไว้แล้ว")
        return self._move(case, CaseStatus.IN_PROGRESS, actor, "case.acknowledge", "", detail)

    def resolve(self, case: Case, actor: str, note: str = "", **detail: object) -> Outcome:
        """The problem is fixed (→ resolved); the citizen's notice is written at once."""
        if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            return Outcome(case, False, "เรื่องนี้แก้ไขหรือปิดไปแล้ว")
        outcome = self._move(case, CaseStatus.RESOLVED, actor, "case.resolve", note, detail)
        if outcome.done and outcome.case is not None:
            # If this process dies right here, the notify stage finds the resolved case and writes it then.
            self._notifier.notify_resolved(outcome.case)
        return outcome

    def add_note(self, case: Case, actor: str, note: str, **detail: object) -> Outcome:
        if not note.strip():
            return Outcome(case, False, "กรุณาพิมพ์บันทึกต่อท้ายเลขที่เรื่อง")
        assert case.id is not None
        self._cases.add_note(case.id, note.strip()[:2000], by=actor)
        self._audit.record(actor, "case.note", f"case:{case.id}", number=case.tracking_number, **detail)
        return Outcome(self._cases.get(case.id), True)

    def _move(self, case: Case, status: CaseStatus, actor: str, action: str, note: str,
              detail: dict[str, object]) -> Outcome:
        assert case.id is not None
        try:
            moved = self._cases.change_status(case.id, status, by=actor, note=note.strip()[:2000])
        except CaseTransitionError:
            return Outcome(case, False, "สถานะของเรื่องนี้เปลี่ยนแบบนั้นไม่ได้")
        self._audit.record(actor, action, f"case:{case.id}", number=case.tracking_number,
                           before=case.status.value, after=moved.status.value, **detail)
        return Outcome(moved, True)
