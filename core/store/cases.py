"""Cases: complaints turned into tracked work with a number, an agency, a status and an SLA clock."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from core.clock import BANGKOK, Clock
from core.domain import Case, CaseStatus
from core.errors import DeskError
from core.store.schema import case_events, cases

# Which status may follow which: a case only moves forward, except that a resolved case can be reopened.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.ROUTED, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.ROUTED: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.IN_PROGRESS}),
    CaseStatus.CLOSED: frozenset(),
}
OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.ROUTED, CaseStatus.IN_PROGRESS)


class CaseTransitionError(DeskError):
    pass


def tracking_number(created_at: datetime, case_id: int) -> str:
    """GCC-YYMM-NNNNNN: Bangkok year and month of opening, then the case's own sequence number."""
    local = created_at.astimezone(BANGKOK)
    return f"GCC-{local:%y%m}-{case_id:06d}"


class CaseStore:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def open(
        self,
        conn: sa.Connection,
        *,
        mention_id: int,
        agency: str | None,
        sla_due_at: datetime,
        urgent: bool = False,
        summary: str = "",
        status: CaseStatus = CaseStatus.NEW,
    ) -> tuple[Case, bool]:
        """Open the case for a mention inside the caller's transaction; (case, True) when newly opened.

        A mention has at most one case, so opening twice returns the first one.
        """
        existing = conn.execute(sa.select(cases).where(cases.c.mention_id == mention_id)).mappings().first()
        if existing is not None:
            return to_case(existing), False
        now = self._clock.now()
        case_id = conn.execute(
            sa.insert(cases)
            .values(
                tracking_number=f"p-{uuid.uuid4().hex[:24]}",
                mention_id=mention_id,
                agency=agency,
                status=status.value,
                urgent=urgent,
                summary=summary,
                sla_due_at=sla_due_at,
                created_at=now,
                updated_at=now,
            )
            .returning(cases.c.id)
        ).scalar_one()
        conn.execute(
            sa.update(cases).where(cases.c.id == case_id).values(tracking_number=tracking_number(now, case_id))
        )
        conn.execute(
            sa.insert(case_events).values(case_id=case_id, at=now, by="system", kind="status", status=status.value,
                                          note="")
        )
        row = conn.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().one()
        return to_case(row), True

    def change_status(self, case_id: int, status: CaseStatus, by: str, note: str = "") -> Case:
        """Move a case along its workflow; an impossible move raises CaseTransitionError."""
        now = self._clock.now()
        with self._engine.begin() as conn:
            row = conn.execute(sa.select(cases).where(cases.c.id == case_id).with_for_update()).mappings().first()
            if row is None:
                raise CaseTransitionError(f"no case {case_id}")
            current = CaseStatus(row["status"])
            if status == current:
                return to_case(row)
            if status not in TRANSITIONS[current]:
                raise CaseTransitionError(f"a {current.value} case cannot become {status.value}")
            conn.execute(sa.update(cases).where(cases.c.id == case_id).values(status=status.value, updated_at=now))
            conn.execute(
                sa.insert(case_events).values(
                    case_id=case_id, at=now, by=by, kind="status", status=status.value, note=note
                )
            )
            return to_case(conn.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().one())

    def assign(self, case_id: int, assignee: str, by: str) -> None:
        now = self._clock.now()
        with self._engine.begin() as conn:
            conn.execute(sa.update(cases).where(cases.c.id == case_id).values(assignee=assignee, updated_at=now))
            conn.execute(
                sa.insert(case_events).values(case_id=case_id, at=now, by=by, kind="assignment", note=assignee)
            )

    def add_note(self, case_id: int, note: str, by: str) -> None:
        now = self._clock.now()
        with self._engine.begin() as conn:
            conn.execute(sa.update(cases).where(cases.c.id == case_id).values(updated_at=now))
            conn.execute(sa.insert(case_events).values(case_id=case_id, at=now, by=by, kind="note", note=note))

    def get(self, case_id: int) -> Case | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().first()
        return None if row is None else to_case(row)

    def by_number(self, number: str) -> Case | None:
        with self._engine.connect() as conn:
            row = (
                conn.execute(sa.select(cases).where(cases.c.tracking_number == number.strip().upper()))
                .mappings()
                .first()
            )
        return None if row is None else to_case(row)

    def for_mention(self, mention_id: int) -> Case | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(cases).where(cases.c.mention_id == mention_id)).mappings().first()
        return None if row is None else to_case(row)

    def for_agency(
        self, agency: str | None, statuses: tuple[CaseStatus, ...] = OPEN_STATUSES, limit: int = 200
    ) -> list[Case]:
        """An agency's cases (None: every agency), soonest SLA first."""
        query = (
            sa.select(cases)
            .where(cases.c.status.in_([s.value for s in statuses]))
            .order_by(cases.c.sla_due_at, cases.c.id)
            .limit(limit)
        )
        if agency is not None:
            query = query.where(cases.c.agency == agency)
        with self._engine.connect() as conn:
            return [to_case(row) for row in conn.execute(query).mappings()]

    def overdue(self, agency: str | None = None) -> list[Case]:
        now = self._clock.now()
        return [case for case in self.for_agency(agency) if case.sla_due_at < now]

    def changed_since(self, since: datetime, status: CaseStatus, limit: int = 200) -> list[Case]:
        """Cases now in `status` whose last change was at or after `since`, oldest change first (notifiers)."""
        query = (
            sa.select(cases)
            .where(cases.c.status == status.value, cases.c.updated_at >= since)
            .order_by(cases.c.updated_at, cases.c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [to_case(row) for row in conn.execute(query).mappings()]

    def events(self, case_id: int) -> list[dict[str, object]]:
        query = sa.select(case_events).where(case_events.c.case_id == case_id).order_by(case_events.c.id)
        with self._engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]


def to_case(row: RowMapping) -> Case:
    return Case(
        id=row["id"],
        tracking_number=row["tracking_number"],
        mention_id=row["mention_id"],
        agency=row["agency"],
        status=CaseStatus(row["status"]),
        urgent=row["urgent"],
        summary=row["summary"],
        assignee=row["assignee"],
        sla_due_at=row["sla_due_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
