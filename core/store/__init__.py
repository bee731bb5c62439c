"""The store: the hand-off between stages. All SQL in the product lives in this package."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from core.clock import Clock
from core.store.audit import AuditLog
from core.store.broadcasts import BroadcastStore
from core.store.cases import CaseStore
from core.store.classifications import ClassificationStore
from core.store.engine import open_engine
from core.store.health import HealthStore
from core.store.mentions import MentionStore
from core.store.migrate import upgrade
from core.store.outbox import Outbox
from core.store.triage import TriageQueue
from core.store.users import UserStore


@dataclass
class Store:
    """Every repository over one engine; built once by the composition root."""

    engine: Engine
    clock: Clock
    mentions: MentionStore
    health: HealthStore
    users: UserStore
    audit: AuditLog
    cases: CaseStore
    outbox: Outbox
    broadcasts: BroadcastStore
    triage: TriageQueue
    classifications: ClassificationStore

    @classmethod
    def open(cls, url: str, clock: Clock, *, migrate: bool = True) -> Store:
        """Open the database at `url`, bringing its schema up to date first unless told not to."""
        engine = open_engine(url)
        if migrate:
            upgrade(engine)
        return cls(
            engine=engine,
            clock=clock,
            mentions=MentionStore(engine, clock),
            health=HealthStore(engine, clock),
            users=UserStore(engine, clock),
            audit=AuditLog(engine, clock),
            cases=CaseStore(engine, clock),
            outbox=Outbox(engine, clock),
            broadcasts=BroadcastStore(engine, clock),
            triage=TriageQueue(engine, clock),
            classifications=ClassificationStore(engine, clock),
        )

    def close(self) -> None:
        self.engine.dispose()
