"""The web desk's case board: an agency's cases by status with their SLA, and the coordinators' work on them.

Every read and write takes a `Scope`. A coordinator's scope is its own agency, and the agency is part
of each query's WHERE clause: a case of another agency is not found, exactly as a missing one is not.
Status changes, assignments and notes land in the case's history and the audit log in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from core.clock import Clock
from core.domain import Case, CaseStatus, Platform, Reply, ReplyKind, Role, User
from core.errors import DeskError
from core.store.audit import AuditLog
from core.store.cases import OPEN_STATUSES, TRANSITIONS, CaseTransitionError, to_case
from core.store.outbox import to_reply
from core.store.planner import prefer_index_lookups
from core.store.schema import case_events, cases, mentions, replies, users

COLUMN_SIZE = 50
CITIZEN_FACING = (ReplyKind.ANSWER, ReplyKind.ACKNOWLEDGEMENT, ReplyKind.NOTICE, ReplyKind.MANUAL)


class CaseNotFound(DeskError):
    """No such case within the caller's scope (a case of another agency is reported the same way)."""


@dataclass(frozen=True)
class Scope:
    """Which agencies' cases someone may see: all of them, or exactly one."""

    agency: str | None = None
    all_agencies: bool = False

    @classmethod
    def everything(cls) -> Scope:
        return cls(all_agencies=True)

    @classmethod
    def only(cls, agency: str) -> Scope:
        return cls(agency=agency)

    def condition(self) -> sa.ColumnElement[bool]:
        if self.all_agencies:
            return sa.true()
        if not self.agency:
            return sa.false()  # a coordinator without an agency sees nothing, never everything
        return cases.c.agency == self.agency


@dataclass(frozen=True)
class CaseCard:
    """A case with the post that opened it."""

    case: Case
    platform: Platform
    text: str
    url: str
    posted_at: datetime
    author_name: str
    thread_id: str
    mention_external_id: str


@dataclass(frozen=True)
class CaseEvent:
    at: datetime
    by: str
    kind: str  # status, note, assignment
    status: CaseStatus | None
    note: str


_CARD_COLUMNS = [
    *cases.c, mentions.c.platform, mentions.c.text, mentions.c.url, mentions.c.posted_at,
    mentions.c.author_name, mentions.c.thread_id, mentions.c.external_id.label("mention_external_id"),
]


class CaseBoard:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._audit = AuditLog(engine, clock)

    def column(self, scope: Scope, status: CaseStatus, *, agency: str | None = None,
               after: tuple[datetime, int] | None = None, size: int = COLUMN_SIZE) -> list[CaseCard]:
        """Cases of one status: open ones soonest SLA first, finished ones most recently changed first."""
        query = self._cards().where(scope.condition(), cases.c.status == status.value)
        if agency:
            query = query.where(cases.c.agency == agency)
        if status in OPEN_STATUSES:
            key = sa.tuple_(cases.c.sla_due_at, cases.c.id)
            if after is not None:
                query = query.where(key > sa.tuple_(sa.literal(after[0], cases.c.sla_due_at.type), after[1]))
            query = query.order_by(cases.c.sla_due_at, cases.c.id)
        else:
            key = sa.tuple_(cases.c.updated_at, cases.c.id)
            if after is not None:
                query = query.where(key < sa.tuple_(sa.literal(after[0], cases.c.updated_at.type), after[1]))
            query = query.order_by(cases.c.updated_at.desc(), cases.c.id.desc())
        with self._engine.connect() as conn:
            prefer_index_lookups(conn)
            return [_card(row) for row in conn.execute(query.limit(size)).mappings()]

    def counts(self, scope: Scope, agency: str | None = None) -> dict[CaseStatus, tuple[int, int]]:
        """(cases, overdue) per status."""
        overdue = sa.func.sum(sa.case((cases.c.sla_due_at < self._clock.now(), 1), else_=0))
        query = sa.select(cases.c.status, sa.func.count(), overdue).where(scope.condition()).group_by(cases.c.status)
        if agency:
            query = query.where(cases.c.agency == agency)
        with self._engine.connect() as conn:
            prefer_index_lookups(conn)
            found = {CaseStatus(s): (int(n), int(late or 0)) for s, n, late in conn.execute(query)}
        return {status: found.get(status, (0, 0)) for status in CaseStatus}

    def card(self, case_id: int, scope: Scope) -> CaseCard:
        query = self._cards().where(cases.c.id == case_id, scope.condition())
        with self._engine.connect() as conn:
            prefer_index_lookups(conn)
            row = conn.execute(query).mappings().first()
        if row is None:
            raise CaseNotFound("no such case")
        return _card(row)

    def events(self, case_id: int, scope: Scope) -> list[CaseEvent]:
        query = (
            sa.select(case_events).join(cases, cases.c.id == case_events.c.case_id)
            .where(case_events.c.case_id == case_id, scope.condition()).order_by(case_events.c.id)
        )
        with self._engine.connect() as conn:
            return [
                CaseEvent(at=r["at"], by=r["by"], kind=r["kind"], note=r["note"],
                          status=CaseStatus(r["status"]) if r["status"] else None)
                for r in conn.execute(query).mappings()
            ]

    def reply_trail(self, case: Case) -> list[Reply]:
        """What the citizen was told about this case, oldest first (duty alerts are internal and left out)."""
        query = (
            sa.select(replies)
            .where(sa.or_(replies.c.case_id == case.id, replies.c.mention_id == case.mention_id))
            .where(replies.c.kind.in_([k.value for k in CITIZEN_FACING]))
            .order_by(replies.c.created_at, replies.c.id)
        )
        with self._engine.connect() as conn:
            return [to_reply(row) for row in conn.execute(query).mappings()]

    def coordinators(self, agency: str | None) -> list[User]:
        """Active coordinators of an agency: who a case can be assigned to."""
        if not agency:
            return []
        query = (
            sa.select(users.c.id, users.c.username, users.c.display_name, users.c.agency)
            .where(users.c.role == Role.COORDINATOR.value, users.c.agency == agency, users.c.active.is_(True))
            .order_by(users.c.username)
        )
        with self._engine.connect() as conn:
            return [User(id=r["id"], username=r["username"], display_name=r["display_name"],
                         role=Role.COORDINATOR, agency=r["agency"]) for r in conn.execute(query).mappings()]

    def change_status(self, case_id: int, scope: Scope, status: CaseStatus, by: str, note: str = "") -> Case:
        """Move a case along its workflow; an impossible move raises CaseTransitionError."""
        with self._engine.begin() as conn:
            row = self._lock(conn, case_id, scope)
            current = CaseStatus(row["status"])
            if status == current:
                return to_case(row)
            if status not in TRANSITIONS[current]:
                raise CaseTransitionError(f"a {current.value} case cannot become {status.value}")
            self._change(conn, row, by, "status", {"status": status.value}, status=status.value, note=note)
            self._audit.record(by, "case.status", row["tracking_number"], conn=conn, before=current.value,
                               after=status.value, note=note)
            return to_case(conn.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().one())

    def assign(self, case_id: int, scope: Scope, assignee: str, by: str) -> None:
        with self._engine.begin() as conn:
            row = self._lock(conn, case_id, scope)
            self._change(conn, row, by, "assignment", {"assignee": assignee}, note=assignee)
            self._audit.record(by, "case.assign", row["tracking_number"], conn=conn, before=row["assignee"],
                               after=assignee)

    def add_note(self, case_id: int, scope: Scope, note: str, by: str) -> None:
        with self._engine.begin() as conn:
            row = self._lock(conn, case_id, scope)
            self._change(conn, row, by, "note", {}, note=note)
            self._audit.record(by, "case.note", row["tracking_number"], conn=conn, length=len(note))

    def _lock(self, conn: sa.Connection, case_id: int, scope: Scope) -> RowMapping:
        query = sa.select(cases).where(cases.c.id == case_id, scope.condition())
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).mappings().first()
        if row is None:
            raise CaseNotFound("no such case")
        return row

    def _change(self, conn: sa.Connection, row: RowMapping, by: str, kind: str, changes: dict[str, Any],
                *, status: str | None = None, note: str = "") -> None:
        now = self._clock.now()
        conn.execute(sa.update(cases).where(cases.c.id == row["id"]).values(updated_at=now, **changes))
        conn.execute(sa.insert(case_events).values(case_id=row["id"], at=now, by=by, kind=kind, status=status,
                                                   note=note))

    def _cards(self) -> sa.Select[Any]:
        return sa.select(*_CARD_COLUMNS).select_from(cases.join(mentions, mentions.c.id == cases.c.mention_id))


def _card(row: RowMapping) -> CaseCard:
    return CaseCard(
        case=to_case(row), platform=Platform(row["platform"]), text=row["text"], url=row["url"],
        posted_at=row["posted_at"], author_name=row["author_name"], thread_id=row["thread_id"],
        mention_external_id=row["mention_external_id"],
    )
